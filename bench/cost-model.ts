/**
 * 6. Monthly AWS cost per operation, from the measured figures (nothing typed by hand but list
 * prices), for a deployment of 1 and of 100 operations: what each operation costs by itself, and
 * its share of what the deployment has once (alarms, the Contributor Insights rule, the
 * dashboard). us-east-1 list prices, no free tier, 30-day month.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { addCollectorStacks } from '../infra/collector-app.ts';
import { loadConfig } from '../infra/config.ts';
import { DEFAULT_MEMORY_MB } from '../infra/constructs/collector-function.ts';
import { ALARM_METRIC_EMITTED, ALARM_METRICS } from '../lambda/domain/metrics.ts';
import { round } from './stats.ts';

export const PRICES = {
  region: 'us-east-1 (list prices, 2026)',
  lambdaGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  s3ListPer1000: 0.005,
  s3StandardGbMonth: 0.023,
  secretPerMonth: 0.4,
  secretsPer10kCalls: 0.05,
  logsIngestPerGb: 0.5,
  customMetricPerMonth: 0.3,
  alarmPerMonth: 0.1,
  /** A Metrics Insights query alarm: $0.10 a month per metric the query analyzes (read here as prorated by the hours the metric has data). */
  metricsInsightsAlarmPerMetricMonth: 0.1,
  contributorInsightsRulePerMonth: 0.5,
  contributorInsightsPerMillionEvents: 0.02,
  dashboardPerMonth: 3,
  /** EventBridge Scheduler: the first 14 million invocations a month are free. */
  schedulerFreeInvocations: 14_000_000,
  schedulerPerMillionInvocations: 1,
} as const;

/** Operations of the deployments the cost table is computed for. */
export const COST_OPERATIONS = [1, 100] as const;

export interface MeasuredInputs {
  /** Median duration of a scheduled run (ms), measured with the restatement setting below. */
  readonly runMs: number;
  /** Module-init time of the bundle (ms), paid on each cold start. */
  readonly initMs: number;
  readonly s3PutsPerWindow: number;
  readonly checkpointPutsPerRun: number;
  readonly s3GetsPerRun: number;
  readonly bytesPerWindow: number;
  /** What the handler prints per run (Powertools log lines, the run-figures line, EMF), measured through the real handler. */
  readonly logBytesPerRun: number;
  /** Hours per month in which the handler sent each custom metric (CloudWatch bills a metric per hour it receives data). */
  readonly metricHoursPerMonth: Readonly<Record<string, number>>;
  readonly shared: SharedParts;
  /** The cdr_4_daily objects, when measured (bench/daily-tables.ts). */
  readonly daily?: DailyInputs | undefined;
}

/** What a deployment has once, whatever its number of operations, counted in the synthesized templates. */
export interface SharedParts {
  /** Alarms on metrics they list (the dead-letter queues) or on a metric math expression (silence). */
  readonly standardAlarms: number;
  /** Alarms on a Metrics Insights query (one per collector metric, every operation a contributor). */
  readonly metricsInsightsAlarms: number;
  readonly insightRules: number;
  readonly dashboards: number;
  /** Alarms in an operation stack or on one operation's resources (0: every alarm is shared). */
  readonly perOperationAlarms: number;
}

export interface DailyInputs {
  /** Distinct days a scheduled run touches (live window and restated window). */
  readonly touchedDaysPerRun: number;
  /** Time refreshDays adds to a run per touched day (ms, with S3 latency). */
  readonly refreshMsPerDay: number;
  /** Window objects re-read per run (each new or re-collected window once). */
  readonly windowGetsPerRun: number;
  readonly bytesPerDayObject: number;
}

const RUNS_PER_MONTH = 12 * 24 * 30;
const HOURS_PER_MONTH = 24 * 30;
/** Lambda's own START, END and REPORT lines of an invocation (what the handler prints is measured). */
const LAMBDA_PLATFORM_LOG_BYTES = 300;
/** A warm container every 5 minutes is usually kept; assume a cold start per hour to be safe. */
const COLD_STARTS_PER_MONTH = 24 * 30;
/** Secret re-read every 15 minutes per container plus once per cold start. */
const SECRET_CALLS_PER_MONTH = 4 * 24 * 30 + COLD_STARTS_PER_MONTH;

/** A line of the table: what it is, how it is computed, and $ per operation-month for each deployment size. */
export interface CostLine {
  readonly item: string;
  readonly arithmetic: string;
  /** $ per operation-month, in the order of COST_OPERATIONS. */
  readonly usd: readonly number[];
  /** Part of the fixed cost (secret, alarms, the rule): paid whether the operation collects or not. */
  readonly fixed: boolean;
}

export interface CostTable {
  readonly operations: readonly number[];
  readonly lines: readonly CostLine[];
  /** Total per operation-month for each deployment size (the dashboard is not in it: optional, and free for an account's first 3). */
  readonly total_usd: readonly number[];
  /** The fixed part per operation-month, the dashboard's share included. */
  readonly fixed_usd: readonly number[];
  readonly dashboard_usd: readonly number[];
  readonly priced_metrics: readonly string[];
}

export function costPerOperationMonth(m: MeasuredInputs, operations: readonly number[] = COST_OPERATIONS): CostTable {
  const gb = DEFAULT_MEMORY_MB / 1024;
  const gbSeconds = ((RUNS_PER_MONTH * m.runMs + COLD_STARTS_PER_MONTH * m.initMs) / 1000) * gb;
  const windows = RUNS_PER_MONTH;
  const puts = windows * m.s3PutsPerWindow + RUNS_PER_MONTH * m.checkpointPutsPerRun;
  const gets = RUNS_PER_MONTH * m.s3GetsPerRun;
  const storedGb = (windows * m.bytesPerWindow) / 1024 ** 3;
  const logGb = (RUNS_PER_MONTH * (m.logBytesPerRun + LAMBDA_PLATFORM_LOG_BYTES)) / 1024 ** 3;
  const metrics = metricHours(m.metricHoursPerMonth);
  const { shared } = m;
  const each = (usd: number) => operations.map(() => usd);
  const split = (usd: number) => operations.map((n) => usd / n);
  const schedulerUsd = operations.map((n) => (Math.max(0, n * RUNS_PER_MONTH - PRICES.schedulerFreeInvocations) / 1e6) * PRICES.schedulerPerMillionInvocations / n);
  const alarmsUsd = shared.standardAlarms * PRICES.alarmPerMonth;
  // Each query alarm analyzes one metric per operation while that metric has data.
  const insightAlarmsUsd = (metrics.total / HOURS_PER_MONTH) * PRICES.metricsInsightsAlarmPerMetricMonth;
  const ruleEventsUsd = (RUNS_PER_MONTH / 1e6) * PRICES.contributorInsightsPerMillionEvents;
  const line = (item: string, arithmetic: string, usd: readonly number[], fixed = false): CostLine => ({ item, arithmetic, usd: usd.map((u) => round(u, 4)), fixed });
  const lines: CostLine[] = [
    line('Lambda requests', `${RUNS_PER_MONTH} runs × $${PRICES.lambdaPerMillionRequests}/1M`, each((RUNS_PER_MONTH * PRICES.lambdaPerMillionRequests) / 1e6)),
    line('Lambda compute (arm64)', `(${RUNS_PER_MONTH} × ${round(m.runMs, 0)} ms + ${COLD_STARTS_PER_MONTH} cold starts × ${round(m.initMs, 0)} ms) × ${gb} GB = ${round(gbSeconds, 1)} GB-s`, each(gbSeconds * PRICES.lambdaGbSecondArm)),
    line('S3 PUT', `${windows} windows × ${m.s3PutsPerWindow} + ${RUNS_PER_MONTH} runs × ${m.checkpointPutsPerRun} state writes (checkpoint, lease) = ${Math.round(puts)}`, each((puts / 1000) * PRICES.s3PutPer1000)),
    line('S3 GET', `${RUNS_PER_MONTH} runs × ${m.s3GetsPerRun}`, each((gets / 1000) * PRICES.s3GetPer1000)),
    line('S3 storage, per month of data kept', `${windows} windows × ${m.bytesPerWindow} B = ${round(storedGb * 1024, 1)} MB`, each(storedGb * PRICES.s3StandardGbMonth)),
    line("Secrets Manager: the operation's secret", '1 secret', each(PRICES.secretPerMonth), true),
    line('Secrets Manager: reads', `${SECRET_CALLS_PER_MONTH} reads × $${PRICES.secretsPer10kCalls}/10k`, each((SECRET_CALLS_PER_MONTH / 10_000) * PRICES.secretsPer10kCalls)),
    line('CloudWatch Logs', `${RUNS_PER_MONTH} runs × (${m.logBytesPerRun} B printed by the handler + ${LAMBDA_PLATFORM_LOG_BYTES} B of Lambda's own lines)`, each(logGb * PRICES.logsIngestPerGb)),
    line('CloudWatch custom metrics (EMF)', `${metrics.arithmetic} = ${round(metrics.total, 1)} metric-hours × $${PRICES.customMetricPerMonth}/${HOURS_PER_MONTH} h`, each((metrics.total / HOURS_PER_MONTH) * PRICES.customMetricPerMonth)),
    line(
      'CloudWatch alarms',
      `${shared.standardAlarms} alarms × $${PRICES.alarmPerMonth} shared by the operations + ${shared.metricsInsightsAlarms} Metrics Insights alarms × $${PRICES.metricsInsightsAlarmPerMetricMonth} per metric analyzed (${round(metrics.total, 1)} metric-hours of the operation) + ${shared.perOperationAlarms} per operation, in the synthesized templates`,
      operations.map((n) => alarmsUsd / n + insightAlarmsUsd + shared.perOperationAlarms * PRICES.alarmPerMonth),
      true,
    ),
    line(
      'Contributor Insights rule (silence alarm)',
      `${shared.insightRules} rule × $${PRICES.contributorInsightsRulePerMonth} shared + ${RUNS_PER_MONTH} run-figures lines × $${PRICES.contributorInsightsPerMillionEvents}/1M`,
      operations.map((n) => (shared.insightRules * PRICES.contributorInsightsRulePerMonth) / n + ruleEventsUsd),
      true,
    ),
    line('EventBridge Scheduler', `${RUNS_PER_MONTH} invocations per operation; the first ${PRICES.schedulerFreeInvocations / 1e6} million a month are free`, schedulerUsd),
    line('S3 events, Glue (projection), saved log queries', 'no charge', each(0)),
    ...(m.daily ? dailyCostLines(m.daily).map(([item, arithmetic, usd]) => line(item, arithmetic, each(usd))) : []),
  ];
  const sum = (pick: (l: CostLine) => boolean) => operations.map((_, i) => lines.filter(pick).reduce((n, l) => n + (l.usd[i] ?? 0), 0));
  const dashboard = split(shared.dashboards * PRICES.dashboardPerMonth);
  const fixed = sum((l) => l.fixed);
  return {
    operations,
    lines,
    total_usd: sum(() => true).map((u) => round(u, 2)),
    fixed_usd: fixed.map((u, i) => round(u + (dashboard[i] ?? 0), 2)),
    dashboard_usd: dashboard.map((u) => round(u, 4)),
    priced_metrics: metrics.names,
  };
}

/**
 * The custom metrics line: every metric the handler can emit (ALARM_METRICS), with the hours it was
 * measured sending it, and any other measured name too: a metric the handler sends is never left
 * out of the bill.
 */
function metricHours(measured: Readonly<Record<string, number>>): { arithmetic: string; total: number; names: string[] } {
  const names = [...new Set([...ALARM_METRICS, ...Object.keys(measured)])];
  const hours = names.map((n) => [n, round(measured[n] ?? 0, 1)] as const);
  const when = (n: string) => (n in ALARM_METRIC_EMITTED ? ALARM_METRIC_EMITTED[n as keyof typeof ALARM_METRIC_EMITTED] : 'not an alarm metric');
  return {
    names,
    arithmetic: hours.map(([n, h]) => `${n} ${h} h (${when(n)})`).join(' + '),
    total: hours.reduce((t, [, h]) => t + h, 0),
  };
}

/**
 * What a deployment has once, counted in the stacks synthesized from cdk.json's context (no
 * bundling): alarms by kind, Contributor Insights rules, dashboards, and any alarm of an
 * operation's own (in an operation stack, or on a main-stack operation's function).
 */
export function sharedPartsInTemplates(context: Record<string, unknown> = cdkJsonContext()): SharedParts {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig(app.node, app.node.getAllContext());
  const { main, operations } = addCollectorStacks(app, config);
  const assembly = app.synth();
  type Resources = Record<string, { Type: string; Properties: { Metrics?: { Expression?: unknown }[]; Dimensions?: { Name: string }[] } }>;
  const resources = (name: string) => Object.values((assembly.getStackByName(name).template as { Resources: Resources }).Resources);
  const mainResources = resources(main.stackName);
  const alarms = mainResources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const isQuery = (r: (typeof alarms)[number]) => typeof r.Properties.Metrics?.[0]?.Expression === 'string' && String(r.Properties.Metrics[0].Expression).startsWith('SELECT');
  const ofOperation = (r: (typeof alarms)[number]) => (r.Properties.Dimensions ?? []).some((d) => d.Name === 'operation' || d.Name === 'FunctionName');
  const inOperationStacks = operations.flatMap((s) => resources(s.stackName)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
  const perOperation = alarms.filter(ofOperation).length + inOperationStacks;
  return {
    standardAlarms: alarms.filter((a) => !isQuery(a) && !ofOperation(a)).length,
    metricsInsightsAlarms: alarms.filter(isQuery).length,
    insightRules: mainResources.filter((r) => r.Type === 'AWS::CloudWatch::InsightRule').length,
    dashboards: mainResources.filter((r) => r.Type === 'AWS::CloudWatch::Dashboard').length,
    perOperationAlarms: perOperation / config.operations.length,
  };
}

function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
}

/** What keeping the day objects adds per operation-month: 1 LIST + 1 GET + 1 PUT per touched day, the changed windows' GETs, run time, storage. */
export function dailyCostLines(d: DailyInputs): (readonly [string, string, number])[] {
  const gb = DEFAULT_MEMORY_MB / 1024;
  const dayRuns = RUNS_PER_MONTH * d.touchedDaysPerRun;
  const gbSeconds = ((dayRuns * d.refreshMsPerDay) / 1000) * gb;
  const gets = dayRuns + RUNS_PER_MONTH * d.windowGetsPerRun;
  const storedGb = (30 * d.bytesPerDayObject) / 1024 ** 3;
  return [
    ['Day objects: Lambda compute', `${RUNS_PER_MONTH} runs × ${d.touchedDaysPerRun} days × ${round(d.refreshMsPerDay, 0)} ms × ${gb} GB = ${round(gbSeconds, 1)} GB-s`, gbSeconds * PRICES.lambdaGbSecondArm],
    ['Day objects: S3 LIST + PUT', `${Math.round(dayRuns)} touched days × (1 LIST + 1 PUT)`, (dayRuns / 1000) * (PRICES.s3ListPer1000 + PRICES.s3PutPer1000)],
    ['Day objects: S3 GET', `${Math.round(dayRuns)} day objects + ${RUNS_PER_MONTH} runs × ${d.windowGetsPerRun} windows = ${Math.round(gets)}`, (gets / 1000) * PRICES.s3GetPer1000],
    ['Day objects: S3 storage, per month of data kept', `30 days × ${d.bytesPerDayObject} B = ${round(storedGb * 1024, 2)} MB`, storedGb * PRICES.s3StandardGbMonth],
  ];
}

export function costMarkdown(cost: CostTable, note: string): string {
  const money = (u: number) => u.toFixed(4);
  const header = `| item | from the measured figures | ${cost.operations.map((n) => `$/operation-month, ${n} operation${n === 1 ? '' : 's'}`).join(' | ')} |`;
  const align = `| --- | --- |${cost.operations.map(() => ' ---: |').join('')}`;
  const rows = cost.lines.map((l) => `| ${l.item}${l.fixed ? ' (fixed)' : ''} | ${l.arithmetic} | ${l.usd.map(money).join(' | ')} |`);
  const total = `| **total** | | ${cost.total_usd.map((u) => `**${u.toFixed(2)}**`).join(' | ')} |`;
  const fixed = `| fixed part: the lines marked fixed, and the dashboard's $${PRICES.dashboardPerMonth.toFixed(2)} a month shared (${cost.dashboard_usd.map(money).join(' and ')}; not in the total: optional, and free for an account's first 3 dashboards) | | ${cost.fixed_usd.map((u) => u.toFixed(2)).join(' | ')} |`;
  return `${note}\n\n${header}\n${align}\n${rows.join('\n')}\n${total}\n${fixed}\n\nPrices: ${PRICES.region}. Athena is billed per query ($5/TB scanned; a month of one operation is a few MB).`;
}
