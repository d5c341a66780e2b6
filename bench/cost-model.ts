/**
 * 6. Monthly AWS cost of one operation, from the measured figures (nothing typed by hand but
 * list prices). us-east-1 list prices, no free tier, 30-day month.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../infra/config.ts';
import { DEFAULT_MEMORY_MB } from '../infra/constructs/collector-function.ts';
import { CollectorStack } from '../infra/stack.ts';
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
} as const;

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
  readonly alarms: AlarmCount;
  /** The cdr_4_daily objects, when measured (bench/daily-tables.ts). */
  readonly daily?: DailyInputs | undefined;
}

/** Alarms in the synthesized template: those of one operation, and those the stack has once. */
export interface AlarmCount {
  readonly perOperation: number;
  readonly shared: number;
  /** Operations of the configuration the template was synthesized from (the shared alarms are split over them). */
  readonly operations: number;
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

export function costPerOperationMonth(m: MeasuredInputs) {
  const gb = DEFAULT_MEMORY_MB / 1024;
  const gbSeconds = ((RUNS_PER_MONTH * m.runMs + COLD_STARTS_PER_MONTH * m.initMs) / 1000) * gb;
  const windows = RUNS_PER_MONTH;
  const puts = windows * m.s3PutsPerWindow + RUNS_PER_MONTH * m.checkpointPutsPerRun;
  const gets = RUNS_PER_MONTH * m.s3GetsPerRun;
  const storedGb = (windows * m.bytesPerWindow) / 1024 ** 3;
  const logGb = (RUNS_PER_MONTH * (m.logBytesPerRun + LAMBDA_PLATFORM_LOG_BYTES)) / 1024 ** 3;
  const metrics = metricHours(m.metricHoursPerMonth);
  const alarms = m.alarms.perOperation + m.alarms.shared / m.alarms.operations;
  const lines = [
    ['Lambda requests', `${RUNS_PER_MONTH} runs × $${PRICES.lambdaPerMillionRequests}/1M`, (RUNS_PER_MONTH * PRICES.lambdaPerMillionRequests) / 1e6],
    ['Lambda compute (arm64)', `(${RUNS_PER_MONTH} × ${round(m.runMs, 0)} ms + ${COLD_STARTS_PER_MONTH} cold starts × ${round(m.initMs, 0)} ms) × ${gb} GB = ${round(gbSeconds, 1)} GB-s`, gbSeconds * PRICES.lambdaGbSecondArm],
    ['S3 PUT', `${windows} windows × ${m.s3PutsPerWindow} + ${RUNS_PER_MONTH} runs × ${m.checkpointPutsPerRun} state writes (checkpoint, lease) = ${Math.round(puts)}`, (puts / 1000) * PRICES.s3PutPer1000],
    ['S3 GET', `${RUNS_PER_MONTH} runs × ${m.s3GetsPerRun}`, (gets / 1000) * PRICES.s3GetPer1000],
    ['S3 storage, per month of data kept', `${windows} windows × ${m.bytesPerWindow} B = ${round(storedGb * 1024, 1)} MB`, storedGb * PRICES.s3StandardGbMonth],
    ['Secrets Manager', `1 secret + ${SECRET_CALLS_PER_MONTH} reads`, PRICES.secretPerMonth + (SECRET_CALLS_PER_MONTH / 10_000) * PRICES.secretsPer10kCalls],
    ['CloudWatch Logs', `${RUNS_PER_MONTH} runs × (${m.logBytesPerRun} B printed by the handler + ${LAMBDA_PLATFORM_LOG_BYTES} B of Lambda's own lines)`, logGb * PRICES.logsIngestPerGb],
    ['CloudWatch custom metrics (EMF)', `${metrics.arithmetic} = ${round(metrics.total, 1)} metric-hours × $${PRICES.customMetricPerMonth}/${HOURS_PER_MONTH} h`, (metrics.total / HOURS_PER_MONTH) * PRICES.customMetricPerMonth],
    ['CloudWatch alarms', `${m.alarms.perOperation} per operation + ${m.alarms.shared} shared by ${m.alarms.operations} operation(s), in the synthesized template`, alarms * PRICES.alarmPerMonth],
    ['EventBridge schedule, S3 events, Glue (projection), saved log queries', 'no charge', 0],
  ] as const;
  const all = [...lines, ...(m.daily ? dailyCostLines(m.daily) : [])];
  const total = all.reduce((n, l) => n + l[2], 0);
  return { lines: all.map(([item, arithmetic, usd]) => ({ item, arithmetic, usd: round(usd, 4) })), total_usd: round(total, 2), priced_metrics: metrics.names };
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
 * Alarms of the stack as synthesized from cdk.json's context (no bundling): those on a metric
 * of one operation (its `operation` or its function) per operation, the rest shared.
 */
export function alarmsInTemplate(): AlarmCount {
  const context = (JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig(app.node, app.node.getAllContext());
  const stack = new CollectorStack(app, config.stackName, { stackName: config.stackName, config });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties: { Dimensions?: { Name: string }[] } }> };
  const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const ofOperation = alarms.filter((a) => (a.Properties.Dimensions ?? []).some((d) => d.Name === 'operation' || d.Name === 'FunctionName')).length;
  const operations = config.operations.length;
  if (ofOperation % operations !== 0) throw new Error(`${ofOperation} alarms of operations do not split evenly over ${operations} operations`);
  return { perOperation: ofOperation / operations, shared: alarms.length - ofOperation, operations };
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

export function costMarkdown(cost: ReturnType<typeof costPerOperationMonth>, note: string): string {
  const rows = cost.lines.map((l) => `| ${l.item} | ${l.arithmetic} | ${l.usd.toFixed(4)} |`).join('\n');
  return `${note}\n\n| item | from the measured figures | $/month |\n| --- | --- | ---: |\n${rows}\n| **total** | | **${cost.total_usd.toFixed(2)}** |\n\nPrices: ${PRICES.region}. Athena is billed per query ($5/TB scanned; a month of one operation is a few MB).`;
}
