/**
 * Athena queries a data team will want, saved as named queries in the workgroup and quoted in
 * docs/infrastructure.md. `interval` is a reserved word in Athena: always double-quote it.
 * Every query filters on `dt` so that partition projection prunes to the last days only.
 */
import { DATA_TABLE, FETCH_TABLE } from '../lambda/domain/layout.ts';

export interface NamedQuerySpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** Windows per day on a wall clock without DST changes (24 h x 12). */
export const WINDOWS_PER_DAY = 288;

function since(days: number): string {
  return `dt >= date_format(current_date - interval '${days}' day, '%Y-%m-%d')`;
}

export function exampleQuery(database: string, server: string): string {
  return `SELECT window_start, "interval", calls, minutes, cost FROM "${database}"."${DATA_TABLE}" WHERE operation = '${server}' AND ${since(1)} ORDER BY window_start DESC, interval_min_seconds LIMIT 100`;
}

export function namedQueries(database: string): NamedQuerySpec[] {
  const data = `"${database}"."${DATA_TABLE}"`;
  const fetches = `"${database}"."${FETCH_TABLE}"`;
  return [
    {
      id: 'DailyDistributionByInterval',
      name: 'cdr_4: daily distribution by call-duration interval',
      description: 'Calls, minutes and share of the day per call-duration interval, last 7 days',
      sql: `SELECT operation, dt, "interval", interval_min_seconds, interval_max_seconds,
       SUM(calls) AS calls,
       ROUND(SUM(minutes), 2) AS minutes,
       ROUND(100.0 * SUM(calls) / NULLIF(SUM(SUM(calls)) OVER (PARTITION BY operation, dt), 0), 2) AS pct_of_day_calls
FROM ${data}
WHERE ${since(7)}
GROUP BY operation, dt, "interval", interval_min_seconds, interval_max_seconds
ORDER BY operation, dt DESC, interval_min_seconds NULLS LAST, "interval";`,
    },
    {
      id: 'CostAndMinutesByDay',
      name: 'cdr_4: cost and minutes by day',
      description: 'Calls, minutes and cost per operation and day, last 30 days',
      sql: `SELECT operation, dt,
       SUM(calls) AS calls,
       ROUND(SUM(minutes), 2) AS minutes,
       ROUND(SUM(cost), 2) AS cost,
       COUNT(DISTINCT window_start) AS windows_with_calls
FROM ${data}
WHERE ${since(30)}
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
WHERE ${since(14)}
GROUP BY operation, dt
ORDER BY operation, dt DESC;`,
    },
    {
      id: 'FetchFailuresByErrorClass',
      name: 'cdr_4: fetch failures by error class',
      description: 'Failed API calls per day and error class, with a sample message, last 7 days',
      sql: `SELECT operation, dt, error_class,
       COUNT(*) AS failures,
       COUNT_IF(retryable) AS retryable_failures,
       MIN(requested_at) AS first_seen,
       MAX(requested_at) AS last_seen,
       ARBITRARY(http_status) AS sample_http_status,
       ARBITRARY(error_message) AS sample_message
FROM ${fetches}
WHERE outcome IN ('failed', 'quarantined') AND ${since(7)}
GROUP BY operation, dt, error_class
ORDER BY dt DESC, failures DESC;`,
    },
  ];
}
