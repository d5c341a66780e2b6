/**
 * Metric contract shared by the collector (which emits, via Powertools EMF in Lambda) and
 * the alarms in infra/. Every metric carries the dimension `operation`.
 */
export const METRICS_NAMESPACE = 'WolkvoxCollector';
export const METRIC_DIMENSION = 'operation';

export const METRIC = {
  /** Windows whose data object was written in this run (count). Freshness alarm: sum over 30 min < 1. */
  windowsCollected: 'WindowsCollected',
  /** API calls that failed (count), any class. */
  fetchFailures: 'FetchFailures',
  /** API calls made (count). */
  apiCalls: 'ApiCalls',
  /** Rows written (count). */
  rowsWritten: 'RowsWritten',
  /** Due windows not yet collected at the end of the run (count). */
  windowsBehind: 'WindowsBehind',
  /** 1 when the run could not call the API because the token secret is empty. */
  tokenMissing: 'TokenMissing',
  /** 1 when the vendor said the token's daily limit is spent, or the collector's own cap was reached. */
  tokenBudgetExhausted: 'TokenBudgetExhausted',
  /** Windows re-collected for late data (revision 2) in this run. */
  windowsRestated: 'WindowsRestated',
  /** Windows of requested backfills collected in this run (count). */
  windowsBackfilled: 'WindowsBackfilled',
  /** Windows of requested backfills still to collect at the end of the run. */
  backfillWindowsRemaining: 'BackfillWindowsRemaining',
  /** Windows quarantined in this run (repeated non-transient failures). */
  windowsQuarantined: 'WindowsQuarantined',
  /** API calls made so far on the operation's current day (gauge), against DAILY_CALL_CAP. */
  dailyApiCalls: 'DailyApiCalls',
} as const;

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
} as const;
