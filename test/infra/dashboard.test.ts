import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { FIGURE_FIELD, METRICS_NAMESPACE, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';
import { type Built, buildStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

interface Widget {
  type: string;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: unknown[][];
    alarms?: string[];
    query?: string;
    annotations?: { horizontal?: { value: number; label?: string }[]; alarms?: string[] };
  };
}

const OPERATIONS = [
  { server: '0032', dailyCallCap: 900 },
  { server: '0045', timezone: 'America/Mexico_City' },
];

function widgetsOf(built: Built): Widget[] {
  const dashboards = resourcesOfType(built.template, 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  return (JSON.parse(renderIntrinsic(dashboards[0]![1].DashboardBody)) as { widgets: Widget[] }).widgets;
}

/** The widget whose title starts with `title`, and the metric lines it draws as [namespace, name, ...dimensions]. */
function widget(widgets: Widget[], title: string): Widget & { lines: string[] } {
  const found = widgets.find((w) => w.properties.title?.startsWith(title));
  if (!found) throw new Error(`no widget "${title}" (have ${widgets.map((w) => w.properties.title).join(' | ')})`);
  const lines = (found.properties.metrics ?? []).map((m) => m.filter((x) => typeof x === 'string').join(' '));
  return { ...found, lines };
}

describe('Construct: CollectorDashboard', () => {
  let built: Built;
  let widgets: Widget[];
  beforeAll(() => {
    built = buildStack({ context: { [CONTEXT_KEYS.operations]: OPERATIONS } });
    widgets = widgetsOf(built);
  });

  it('lists the state of every alarm of the stack when opened', () => {
    // Assess
    const alarms = resourcesOfType(built.template, 'AWS::CloudWatch::Alarm').map(([id]) => `{GetAtt:${id}.Arn}`);
    expect(alarms).toHaveLength(2 * 4 + 2);
    expect(widget(widgets, 'Alarms').properties.alarms?.sort()).toEqual(alarms.sort());
  });

  it('draws new dead letters and what is left in both queues when opened', () => {
    // Assess
    const { lines } = widget(widgets, 'Dead letters');
    for (const q of [built.stack.pipeline.scheduleDeadLetterQueue.queue, built.stack.pipeline.failureQueue.queue]) {
      expect(lines).toContain(`AWS/SQS NumberOfMessagesSent QueueName {GetAtt:${logicalId(q)}.QueueName}`);
      expect(lines).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName {GetAtt:${logicalId(q)}.QueueName}`);
    }
  });

  it.each(OPERATIONS.map((o) => [o.server]))('draws the run figures of operation %s from its own log group when opened', (server) => {
    // Assess
    const logGroup = built.stack.pipeline.operations.find((o) => o.server === server)!.collector.logGroup;
    const figures = (title: string, ...reads: string[]) => {
      const w = widget(widgets, `${server}: ${title}`);
      expect(w.type, title).toBe('log');
      expect(w.properties.query, title).toContain(`SOURCE '{Ref:${logicalId(logGroup)}}'`);
      expect(w.properties.query, title).toContain(`filter message = "${RUN_FIGURES_MESSAGE}"`);
      for (const r of reads) expect(w.properties.query, title).toContain(r);
    };
    figures('windows collected', `sum(${FIGURE_FIELD.windowsCollected})`, `max(${FIGURE_FIELD.windowsBehind})`);
    figures('API calls and failed calls', `sum(${FIGURE_FIELD.apiCalls})`, `sum(${FIGURE_FIELD.fetchFailures})`);
    figures('restated and backfilled', `sum(${FIGURE_FIELD.windowsRestated})`, `sum(${FIGURE_FIELD.windowsBackfilled})`, `max(${FIGURE_FIELD.backfillWindowsRemaining})`);
    figures('API calls today', `max(${FIGURE_FIELD.dailyApiCalls})`);
  });

  it('draws no collector custom metric when opened (they are log fields; alarms show the three metrics)', () => {
    // Assess
    const lines = widgets.flatMap((w) => (w.properties.metrics ?? []).map((m) => m.filter((x) => typeof x === 'string').join(' ')));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith(`${METRICS_NAMESPACE} `))).toEqual([]);
  });

  it('shows freshness with its alarm when opened', () => {
    // Assess
    const freshness = built.stack.pipeline.operations[0]!.alarms.freshness;
    expect(widget(widgets, '0032: freshness').properties.annotations?.alarms).toEqual([`{GetAtt:${logicalId(freshness)}.Arn}`]);
  });

  it('draws the daily cap only for the operation that has a cap when caps differ', () => {
    // Assess
    expect(widget(widgets, '0032: API calls today').properties.query).toContain('max(daily_call_cap) as daily_call_cap');
    expect(widget(widgets, '0045: API calls today').properties.query).not.toContain('daily_call_cap');
  });

  it('counts failures by error class from the function log group when opened', () => {
    // Assess
    const w = widget(widgets, '0032: failed calls by error class');
    const logGroup = built.stack.pipeline.operations[0]!.collector.logGroup;
    expect(w.type).toBe('log');
    expect(w.properties.query).toContain(`SOURCE '{Ref:${logicalId(logGroup)}}'`);
    expect(w.properties.query).toContain('stats count(*) as failures by error_class');
  });

  it('draws Lambda duration against the timeout and errors with throttles when opened', () => {
    // Assess
    const fn = logicalId(built.stack.pipeline.operations[1]!.collector.function);
    const duration = widget(widgets, '0045: Lambda duration');
    expect(duration.lines).toEqual([`AWS/Lambda Duration FunctionName {Ref:${fn}}`, `AWS/Lambda Duration FunctionName {Ref:${fn}}`]);
    expect(duration.properties.annotations?.horizontal).toEqual([{ value: 240_000, label: 'timeout', yAxis: 'left' }]);
    expect(widget(widgets, '0045: Lambda errors').lines).toEqual([`AWS/Lambda Errors FunctionName {Ref:${fn}}`, `AWS/Lambda Throttles FunctionName {Ref:${fn}}`]);
  });

  it('creates no dashboard and no dashboard output when wolkvox:dashboard is false', () => {
    // Act
    const b = buildStack({ context: { [CONTEXT_KEYS.dashboard]: 'false' } });

    // Assess
    b.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(b.template.findOutputs('DashboardUrl')).toEqual({});
    expect(b.stack.pipeline.dashboard).toBeUndefined();
  });
});
