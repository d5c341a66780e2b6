/**
 * The metric contract end to end: what the Lambda handler emits (createHandler with the
 * telemetry lambda/handler.ts wires, real Powertools output, runs against the simulator), what
 * the synthesized stack's alarms read, what its saved queries read, and what the cost table
 * prices.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COST_OPERATIONS, costPerOperationMonth, sharedPartsInTemplates } from '../../bench/cost-model.ts';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { QueryString } from 'aws-cdk-lib/aws-logs';
import { logQueries, TOKEN_FIELDS, TOKEN_READ_MESSAGE, tokenAllowanceQuery } from '../../infra/log-queries.ts';
import { ALLOWANCE_DEFAULTS, type LambdaConfig } from '../../lambda/config.ts';
import { SecretError } from '../../lambda/domain/errors.ts';
import { ALARM_METRIC, ALARM_METRICS, FIGURE_FIELD, GAUGES, LAMBDA_ENV, METRIC, METRIC_DIMENSION, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';
import { createHandler } from '../../lambda/runtime/collector-handler.ts';
import { lambdaTelemetry, runFigures } from '../../lambda/runtime/telemetry.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken, type TokenProvider } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { type Built, buildStack, CDK_JSON_CONTEXT, functionEnvironment, renderIntrinsic, resourcesOfType } from './helpers.ts';
import { contributorsInAlarm, type Datapoint, datapointsOf, queryAlarmOf } from './metrics-insights.ts';

const TZ = 'America/Bogota';
const SERVER = '0032';
const TOKEN = 'tok-METRICS-4e5f6a7b8c';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Invocation {
  readonly scenario: string;
  readonly server: string;
  /** When the run happened (the scenario's clock). */
  readonly at: number;
  /** Every line the handler printed (stdout and stderr), parsed. */
  readonly lines: Record<string, unknown>[];
  readonly emf: EmfDoc[];
}

interface EmfDoc {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Lines written to stdout and stderr while `run` runs: Powertools writes there, as in Lambda. */
async function printedBy(run: () => Promise<unknown>): Promise<string[]> {
  const printed: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown) => {
    printed.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await run().catch(() => undefined);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return printed;
}

const metricNames = (docs: readonly EmfDoc[]) => docs.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)));

describe('Contract: custom metrics of the handler, alarms, saved queries and cost table', () => {
  let built: Built;
  let sim: Simulator;
  /** A second operation's Wolkvox server, for the alarms that name operations. */
  let sim45: Simulator;
  /** The first operation's server once it no longer has the report: 404 "Validate dates entered" to every cdr_4 call. */
  let sim404: Simulator;
  /** The namespace the synthesized function is told to send its metrics to. */
  let namespace: string;
  let clock: ManualClock;
  const invocations: Invocation[] = [];

  function handlerOf(name: string, options: { server?: string; token?: TokenProvider; dailyCallCap?: number; api?: Simulator; store?: MemoryStore }) {
    const server = options.server ?? SERVER;
    const api = options.api ?? (server === SERVER ? sim : sim45);
    const token = options.token ?? staticToken(TOKEN);
    const config: LambdaConfig = {
      server,
      timeZone: TZ,
      baseUrl: api.origin,
      prefix: name.replace(/\W+/g, '-'),
      settleMinutes: 5,
      requestTimeoutMs: 5_000,
      restateAfterMinutes: 0,
      dailyCallCap: options.dailyCallCap,
      verifyAfterMinutes: 240,
      quietFreshnessMinutes: 30,
      ...ALLOWANCE_DEFAULTS,
      tokenSecretId: 'unused',
      bucket: 'unused',
      // As the stack sets it (wolkvox:firstDay of cdk.json).
      firstDay: String(functionEnvironment(built, server)[LAMBDA_ENV.firstDay]),
    };
    const handler = createHandler({
      config,
      store: options.store ?? new MemoryStore(),
      leases: new MemoryLeaseStore(),
      token,
      client: createCdr4Client({ baseUrl: api.origin, server, token, clock: clock.now }),
      ...lambdaTelemetry(server, options.dailyCallCap !== undefined ? { daily_call_cap: options.dailyCallCap } : {}),
      clock: clock.now,
      sleep: async () => {},
    });
    return async (event: unknown) => {
      const printed = await printedBy(() => handler(event, { getRemainingTimeInMillis: () => 240_000 }));
      const lines = printed.map((l) => JSON.parse(l) as Record<string, unknown>);
      invocations.push({ scenario: name, server, at: clock.now(), lines, emf: lines.filter((l): l is EmfDoc => '_aws' in l) });
    };
  }

  async function scenario(name: string, options: { token?: TokenProvider; dailyCallCap?: number; events?: unknown[]; before?: (i: number) => void }) {
    const invoke = handlerOf(name, options);
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    for (const [i, event] of (options.events ?? [scheduled]).entries()) {
      options.before?.(i);
      await invoke(event ?? scheduled);
      clock.advance(5 * MINUTE);
    }
  }

  /** Two operations run side by side every 5 minutes; 0045's Wolkvox answers 503 for a while, then says its token's limit is spent. */
  async function twoOperations(name: string, ticks: number) {
    const runs = [handlerOf(name, { server: SERVER }), handlerOf(name, { server: '0045' })] as const;
    for (let i = 0; i < ticks; i++) {
      // Every attempt of the run's call (3) fails, so its due window stays behind.
      sim45.inject(i < ticks - 1 ? { kind: 'http503' } : { kind: 'tokenLimit' }, i < ticks - 1 ? 3 : 1);
      for (const run of runs) await run({});
      clock.advance(5 * MINUTE);
    }
  }

  /** One run while the report shows calls (the new store's look back and first windows), then a run every 6 hours for 8 days of 404 answers, on the same bucket. */
  async function silentReport(name: string) {
    const store = new MemoryStore();
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    await handlerOf(name, { store })(scheduled);
    const silent = handlerOf(name, { store, api: sim404 });
    for (let i = 0; i < (8 * DAY) / (6 * HOUR); i++) {
      clock.advance(6 * HOUR);
      await silent(scheduled);
    }
  }

  const of = (name: string) => invocations.filter((i) => i.scenario === name);
  /** The synthesized alarm on `metric`, as the evaluator reads it. */
  const alarmOn = (metric: string) => {
    const found = resourcesOfType(built.template, 'AWS::CloudWatch::Alarm').find(([, p]) => String((p.Metrics as { Expression?: unknown }[] | undefined)?.[0]?.Expression).startsWith(`SELECT MAX(${metric})`));
    if (!found) throw new Error(`no alarm on ${metric}`);
    return queryAlarmOf(found[1]);
  };
  const figuresOf = (i: Invocation) => i.lines.filter((l) => l.message === RUN_FIGURES_MESSAGE);

  beforeAll(async () => {
    built = buildStack({ context: { [CONTEXT_KEYS.operations]: [{ server: SERVER, dailyCallCap: 900 }, { server: '0045', timezone: 'America/Mexico_City' }] } });
    clock = new ManualClock(instantOfWall('2026-11-20 09:10', TZ));
    sim = await startSimulator({ token: TOKEN, server: SERVER, timeZone: TZ, now: clock.now });
    sim45 = await startSimulator({ token: TOKEN, server: '0045', timeZone: TZ, now: clock.now });
    sim404 = await startSimulator({ token: TOKEN, server: SERVER, timeZone: TZ, now: clock.now, vendor: { answer404: true } });
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    const saved = { dev: process.env.POWERTOOLS_DEV, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE };
    delete process.env.POWERTOOLS_DEV;
    // The environment the stack gives the function: its deployment's metric namespace.
    namespace = String(functionEnvironment(built, SERVER).POWERTOOLS_METRICS_NAMESPACE);
    process.env.POWERTOOLS_METRICS_NAMESPACE = namespace;
    try {
      await scenario('steady', { events: [scheduled, scheduled, scheduled] });
      await scenario('failed calls', { events: [scheduled, scheduled], before: (i) => i === 0 && sim.inject({ kind: 'http503' }, 3) });
      await scenario('token missing', { token: { get: async () => Promise.reject(new SecretError('the token secret is empty: put-secret-value')), refresh: async () => Promise.reject(new SecretError('empty')) } });
      await scenario('vendor daily limit', { events: [scheduled, scheduled], before: (i) => i === 0 && sim.inject({ kind: 'tokenLimit' }) });
      await scenario('daily cap', { dailyCallCap: 1, events: [scheduled, { backfill: { from: '2026-11-19 00:00', to: '2026-11-19 01:00' } }] });
      await scenario('backfill', { events: [scheduled, { backfill: { from: '2026-11-18 00:00', to: '2026-11-18 01:00' } }] });
      await scenario('quarantine', { events: [scheduled, scheduled, scheduled, scheduled], before: (i) => i > 0 && sim.inject({ kind: 'badShape' }) });
      await twoOperations('two operations', 8);
      await silentReport('silent report');
    } finally {
      if (saved.dev !== undefined) process.env.POWERTOOLS_DEV = saved.dev;
      if (saved.namespace !== undefined) process.env.POWERTOOLS_METRICS_NAMESPACE = saved.namespace;
      else delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    }
  });
  afterAll(async () => {
    await sim?.close();
    await sim45?.close();
    await sim404?.close();
  });

  it('emits only alarm metrics, at most one of each per operation, each with only the operation dimension, whatever the run meets', () => {
    // Assess
    const docs = invocations.flatMap((i) => i.emf.map((d) => Object.assign(d, { ranFor: i.server })));
    expect(docs.length).toBeGreaterThan(0);
    const emitted = new Set(metricNames(docs));
    expect([...emitted].filter((n) => !(ALARM_METRICS as readonly string[]).includes(n))).toEqual([]);
    expect(emitted.size).toBeLessThanOrEqual(ALARM_METRICS.length);
    for (const d of docs) {
      expect(d._aws.CloudWatchMetrics).toHaveLength(1);
      expect(d._aws.CloudWatchMetrics[0]!.Namespace).toBe(namespace);
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([[METRIC_DIMENSION]]);
      expect(d[METRIC_DIMENSION]).toBe(d.ranFor);
    }
  });

  it('sends WindowsBehind only while windows are behind and TokenTrouble only when the token held the run back', () => {
    // Assess
    const emitted = (name: string) => of(name).map((i) => Object.fromEntries(metricNames(i.emf).map((n) => [n, i.emf.find((d) => n in d)![n]])));
    expect(emitted('steady')).toEqual([{}, {}, {}]);
    expect(emitted('token missing')).toEqual([{ TokenTrouble: 1 }]);
    expect(emitted('vendor daily limit')[0]).toMatchObject({ TokenTrouble: 1 });
    // The limit holds until the operation's midnight: the next run calls nothing and says so.
    expect(emitted('vendor daily limit')[1]).toEqual({ TokenTrouble: 1 });
    expect(emitted('daily cap')[1]).toMatchObject({ TokenTrouble: 1 });
    expect(emitted('failed calls')[0]).toEqual({ WindowsBehind: expect.any(Number) });
    expect(emitted('failed calls')[0]!.WindowsBehind).toBeGreaterThanOrEqual(1);
  });

  it('logs one run-figures line per invocation with every count field, gauges as reported', () => {
    // Assess
    const counts = Object.values(METRIC).filter((n) => !GAUGES.has(n));
    for (const i of invocations) {
      const lines = figuresOf(i);
      expect(lines, i.scenario).toHaveLength(1);
      for (const name of counts) expect(lines[0], `${i.scenario}: ${name}`).toHaveProperty(FIGURE_FIELD[keyOf(name)], expect.any(Number));
    }
    const field = (scenario: string, run: number, key: keyof typeof METRIC) => figuresOf(of(scenario)[run]!)[0]![FIGURE_FIELD[key]];
    expect(field('steady', 1, 'windowsCollected')).toBe(1);
    expect(field('steady', 1, 'windowsBehind')).toBe(0);
    expect(field('failed calls', 0, 'fetchFailures')).toBe(3);
    expect(field('token missing', 0, 'tokenMissing')).toBe(1);
    expect(field('backfill', 1, 'windowsBackfilled')).toBe(12);
    expect(field('backfill', 1, 'backfillWindowsRemaining')).toBe(0);
    expect(field('quarantine', 3, 'windowsQuarantined')).toBe(1);
    expect(figuresOf(of('daily cap')[0]!)[0]).toMatchObject({ daily_call_cap: 1, [FIGURE_FIELD.dailyApiCalls]: 1 });
  });

  it('gives every alarm on a collector metric a metric the handler emits, one time series per operation', () => {
    // Prepare: all the handler's figures at once, through the adapter handler.ts uses.
    const sent: string[] = [];
    const adapter = runFigures({ addMetric: (name) => sent.push(name), publishStoredMetrics: () => undefined }, { debug() {}, info() {}, warn() {}, error() {} });
    for (const name of Object.values(METRIC)) adapter.count(name, 2);
    adapter.publish();

    // Assess
    const queries = resourcesOfType(built.template, 'AWS::CloudWatch::Alarm')
      .map(([id, p]) => [id, (p.Metrics as { Expression?: unknown }[] | undefined)?.[0]?.Expression] as const)
      .filter((q): q is readonly [string, string] => typeof q[1] === 'string' && q[1].includes(`"${namespace}"`));
    expect(queries).toHaveLength(ALARM_METRICS.length);
    for (const [id, query] of queries) {
      const [, metric, dimension] = /^SELECT MAX\((\w+)\) FROM SCHEMA\("[^"]+", (\w+)\)/.exec(query) ?? [];
      expect(sent, id).toContain(metric);
      expect(dimension, id).toBe(METRIC_DIMENSION);
    }
    expect([...sent].sort()).toEqual([...ALARM_METRICS].sort());
    // And the handler does send them: the ones these runs raise (no day here is past the verification bound).
    const raised = new Set(metricNames(invocations.flatMap((i) => i.emf)));
    for (const name of [ALARM_METRIC.windowsBehind, ALARM_METRIC.tokenTrouble, ALARM_METRIC.reportSilent]) expect(raised).toContain(name);
  });

  it('counts silence from a line every invocation logs: one run-figures line naming its operation, whatever the run met', () => {
    // Assess
    const [[, rule] = ['', {}]] = resourcesOfType(built.template, 'AWS::CloudWatch::InsightRule');
    const body = JSON.parse(renderIntrinsic(rule.RuleBody)) as { Contribution: { Keys: string[]; Filters: { Match: string; In: string[] }[] } };
    expect(body.Contribution).toEqual({ Keys: [`$.${METRIC_DIMENSION}`], Filters: [{ Match: '$.message', In: [RUN_FIGURES_MESSAGE] }] });
    for (const i of invocations) {
      const matched = i.lines.filter((l) => l.message === RUN_FIGURES_MESSAGE);
      expect(matched.map((l) => l[METRIC_DIMENSION]), i.scenario).toEqual([i.server]);
    }
  });

  it('names the operation in alarm, and only it, when one of two operations falls behind and then meets its token limit', () => {
    // Prepare
    const runs = of('two operations');
    const datapoints: Datapoint[] = runs.flatMap((i) => datapointsOf(i.emf, i.at));
    const at = Math.max(...runs.map((i) => i.at)) + 5 * MINUTE;
    const alarm = alarmOn;

    // Act
    const behind = contributorsInAlarm(alarm(ALARM_METRIC.windowsBehind), datapoints, at);
    const token = contributorsInAlarm(alarm(ALARM_METRIC.tokenTrouble), datapoints, at);
    const unverified = contributorsInAlarm(alarm(ALARM_METRIC.daysUnverified), datapoints, at);
    const silent = contributorsInAlarm(alarm(ALARM_METRIC.reportSilent), datapoints, at);

    // Assess
    expect(runs.filter((i) => i.server === SERVER)).toHaveLength(8);
    expect(behind).toEqual(['0045']);
    expect(token).toEqual(['0045']);
    expect(unverified).toEqual([]);
    expect(silent).toEqual([]);
  });

  it('names the operation in ReportSilent from what the handler sends once its report has answered 404 to everything for longer than SILENT_DAYS, and not before', () => {
    // Prepare: the alarm as synthesized (its query, threshold and periods), over what the runs printed.
    const runs = of('silent report');
    const alarm = alarmOn(ALARM_METRIC.reportSilent);
    const datapoints = runs.flatMap((i) => datapointsOf(i.emf, i.at));
    const lastCallRun = runs[0]!.at;
    const inAlarmAt = (at: number) => contributorsInAlarm(alarm, datapoints.filter((d) => d.at <= at), at + 5 * MINUTE);

    // Act
    const sixDaysIn = inAlarmAt(lastCallRun + 6 * DAY);
    const eightDaysIn = inAlarmAt(runs.at(-1)!.at);

    // Assess
    expect(runs.at(-1)!.at - lastCallRun).toBe(8 * DAY);
    const sent = datapoints.filter((d) => d.metric === ALARM_METRIC.reportSilent);
    expect(sent.length).toBeGreaterThan(0);
    // Sent only after SILENT_DAYS (the function's default) without a call, as the days of silence: at or above the alarm's threshold.
    expect(Math.min(...sent.map((d) => d.at)) - lastCallRun).toBeGreaterThan(ALLOWANCE_DEFAULTS.silentDays * DAY);
    for (const d of sent) expect(d.value).toBeGreaterThanOrEqual(Math.max(alarm.threshold, ALLOWANCE_DEFAULTS.silentDays));
    expect(sixDaysIn).toEqual([]);
    expect(eightDaysIn).toEqual([SERVER]);
  });

  it('saves queries that read fields the collector logs', () => {
    // Assess
    const logged = new Set(invocations.flatMap((i) => i.lines.flatMap((l) => Object.keys(l))));
    const figureFields = new Set(Object.values(FIGURE_FIELD));
    for (const q of logQueries()) {
      for (const f of q.query.fields ?? []) {
        const name = f.replace(/`/g, '');
        if (name.startsWith('@')) continue;
        expect(logged.has(name) || figureFields.has(name), `${q.name}: ${name}`).toBe(true);
      }
    }
    expect(logged).toContain('window_start');
    expect(logged).toContain('windows_remaining');
    expect(logged).toContain(METRIC_DIMENSION);
    // The readings query's line: a backfill reads token_info before its history spends calls.
    const reading = invocations.flatMap((i) => i.lines).find((l) => l.message === TOKEN_READ_MESSAGE);
    expect(reading).toMatchObject({ [METRIC_DIMENSION]: expect.any(String), [TOKEN_FIELDS.limit]: expect.any(Number), [TOKEN_FIELDS.useToday]: expect.any(Number) });
  });

  it('saves a query and draws a widget of the token allowance from the run figures, one series per operation', () => {
    // Prepare
    const saved = logQueries().find((q) => q.name === 'token allowance');
    const text = saved && new QueryString(saved.query).toString();

    // Assess
    expect(text).toContain(`filter message = "${RUN_FIGURES_MESSAGE}" and ispresent(${TOKEN_FIELDS.limit})`);
    expect(text).toContain(`max(${TOKEN_FIELDS.limit}) as token_limit, max(${TOKEN_FIELDS.useToday}) as token_use_today, max(${TOKEN_FIELDS.reserve}) as token_reserve by ${METRIC_DIMENSION}, bin(1h)`);
    expect(TOKEN_FIELDS).toEqual({ limit: 'token_limit', useToday: 'token_use_today', reserve: 'token_reserve' });
    expect(new QueryString(tokenAllowanceQuery('0045')).toString()).toContain(`and ${METRIC_DIMENSION} = "0045"`);
  });

  it('prices every metric the handler emits in the cost table, and any other it would be measured sending', () => {
    // Prepare
    const inputs = { runMs: 300, initMs: 100, s3PutsPerWindow: 4, checkpointPutsPerRun: 3, s3GetsPerRun: 4, bytesPerWindow: 6000, logBytesPerRun: 2000, shared: sharedPartsInTemplates() };
    const emitted = new Set(metricNames(invocations.flatMap((i) => i.emf)));

    // Act
    const cost = costPerOperationMonth({ ...inputs, metricHoursPerMonth: { WindowsBehind: 720 } });
    const withStray = costPerOperationMonth({ ...inputs, metricHoursPerMonth: { WindowsBehind: 720, ApiCalls: 720 } });

    // Assess
    const line = cost.lines.find((l) => l.item.startsWith('CloudWatch custom metrics'))!;
    for (const name of [...emitted, ...ALARM_METRICS]) {
      expect(cost.priced_metrics).toContain(name);
      expect(line.arithmetic).toContain(name);
    }
    expect(line.usd[0]).toBeCloseTo(0.3, 4);
    expect(withStray.priced_metrics).toContain('ApiCalls');
    // $0.30 for the metric, $0.10 for the query alarm analyzing it.
    expect((withStray.total_usd[0] ?? 0) - (cost.total_usd[0] ?? 0)).toBeCloseTo(0.4, 1);
  });

  it('counts the alarms, rule and dashboard the deployment has once, the same for 1 and for 100 operations', () => {
    // Act
    const one = sharedPartsInTemplates();
    const hundred = sharedPartsInTemplates({ ...CDK_JSON_CONTEXT, [CONTEXT_KEYS.operations]: Array.from({ length: 100 }, (_, i) => ({ server: `op-${i + 1}` })) });

    // Assess
    expect(one).toEqual({ standardAlarms: 3, metricsInsightsAlarms: ALARM_METRICS.length, insightRules: 1, dashboards: 1, perOperationAlarms: 0 });
    expect(hundred).toEqual(one);
  });

  it('keeps the fixed part at most $0.55 per operation-month at 100 operations, and falling with the operations', () => {
    // Prepare: the fixed part (secret, alarms, rule, dashboard) does not depend on the run figures; metrics sent only in trouble.
    const cost = costPerOperationMonth({ runMs: 300, initMs: 100, s3PutsPerWindow: 4, checkpointPutsPerRun: 3, s3GetsPerRun: 4, bytesPerWindow: 6000, logBytesPerRun: 2000, metricHoursPerMonth: {}, shared: sharedPartsInTemplates() });

    // Assess
    expect(cost.operations).toEqual([...COST_OPERATIONS]);
    expect(cost.fixed_usd[1]).toBeLessThanOrEqual(0.55);
    expect(cost.fixed_usd[1]).toBeLessThan(cost.fixed_usd[0]!);
  });
});

function keyOf(name: string): keyof typeof METRIC {
  return (Object.keys(METRIC) as (keyof typeof METRIC)[]).find((k) => METRIC[k] === name)!;
}

describe('Document: README cost table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('<!-- cost:begin'), readme.indexOf('<!-- cost:end -->'));
  const rows = [...table.matchAll(/^\| ([^|]+?) \|\s*([^|]*?)\s*\| \**([\d.]+)\** \| \**([\d.]+)\** \|$/gm)].map((m) => ({ item: m[1]!, arithmetic: m[2]!, usd: [Number(m[3]), Number(m[4])] }));
  const total = rows.find((r) => r.item === '**total**');
  const fixed = rows.find((r) => r.item.startsWith('fixed part'));

  it('prices 1 and 100 operations, each column adding up to its total, as npm run bench wrote it', () => {
    // Assess
    expect(table).toContain(`$/operation-month, ${COST_OPERATIONS[0]} operation |`);
    expect(table).toContain(`$/operation-month, ${COST_OPERATIONS[1]} operations |`);
    const lines = rows.filter((r) => r !== total && r !== fixed);
    expect(lines.length).toBeGreaterThan(8);
    for (const column of [0, 1]) expect(lines.reduce((n, r) => n + r.usd[column]!, 0)).toBeCloseTo(total!.usd[column]!, 2);
  });

  it('totals at most $2.00 for one operation and a fixed part of at most $0.55 per operation at 100', () => {
    // Assess
    expect(total?.usd[0]).toBeLessThanOrEqual(2);
    expect(fixed?.usd[1]).toBeLessThanOrEqual(0.55);
    const fixedLines = rows.filter((r) => r.item.endsWith('(fixed)'));
    expect(fixedLines.length).toBeGreaterThanOrEqual(3);
    expect(fixed!.usd[1]).toBeGreaterThanOrEqual(fixedLines.reduce((n, r) => n + r.usd[1]!, 0) - 0.005);
  });

  it('prices every custom metric the handler can send and every alarm of the deployment', () => {
    // Assess
    const metrics = rows.find((r) => r.item.startsWith('CloudWatch custom metrics'));
    for (const name of ALARM_METRICS) expect(metrics?.arithmetic).toContain(name);
    const alarms = rows.find((r) => r.item.startsWith('CloudWatch alarms'));
    const { standardAlarms, metricsInsightsAlarms, perOperationAlarms } = sharedPartsInTemplates();
    expect(alarms?.arithmetic).toContain(`${standardAlarms} alarms × $0.1 shared by the operations + ${metricsInsightsAlarms} Metrics Insights alarms`);
    expect(alarms?.arithmetic).toContain(`+ ${perOperationAlarms} per operation`);
  });
});
