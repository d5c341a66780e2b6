/**
 * Metric contract shared by the collector and the alarms in infra/.
 *
 * The engine and the handler report every figure of a run through `MetricsPort.count(METRIC.x, n)`.
 * What becomes of a figure depends on where the run is: the CLI sums them for its summary; in
 * Lambda every figure is a field of one structured log line per invocation (`RUN_FIGURES_MESSAGE`,
 * read by the saved Logs Insights queries and the dashboard), and only the few figures an alarm
 * watches also become CloudWatch custom metrics (`ALARM_METRIC`): each metric name costs $0.30 a
 * month per operation, a log field next to nothing.
 */
export const METRICS_NAMESPACE = 'WolkvoxCollector';
export const METRIC_DIMENSION = 'operation';
/** POWERTOOLS_SERVICE_NAME: the handler's Logger and Metrics use it, the stack sets it. */
export const SERVICE_NAME = 'wolkvox-collector';

/** Figures a run reports (MetricsPort names). */
export const METRIC = {
  /** Windows whose data object was written in this run (count). */
  windowsCollected: 'WindowsCollected',
  /** API calls that failed (count), any class. */
  fetchFailures: 'FetchFailures',
  /** API calls made (count). */
  apiCalls: 'ApiCalls',
  /** Rows written (count). */
  rowsWritten: 'RowsWritten',
  /** Due windows not yet collected at the end of the run (gauge); windows deferred on purpose are not behind. */
  windowsBehind: 'WindowsBehind',
  /** 1 when the run could not call the API because the token secret is empty. */
  tokenMissing: 'TokenMissing',
  /** 1 when the vendor said the token's daily limit is spent, or the collector's own cap held back work. */
  tokenBudgetExhausted: 'TokenBudgetExhausted',
  /** Windows re-collected for late data (revision 2) in this run. */
  windowsRestated: 'WindowsRestated',
  /** Windows of requested backfills collected in this run (count). */
  windowsBackfilled: 'WindowsBackfilled',
  /** Windows of requested backfills still to collect at the end of the run (gauge). */
  backfillWindowsRemaining: 'BackfillWindowsRemaining',
  /** Windows quarantined in this run (repeated non-transient failures). */
  windowsQuarantined: 'WindowsQuarantined',
  /** API calls made so far on the operation's current day (gauge), against DAILY_CALL_CAP. */
  dailyApiCalls: 'DailyApiCalls',
  /**
   * Operation days past the verification bound still not verified against the vendor's totals,
   * plus the days this run concluded cannot be (found not to add up, or at their bound on
   * checking): those raise the alarm once (gauge).
   */
  daysUnverified: 'DaysUnverified',
  /** Days this run found not to add up: the vendor's totals for them are not additive (count). */
  daysUnreconcilable: 'DaysUnreconcilable',
  /** Days this run left unverified at their bound on checking (count). */
  daysLeftUnverified: 'DaysLeftUnverified',
  /** 1 while the operation collects without relying on additive totals (two days did not add up) (gauge). */
  vendorNotAdditive: 'VendorNotAdditive',
  /** The token's daily limit, its calls today (every integration's, as best known) and the reserve kept for others, when read (gauges). */
  tokenLimit: 'TokenLimit',
  tokenUseToday: 'TokenUseToday',
  tokenReserve: 'TokenReserve',
  /** Days since any answer showed a call, once that is longer than the bound (gauge). */
  reportSilentDays: 'ReportSilentDays',
} as const;

export type FigureName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Figures that describe the state at the end of the run rather than what the run did: reported
 * twice in one run, the later value stands (counts add up).
 */
export const GAUGES: ReadonlySet<string> = new Set<string>([METRIC.windowsBehind, METRIC.backfillWindowsRemaining, METRIC.dailyApiCalls, METRIC.daysUnverified, METRIC.vendorNotAdditive, METRIC.tokenLimit, METRIC.tokenUseToday, METRIC.tokenReserve, METRIC.reportSilentDays]);

/** `message` of the one log line per Lambda invocation that carries every figure. */
export const RUN_FIGURES_MESSAGE = 'run figures';

/** Log field of a figure: snake_case of its name (`DailyApiCalls` → `daily_api_calls`). Queries and dashboards read these. */
export function figureField(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** The log field of each figure, by METRIC key. */
export const FIGURE_FIELD = Object.fromEntries(Object.entries(METRIC).map(([key, name]) => [key, figureField(name)])) as { readonly [K in keyof typeof METRIC]: string };

/**
 * The custom metrics (EMF) the Lambda emits, all with the one dimension `operation`: exactly the
 * metrics the alarms watch, at most 4 per operation.
 */
export const ALARM_METRIC = {
  /** = WindowsBehind, emitted only when at least 1 (a run that stopped reporting is the silence alarm's, read from the run-figures lines). */
  windowsBehind: METRIC.windowsBehind,
  /** 1 when TokenMissing or TokenBudgetExhausted was reported; emitted only then. */
  tokenTrouble: 'TokenTrouble',
  /** = DaysUnverified, emitted only when at least 1. */
  daysUnverified: METRIC.daysUnverified,
  /** = ReportSilentDays, emitted only when the report has shown no call for longer than the bound. */
  reportSilent: METRIC.reportSilentDays,
} as const;

export type AlarmMetricName = (typeof ALARM_METRIC)[keyof typeof ALARM_METRIC];
export const ALARM_METRICS: readonly AlarmMetricName[] = Object.values(ALARM_METRIC);

/**
 * When each custom metric is emitted. CloudWatch bills a custom metric per hour in which it
 * receives data, so a metric sent only when something is wrong costs nothing while all is well;
 * its alarm reads no data as not breaching. Whether runs happen at all is told by the run-figures
 * log line every run writes, not by a metric (one metric per operation would cost $0.30 a month each).
 */
export const ALARM_METRIC_EMITTED: { readonly [M in AlarmMetricName]: 'every run' | 'when at least 1' } = {
  WindowsBehind: 'when at least 1',
  TokenTrouble: 'when at least 1',
  DaysUnverified: 'when at least 1',
  ReportSilentDays: 'when at least 1',
};

/** The custom metrics of one run from its figures (as summed or last reported), in ALARM_METRICS order. */
export function alarmMetricsOf(figures: ReadonlyMap<string, number>): { name: AlarmMetricName; value: number }[] {
  const out: { name: AlarmMetricName; value: number }[] = [];
  const behind = figures.get(METRIC.windowsBehind) ?? 0;
  if (behind >= 1) out.push({ name: ALARM_METRIC.windowsBehind, value: behind });
  if ((figures.get(METRIC.tokenMissing) ?? 0) > 0 || (figures.get(METRIC.tokenBudgetExhausted) ?? 0) > 0) out.push({ name: ALARM_METRIC.tokenTrouble, value: 1 });
  const unverified = figures.get(METRIC.daysUnverified) ?? 0;
  if (unverified >= 1) out.push({ name: ALARM_METRIC.daysUnverified, value: unverified });
  const silent = figures.get(METRIC.reportSilentDays) ?? 0;
  if (silent >= 1) out.push({ name: ALARM_METRIC.reportSilent, value: silent });
  return out;
}

/**
 * The fields of the run-figures log line: every count figure (0 when not reported, so each
 * line has the same fields), gauges only when reported (no value is not a 0), and any other
 * name reported, all as snake_case.
 */
export function figureFields(figures: ReadonlyMap<string, number>): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const name of Object.values(METRIC)) if (!GAUGES.has(name)) fields[figureField(name)] = 0;
  for (const [name, value] of figures) fields[figureField(name)] = value;
  return fields;
}

/** Environment variables of the Lambda function: the stack sets exactly these. */
export const LAMBDA_ENV = {
  server: 'WOLKVOX_SERVER',
  timeZone: 'WOLKVOX_TIMEZONE',
  tokenSecretId: 'WOLKVOX_TOKEN_SECRET_ID',
  baseUrl: 'WOLKVOX_BASE_URL',
  bucket: 'BUCKET_NAME',
  prefix: 'DATA_PREFIX',
  settleMinutes: 'SETTLE_MINUTES',
  restateAfterMinutes: 'RESTATE_AFTER_MINUTES',
  dailyCallCap: 'DAILY_CALL_CAP',
  /** wolkvox:firstDay (YYYY-MM-DD): no backfill request reaches before it. */
  firstDay: 'FIRST_DAY',
  tokenReserve: 'TOKEN_RESERVE',
  checkShare: 'CHECK_SHARE',
  tokenInfoEveryMinutes: 'TOKEN_INFO_EVERY_MINUTES',
  silentDays: 'SILENT_DAYS',
} as const;
