/**
 * Athena queries a data team will want, saved as named queries in the workgroup and quoted in
 * docs/infrastructure.md. `interval` is a reserved word in Athena: always double-quote it.
 *
 * Every query filters on `dt` so that partition projection prunes to the days asked for. `dt` is
 * a day of the operation's wall clock, while Athena's `current_date` is the UTC day: "today" is
 * taken in each operation's zone instead, with an expression that has no column in it, so
 * Athena folds it to a constant and still prunes. Queries over more than one day read
 * `cdr_4_daily` (one Parquet object per day instead of 288 small JSON objects); same-day and
 * per-window queries read `cdr_4`; completeness and failures read the fetch log, and whether the
 * vendor's totals confirmed a day reads `cdr_4_verifications`.
 */
import { DAILY_TABLE, DATA_TABLE, FETCH_TABLE, VERIFICATION_TABLE } from '../lambda/domain/layout.ts';

export interface NamedQuerySpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** What a query needs to know of an operation. */
export interface QueryOperation {
  readonly server: string;
  readonly timezone: string;
}

/** Windows per day on a wall clock without DST changes (24 h x 12). */
export const WINDOWS_PER_DAY = 288;

/** `YYYY-MM-DD` of the operation's current day minus `days`, as a constant Trino expression. */
export function localDay(timezone: string, days = 0): string {
  const today = `date(current_timestamp AT TIME ZONE '${timezone}')`;
  return `date_format(${days === 0 ? today : `${today} - interval '${days}' day`}, '%Y-%m-%d')`;
}

/**
 * `dt` filter from `days` days before each operation's today (`>=`), or today only (`=`), in
 * each operation's own zone. With several zones, a constant lower bound (the earliest of the
 * zones' days) comes first so the projection prunes whatever the planner makes of the OR.
 */
export function dayFilter(operations: readonly QueryOperation[], days: number, comparison: '>=' | '=' = '>='): string {
  const byZone = new Map<string, string[]>();
  for (const op of operations) byZone.set(op.timezone, [...(byZone.get(op.timezone) ?? []), op.server]);
  const zones = [...byZone.keys()];
  if (zones.length === 0) throw new Error('dayFilter: no operation');
  if (zones.length === 1) return `dt ${comparison} ${localDay(zones[0]!, days)}`;
  const perZone = [...byZone].map(([zone, servers]) => `(operation IN (${servers.map((s) => `'${s}'`).join(', ')}) AND dt ${comparison} ${localDay(zone, days)})`);
  return `dt >= least(${zones.map((z) => localDay(z, days)).join(', ')}) AND (${perZone.join(' OR ')})`;
}

/** Latest windows of one operation: the stack's `ExampleQuery` output. */
export function exampleQuery(database: string, op: QueryOperation): string {
  return `SELECT window_start, "interval", calls, minutes, cost FROM "${database}"."${DATA_TABLE}" WHERE operation = '${op.server}' AND ${dayFilter([op], 1)} ORDER BY window_start DESC, interval_min_seconds LIMIT 100`;
}

export function namedQueries(database: string, operations: readonly QueryOperation[]): NamedQuerySpec[] {
  const data = `"${database}"."${DATA_TABLE}"`;
  const daily = `"${database}"."${DAILY_TABLE}"`;
  const fetches = `"${database}"."${FETCH_TABLE}"`;
  const verifications = `"${database}"."${VERIFICATION_TABLE}"`;
  return [
    {
      id: 'TodayByHour',
      name: 'cdr_4: today by hour',
      description: "Calls, minutes and cost per hour of the operation's current day so far, from the 5-minute windows",
      sql: `SELECT operation, dt, hour,
       COUNT(DISTINCT window_start) AS windows_with_calls,
       SUM(calls) AS calls,
       ROUND(SUM(minutes), 2) AS minutes,
       ROUND(SUM(cost), 2) AS cost
FROM ${data}
WHERE ${dayFilter(operations, 0, '=')}
GROUP BY operation, dt, hour
ORDER BY operation, hour;`,
    },
    {
      id: 'DailyDistributionByInterval',
      name: 'cdr_4: daily distribution by call-duration interval',
      description: 'Calls, minutes and share of the day per call-duration interval, last 7 days and today (operation time)',
      sql: `SELECT operation, dt, "interval", interval_min_seconds, interval_max_seconds,
       SUM(calls) AS calls,
       ROUND(SUM(minutes), 2) AS minutes,
       ROUND(100.0 * SUM(calls) / NULLIF(SUM(SUM(calls)) OVER (PARTITION BY operation, dt), 0), 2) AS pct_of_day_calls
FROM ${daily}
WHERE ${dayFilter(operations, 7)}
GROUP BY operation, dt, "interval", interval_min_seconds, interval_max_seconds
ORDER BY operation, dt DESC, interval_min_seconds NULLS LAST, "interval";`,
    },
    {
      id: 'CostAndMinutesByDay',
      name: 'cdr_4: cost and minutes by day',
      description: 'Calls, minutes and cost per operation and day, last 30 days and today (operation time)',
      sql: `SELECT operation, dt,
       SUM(calls) AS calls,
       ROUND(SUM(minutes), 2) AS minutes,
       ROUND(SUM(cost), 2) AS cost,
       COUNT(DISTINCT window_start) AS windows_with_calls
FROM ${daily}
WHERE ${dayFilter(operations, 30)}
GROUP BY operation, dt
ORDER BY operation, dt DESC;`,
    },
    {
      id: 'WindowsCollectedPerDay',
      name: 'cdr_4: windows collected vs expected per day',
      description: `Windows collected (data or confirmed empty) per day against ${WINDOWS_PER_DAY}; today is partial, a spring-forward day has 276 and a fall-back day 288 (its repeated hour is one set of labels)`,
      sql: `SELECT operation, dt,
       COUNT(DISTINCT CASE WHEN outcome IN ('collected', 'empty') THEN window_start END) AS windows_collected,
       ${WINDOWS_PER_DAY} AS windows_expected,
       ${WINDOWS_PER_DAY} - COUNT(DISTINCT CASE WHEN outcome IN ('collected', 'empty') THEN window_start END) AS windows_missing,
       COUNT(*) AS api_calls,
       COUNT_IF(outcome IN ('failed', 'quarantined')) AS failed_calls
FROM ${fetches}
WHERE ${dayFilter(operations, 14)}
GROUP BY operation, dt
ORDER BY operation, dt DESC;`,
    },
    {
      id: 'FetchFailuresByErrorClass',
      name: 'cdr_4: fetch failures by error class',
      description: 'Failed API calls per day and error class, with a sample message, last 7 days and today (operation time)',
      sql: `SELECT operation, dt, error_class,
       COUNT(*) AS failures,
       COUNT_IF(retryable) AS retryable_failures,
       MIN(requested_at) AS first_seen,
       MAX(requested_at) AS last_seen,
       ARBITRARY(http_status) AS sample_http_status,
       ARBITRARY(error_message) AS sample_message
FROM ${fetches}
WHERE outcome IN ('failed', 'quarantined') AND ${dayFilter(operations, 7)}
GROUP BY operation, dt, error_class
ORDER BY dt DESC, failures DESC;`,
    },
    {
      id: 'DaysNotVerified',
      name: 'cdr_4: days not verified',
      description: "Days whose latest verification record is not 'verified' (pending, or changed and due for another check), with that record's totals, last 30 days and today (operation time)",
      // A day's records are only ever added: the latest one (max_by over checked_at) says where it stands.
      sql: `SELECT operation, dt,
       max_by(status, checked_at) AS status,
       MAX(checked_at) AS last_checked_at,
       max_by(vendor_calls, checked_at) AS vendor_calls,
       max_by(stored_calls, checked_at) AS stored_calls,
       COUNT_IF(status = 'changed') AS checks_changed,
       SUM(api_calls) AS api_calls_spent
FROM ${verifications}
WHERE ${dayFilter(operations, 30)}
GROUP BY operation, dt
HAVING max_by(status, checked_at) <> 'verified'
ORDER BY operation, dt;`,
    },
  ];
}
