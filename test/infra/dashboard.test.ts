import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { PICKED_OPERATION } from '../../infra/constructs/dashboard.ts';
import { ALARM_METRICS, FIGURE_FIELD, METRICS_NAMESPACE, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';
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

interface Variable {
  type: string;
  pattern: string;
  inputType: string;
  id: string;
  values: { value: string }[];
  defaultValue: string;
}

interface Body {
  widgets: Widget[];
  variables: Variable[];
}

const OPERATIONS = [
  { server: '0032', dailyCallCap: 900 },
  { server: '0045', timezone: 'America/Mexico_City' },
];

function bodyOf(built: Built): Body {
  const dashboards = resourcesOfType(built.template, 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  return JSON.parse(renderIntrinsic(dashboards[0]![1].DashboardBody)) as Body;
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
  let body: Body;
  beforeAll(() => {
    built = buildStack({ context: { [CONTEXT_KEYS.operations]: OPERATIONS } });
    body = bodyOf(built);
  });

  it('lists the state of every alarm of the deployment when opened', () => {
    // Assess
    const alarms = resourcesOfType(built.template, 'AWS::CloudWatch::Alarm').map(([id]) => `{GetAtt:${id}.Arn}`);
    expect(alarms).toHaveLength(ALARM_METRICS.length + 3);
    expect(widget(body.widgets, 'Alarms').properties.alarms?.sort()).toEqual(alarms.sort());
  });

  it('draws new dead letters and what is left in both queues when opened', () => {
    // Assess
    const { lines } = widget(body.widgets, 'Dead letters');
    for (const q of [built.stack.pipeline.scheduleDeadLetterQueue.queue, built.stack.pipeline.failureQueue.queue]) {
      expect(lines).toContain(`AWS/SQS NumberOfMessagesSent QueueName {GetAtt:${logicalId(q)}.QueueName}`);
      expect(lines).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName {GetAtt:${logicalId(q)}.QueueName}`);
    }
  });

  it('tabulates every operation latest run from the shared log group when opened', () => {
    // Assess
    const table = widget(body.widgets, 'Operations: latest run');
    expect(table.properties.query).toContain(`SOURCE '{Ref:${logicalId(built.stack.pipeline.logGroup)}}'`);
    expect(table.properties.query).toContain(`filter message = "${RUN_FIGURES_MESSAGE}"`);
    expect(table.properties.query).toMatch(/latest\(@timestamp\) as last_run.* by operation/);
  });

  it('offers every operation in its Operation menu, the first shown when it opens', () => {
    // Assess
    expect(body.variables).toEqual([
      expect.objectContaining({ type: 'pattern', pattern: PICKED_OPERATION, inputType: 'select', id: 'operation', values: [{ value: '0032' }, { value: '0045' }], defaultValue: '0032' }),
    ]);
  });

  it('draws the run figures of the picked operation from the shared log group when opened', () => {
    // Assess
    const figures = (title: string, ...reads: string[]) => {
      const w = widget(body.widgets, `${PICKED_OPERATION}: ${title}`);
      expect(w.type, title).toBe('log');
      expect(w.properties.query, title).toContain(`SOURCE '{Ref:${logicalId(built.stack.pipeline.logGroup)}}'`);
      expect(w.properties.query, title).toContain(`and operation = "${PICKED_OPERATION}"`);
      for (const r of reads) expect(w.properties.query, title).toContain(r);
    };
    figures('windows collected', `filter message = "${RUN_FIGURES_MESSAGE}"`, `sum(${FIGURE_FIELD.windowsCollected})`, `max(${FIGURE_FIELD.windowsBehind})`);
    figures('API calls and failed calls', `sum(${FIGURE_FIELD.apiCalls})`, `sum(${FIGURE_FIELD.fetchFailures})`);
    figures('restated and backfilled', `sum(${FIGURE_FIELD.windowsRestated})`, `sum(${FIGURE_FIELD.windowsBackfilled})`, `max(${FIGURE_FIELD.backfillWindowsRemaining})`);
    figures('API calls today', `max(${FIGURE_FIELD.dailyApiCalls})`, 'max(daily_call_cap) as daily_call_cap');
    figures('failed calls by error class', 'filter ispresent(error_class)', 'stats count(*) as failures by error_class');
    figures('token allowance', `filter message = "${RUN_FIGURES_MESSAGE}" and ispresent(token_limit)`, 'max(token_limit) as token_limit', 'max(token_use_today) as token_use_today', 'max(token_reserve) as token_reserve', 'by bin(1h)');
  });

  it('puts the picked operation only in the widgets below the menu, so the menu changes nothing else', () => {
    // Assess
    const picked = body.widgets.filter((w) => JSON.stringify(w).includes(PICKED_OPERATION));
    expect(picked.length).toBe(7);
    expect(picked[0]?.properties.markdown).toContain(`## Operation ${PICKED_OPERATION}`);
    expect(body.widgets.indexOf(picked[0]!)).toBe(body.widgets.length - picked.length);
  });

  it('is the same size for a hundred operations as for two: only the menu grows', () => {
    // Act
    const many = bodyOf(buildStack({ context: { [CONTEXT_KEYS.operations]: Array.from({ length: 100 }, (_, i) => ({ server: `op-${i + 1}` })) } }));

    // Assess
    expect(many.widgets.length).toBe(body.widgets.length);
    expect(many.variables[0]?.values).toHaveLength(100);
    expect(widget(many.widgets, 'Alarms').properties.alarms).toHaveLength(ALARM_METRICS.length + 3);
  });

  it('draws no collector custom metric when opened (they are log fields; alarms show their metrics)', () => {
    // Assess
    const lines = body.widgets.flatMap((w) => (w.properties.metrics ?? []).map((m) => m.filter((x) => typeof x === 'string').join(' ')));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith(METRICS_NAMESPACE))).toEqual([]);
  });

  it('shows freshness with its alarm when opened', () => {
    // Assess
    const freshness = built.stack.pipeline.collectorAlarms.freshness;
    expect(widget(body.widgets, 'Freshness').properties.annotations?.alarms).toEqual([`{GetAtt:${logicalId(freshness)}.Arn}`]);
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
