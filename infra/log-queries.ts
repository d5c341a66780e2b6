/**
 * CloudWatch Logs Insights queries over the collectors' log group, which every operation's
 * function logs to, each line naming its operation: saved in the stack
 * (AWS::Logs::QueryDefinition) and drawn on the dashboard. They read the figures every
 * invocation logs as one `run figures` line (lambda/domain/metrics.ts), which replace the
 * custom metrics that no alarm needs, and the engine's own log lines.
 */
import type { QueryStringProps } from 'aws-cdk-lib/aws-logs';
import { FIGURE_FIELD as F, figureField, METRIC_DIMENSION, RUN_FIGURES_MESSAGE } from '../lambda/domain/metrics.ts';

/** A saved query. */
export interface LogQuery {
  /** Last part of its name in the console (`{stack}/{name}`). */
  readonly name: string;
  readonly query: QueryStringProps;
}

/** The field naming the operation on every line the collector logs. */
const OP = METRIC_DIMENSION;
const FIGURES = `message = "${RUN_FIGURES_MESSAGE}"`;
/** The cap rides on each run-figures line of an operation that has one (lambda/handler.ts). */
const CAP_FIELD = 'daily_call_cap';

/**
 * The token's allowance in the run figures: gauges a run reports once it has read token_info
 * (the token's daily limit, today's use of every integration as best known, and the calls kept
 * for other integrations, TOKEN_RESERVE).
 */
export const TOKEN_FIELDS = { limit: figureField('TokenLimit'), useToday: figureField('TokenUseToday'), reserve: figureField('TokenReserve') } as const;
/** The engine's line for each token_info reading that could be used (lambda/collector/allowance.ts). */
export const TOKEN_READ_MESSAGE = 'token allowance read';

/** Adds `and operation = "<server>"` to the query's first filter, or nothing for every operation. */
function narrowed(query: QueryStringProps, operation: string | undefined): QueryStringProps {
  if (operation === undefined) return query;
  const only = `${OP} = "${operation}"`;
  const [first, ...rest] = query.filterStatements ?? [];
  return { ...query, filterStatements: [first === undefined ? only : `${first} and ${only}`, ...rest] };
}

/** Run figures per `bin`: collected windows (sum) and windows behind (max). */
export function windowsQuery(bin: string, operation?: string): QueryStringProps {
  return narrowed({ filterStatements: [FIGURES], statsStatements: [`sum(${F.windowsCollected}) as windows_collected, max(${F.windowsBehind}) as windows_behind by bin(${bin})`] }, operation);
}

/** API calls and failed calls per `bin`. */
export function callsQuery(bin: string, operation?: string): QueryStringProps {
  return narrowed({ filterStatements: [FIGURES], statsStatements: [`sum(${F.apiCalls}) as api_calls, sum(${F.fetchFailures}) as failed_calls by bin(${bin})`] }, operation);
}

/** The operation day's API calls (the counter DAILY_CALL_CAP applies to) per hour, with the cap of an operation that has one. */
export function callsTodayQuery(operation?: string): QueryStringProps {
  return narrowed({ filterStatements: [FIGURES], statsStatements: [`max(${F.dailyApiCalls}) as api_calls_today, max(${CAP_FIELD}) as ${CAP_FIELD} by bin(1h)`] }, operation);
}

/** The token's daily limit, its use today and the reserve kept for other integrations (max per hour: use only grows within a day). */
export function tokenAllowanceQuery(operation?: string): QueryStringProps {
  const T = TOKEN_FIELDS;
  return narrowed(
    { filterStatements: [`${FIGURES} and ispresent(${T.limit})`], statsStatements: [`max(${T.limit}) as ${T.limit}, max(${T.useToday}) as ${T.useToday}, max(${T.reserve}) as ${T.reserve} by bin(1h)`] },
    operation,
  );
}

/** Restated and backfilled windows (sum) and the backfill still queued (max) per `bin`. */
export function historyQuery(bin: string, operation?: string): QueryStringProps {
  return narrowed(
    {
      filterStatements: [FIGURES],
      statsStatements: [`sum(${F.windowsRestated}) as windows_restated, sum(${F.windowsBackfilled}) as windows_backfilled, max(${F.backfillWindowsRemaining}) as backfill_windows_remaining by bin(${bin})`],
    },
    operation,
  );
}

/** Every log line naming an error class (the per-call warnings and a failed run's error), by class. */
export function failuresByClassQuery(operation?: string): QueryStringProps {
  return narrowed({ filterStatements: ['ispresent(error_class)'], statsStatements: ['count(*) as failures by error_class'], sort: 'failures desc' }, operation);
}

/**
 * Each operation's latest run: when, and the figures that say whether it is well. Every run logs
 * its figures whatever happens, so an operation whose last run is old no longer runs (the
 * silence alarm's question: which one).
 */
export const OPERATIONS: QueryStringProps = {
  filterStatements: [FIGURES],
  statsStatements: [
    [
      'latest(@timestamp) as last_run',
      'count(*) as runs',
      `latest(${F.windowsBehind}) as windows_behind`,
      `latest(${F.dailyApiCalls}) as api_calls_today`,
      `latest(${CAP_FIELD}) as ${CAP_FIELD}`,
      `max(${F.tokenMissing}) as token_missing`,
      `max(${F.tokenBudgetExhausted}) as token_budget_exhausted`,
      `latest(${F.daysUnverified}) as days_unverified`,
      `latest(${F.backfillWindowsRemaining}) as backfill_windows_remaining`,
    ].join(', ') + ` by ${OP}`,
  ],
  sort: 'last_run asc',
};

/**
 * The saved queries, over every operation: those that count say so per operation, those that
 * list name the operation of each line. For one operation, add `and operation = "0032"` to the
 * first filter (the dashboard's operation picker does).
 */
export function logQueries(): LogQuery[] {
  return [
    { name: 'operations', query: OPERATIONS },
    {
      name: 'latest runs',
      query: {
        fields: ['@timestamp', OP, ...Object.values(F), CAP_FIELD],
        filterStatements: [FIGURES],
        sort: '@timestamp desc',
        limit: 1000,
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
          ].join(', ') + ` by ${OP}, bin(1h)`,
        ],
      },
    },
    {
      name: 'API calls today',
      query: { filterStatements: [FIGURES], statsStatements: [`latest(${F.dailyApiCalls}) as api_calls_today, latest(${CAP_FIELD}) as ${CAP_FIELD} by ${OP}`], sort: 'api_calls_today desc' },
    },
    {
      name: 'token allowance',
      query: {
        filterStatements: [`${FIGURES} and ispresent(${TOKEN_FIELDS.limit})`],
        statsStatements: [`max(${TOKEN_FIELDS.limit}) as ${TOKEN_FIELDS.limit}, max(${TOKEN_FIELDS.useToday}) as ${TOKEN_FIELDS.useToday}, max(${TOKEN_FIELDS.reserve}) as ${TOKEN_FIELDS.reserve} by ${OP}, bin(1h)`],
      },
    },
    {
      name: 'token allowance readings',
      query: {
        // The reading, or why it could not be used (history then keeps to DAILY_CALL_CAP).
        fields: ['@timestamp', OP, 'message', TOKEN_FIELDS.limit, TOKEN_FIELDS.useToday, 'reserve', 'reason'],
        filterStatements: [`(message = "${TOKEN_READ_MESSAGE}" or message like /^token_info could not be read/)`],
        sort: '@timestamp desc',
        limit: 1000,
      },
    },
    {
      name: 'failed calls by error class',
      query: { filterStatements: ['ispresent(error_class)'], statsStatements: [`count(*) as failures by ${OP}, error_class`], sort: 'failures desc' },
    },
    {
      name: 'quarantined windows',
      query: { fields: ['@timestamp', OP, 'window_start', 'message'], filterStatements: ['message like /quarantined/'], sort: '@timestamp desc', limit: 1000 },
    },
    {
      name: 'token trouble',
      query: {
        fields: ['@timestamp', OP, F.tokenMissing, F.tokenBudgetExhausted, F.dailyApiCalls],
        filterStatements: [`${FIGURES} and (${F.tokenMissing} > 0 or ${F.tokenBudgetExhausted} > 0)`],
        sort: '@timestamp desc',
        limit: 1000,
      },
    },
    {
      name: 'days unverified',
      query: { fields: ['@timestamp', OP, F.daysUnverified], filterStatements: [`${FIGURES} and ${F.daysUnverified} > 0`], sort: '@timestamp desc', limit: 1000 },
    },
    {
      name: 'backfill progress',
      query: {
        // Backquoted: `from` and `to` read like words of the query language.
        fields: ['@timestamp', OP, '`from`', '`to`', 'next', 'collected_this_run', 'skipped_stored', 'windows_remaining'],
        filterStatements: ['message = "backfill progress"'],
        sort: '@timestamp desc',
        limit: 1000,
      },
    },
  ];
}
