import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { METRIC, METRICS_NAMESPACE } from '../../lambda/domain/metrics.ts';
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
    expect(alarms).toHaveLength(2 * 5 + 2);
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

  it.each(OPERATIONS.map((o) => [o.server]))('draws the collector metrics of operation %s with its one dimension when opened', (server) => {
    // Assess
    const m = (name: string) => `${METRICS_NAMESPACE} ${name} operation ${server}`;
    expect(widget(widgets, `${server}: windows collected`).lines).toEqual([m(METRIC.windowsCollected), m(METRIC.windowsBehind)]);
    expect(widget(widgets, `${server}: API calls and failed calls`).lines).toEqual([m(METRIC.apiCalls), m(METRIC.fetchFailures)]);
    expect(widget(widgets, `${server}: restated and backfilled`).lines).toEqual([m(METRIC.windowsRestated), m(METRIC.windowsBackfilled), m(METRIC.backfillWindowsRemaining)]);
    expect(widget(widgets, `${server}: API calls today`).lines).toEqual([m(METRIC.dailyApiCalls)]);
  });

  it('shows freshness with its alarm when opened', () => {
    // Assess
    const freshness = built.stack.pipeline.operations[0]!.alarms.freshness;
    expect(widget(widgets, '0032: freshness').properties.annotations?.alarms).toEqual([`{GetAtt:${logicalId(freshness)}.Arn}`]);
  });

  it('draws the daily cap line only for the operation that has a cap when caps differ', () => {
    // Assess
    expect(widget(widgets, '0032: API calls today').properties.annotations?.horizontal).toEqual([{ value: 900, label: 'DAILY_CALL_CAP', yAxis: 'left' }]);
    expect(widget(widgets, '0045: API calls today').properties.annotations?.horizontal).toBeUndefined();
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
