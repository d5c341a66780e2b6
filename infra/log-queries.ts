/**
 * CloudWatch Logs Insights queries over one operation's log group: saved in the stack
 * (AWS::Logs::QueryDefinition) and drawn on the dashboard. They read the figures every
 * invocation logs as one `run figures` line (lambda/domain/metrics.ts), which replace the
 * custom metrics that no alarm needs, and the engine's own log lines.
 */
import type { QueryStringProps } from 'aws-cdk-lib/aws-logs';
import { FIGURE_FIELD as F, RUN_FIGURES_MESSAGE } from '../lambda/domain/metrics.ts';

/** A saved query of one operation. */
export interface LogQuery {
  /** Last part of its name in the console (`{stack}/{server}/{name}`). */
  readonly name: string;
  readonly query: QueryStringProps;
}

const FIGURES = `message = "${RUN_FIGURES_MESSAGE}"`;

/** Run figures per `bin`: collected windows (sum) and windows behind (max). */
export function windowsQuery(bin: string): QueryStringProps {
  return { filterStatements: [FIGURES], statsStatements: [`sum(${F.windowsCollected}) as windows_collected, max(${F.windowsBehind}) as windows_behind by bin(${bin})`] };
}

/** API calls and failed calls per `bin`. */
export function callsQuery(bin: string): QueryStringProps {
  return { filterStatements: [FIGURES], statsStatements: [`sum(${F.apiCalls}) as api_calls, sum(${F.fetchFailures}) as failed_calls by bin(${bin})`] };
}

/** The operation day's API calls so far (the counter DAILY_CALL_CAP applies to), with the cap when there is one. */
export function callsTodayQuery(dailyCallCap: number | undefined): QueryStringProps {
  const cap = dailyCallCap !== undefined ? ', max(daily_call_cap) as daily_call_cap' : '';
  return { filterStatements: [FIGURES], statsStatements: [`max(${F.dailyApiCalls}) as api_calls_today${cap} by bin(1h)`] };
}

/** Restated and backfilled windows (sum) and the backfill still queued (max) per `bin`. */
export function historyQuery(bin: string): QueryStringProps {
  return {
    filterStatements: [FIGURES],
    statsStatements: [`sum(${F.windowsRestated}) as windows_restated, sum(${F.windowsBackfilled}) as windows_backfilled, max(${F.backfillWindowsRemaining}) as backfill_windows_remaining by bin(${bin})`],
  };
}

/** Every log line naming an error class: the per-call warnings and a failed run's error. */
export const FAILURES_BY_CLASS: QueryStringProps = {
  fields: ['error_class'],
  filterStatements: ['ispresent(error_class)'],
  statsStatements: ['count(*) as failures by error_class'],
  sort: 'failures desc',
};

/** The saved queries of one operation. */
export function operationLogQueries(options: { readonly dailyCallCap?: number | undefined } = {}): LogQuery[] {
  return [
    {
      name: 'latest runs',
      query: {
        fields: ['@timestamp', ...Object.values(F)],
        filterStatements: [FIGURES],
        sort: '@timestamp desc',
        limit: 288,
      },
    },
    {
      name: 'figures per hour',
      query: {
        filterStatements: [FIGURES],
        statsStatements: [
          [
            'count(*) as runs',
            `sum(${F.apiCalls}) as api_calls`,
            `sum(${F.fetchFailures}) as failed_calls`,
            `sum(${F.windowsCollected}) as windows_collected`,
            `sum(${F.rowsWritten}) as rows_written`,
            `sum(${F.windowsRestated}) as windows_restated`,
            `sum(${F.windowsBackfilled}) as windows_backfilled`,
            `sum(${F.windowsQuarantined}) as windows_quarantined`,
            `max(${F.windowsBehind}) as windows_behind`,
            `max(${F.backfillWindowsRemaining}) as backfill_windows_remaining`,
            `max(${F.dailyApiCalls}) as api_calls_today`,
            `max(${F.daysUnverified}) as days_unverified`,
          ].join(', ') + ' by bin(1h)',
        ],
      },
    },
    { name: 'API calls today', query: callsTodayQuery(options.dailyCallCap) },
    { name: 'failed calls by error class', query: FAILURES_BY_CLASS },
    {
      name: 'quarantined windows',
      query: { fields: ['@timestamp', 'window_start', 'message'], filterStatements: ['message like /quarantined/'], sort: '@timestamp desc', limit: 100 },
    },
    {
      name: 'token trouble',
      query: {
        fields: ['@timestamp', F.tokenMissing, F.tokenBudgetExhausted, F.dailyApiCalls],
        filterStatements: [`${FIGURES} and (${F.tokenMissing} > 0 or ${F.tokenBudgetExhausted} > 0)`],
        sort: '@timestamp desc',
        limit: 100,
      },
    },
    {
      name: 'days unverified',
      query: { fields: ['@timestamp', F.daysUnverified], filterStatements: [`${FIGURES} and ${F.daysUnverified} > 0`], sort: '@timestamp desc', limit: 100 },
    },
    {
      name: 'backfill progress',
      query: {
        // Backquoted: `from` and `to` read like words of the query language.
        fields: ['@timestamp', '`from`', '`to`', 'next', 'collected_this_run', 'skipped_stored', 'windows_remaining'],
        filterStatements: ['message = "backfill progress"'],
        sort: '@timestamp desc',
        limit: 100,
      },
    },
  ];
}
