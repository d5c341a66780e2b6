import type { Context } from 'aws-lambda';
import type { LambdaConfig } from '../config.ts';
import type { Log, MetricsPort } from '../collector/ports.ts';
import { refreshDays } from '../collector/day-objects.ts';
import { runLive, type RunReport } from '../collector/runs.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CollectorError, LeaseHeldError, SecretError } from '../domain/errors.ts';
import type { LeaseStore } from '../storage/lease-store.ts';
import { labelOf } from '../domain/checkpoint.ts';
import { METRIC } from '../domain/metrics.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { Cdr4Client } from '../wolkvox/cdr4-client.ts';
import type { TokenProvider } from '../wolkvox/token-provider.ts';
import { parseCollectorEvent } from './lambda-event.ts';

export interface HandlerDeps {
  readonly config: LambdaConfig;
  readonly store: ObjectStore;
  /** Where the run takes the operation's lease (one collector per operation, CLI runs included). */
  readonly leases: LeaseStore;
  readonly token: TokenProvider;
  readonly client: Cdr4Client;
  readonly log: Log;
  /** Figures of one invocation; `publish` flushes them (in Lambda one log line plus the alarm metrics: runtime/telemetry.ts). */
  readonly metrics: MetricsPort & { publish(): void };
  readonly clock?: () => number;
  /** Backoff between in-run retries; tests pass a no-op. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HandlerResult {
  readonly windowsCollected: number;
  readonly windowsQuarantined: number;
  readonly windowsBehind: number;
  readonly apiCalls: number;
  /**
   * `lease-held`: another collector (a CLI run) holds the operation: this run made no API call,
   * or, when it lost the lease mid-run, stopped at once (the counts here are then 0; its
   * run figures still count its calls, and what it stored stays).
   */
  readonly stopReason: RunReport['stopReason'] | 'lease-held';
  readonly firstWindow: string | null;
  readonly lastWindow: string | null;
  readonly restated: number;
  readonly backfilled: number;
  readonly backfillRemaining: number;
  readonly budgetExhausted: boolean;
  /** Days this run verified against Wolkvox's day totals. */
  readonly daysVerified: readonly string[];
  /** Days whose check found changes this run (the windows that differed were re-collected). */
  readonly daysChanged: readonly string[];
  /** API calls this run spent on verification (day calls, narrowing, re-collected windows). */
  readonly verificationCalls: number;
  /** Days with windows stored and not verified yet; of those, ended more than 3 days ago (the DaysUnverified alarm). */
  readonly daysPending: number;
  readonly daysUnverifiedPastBound: number;
}

/** Stop this long before Lambda would kill the run: room to write the checkpoint. */
const SAFETY_MARGIN_MS = 10_000;

export function createHandler(deps: HandlerDeps) {
  const clock = deps.clock ?? Date.now;
  // Lambda never overlaps invocations in one container, but a test or a local caller may:
  // runs take turns, so the token is never used twice at once and checkpoints never race.
  let turn: Promise<unknown> = Promise.resolve();
  const handle = async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<HandlerResult> => {
    try {
      const request = parseCollectorEvent(event);
      try {
        await deps.token.get();
      } catch (error) {
        if (error instanceof SecretError) deps.metrics.count(METRIC.tokenMissing, 1);
        throw error;
      }
      const { config } = deps;
      const deadline = clock() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
      const holder = { kind: 'lambda' as const, host: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? hostname(), pid: process.pid, run: randomBytes(6).toString('hex') };
      const report = await runLive(
        {
          client: deps.client,
          token: deps.token,
          store: deps.store,
          leases: deps.leases,
          holder,
          log: deps.log,
          metrics: deps.metrics,
          clock,
          // Day objects left for lack of time stay marked and are refreshed by the next run.
          refreshDays: (days) => refreshDays(deps.store, { prefix: config.prefix, operation: config.server }, days, { log: deps.log, shouldStop: () => clock() > deadline }),
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
        },
        {
          operation: config.server,
          prefix: config.prefix,
          timeZone: config.timeZone,
          settleMinutes: config.settleMinutes,
          requestTimeoutMs: config.requestTimeoutMs,
          restateAfterMinutes: config.restateAfterMinutes,
          dailyCallCap: config.dailyCallCap,
          verifyAfterMinutes: config.verifyAfterMinutes,
          quietFreshnessMinutes: config.quietFreshnessMinutes,
          deadline,
          ...(request.kind === 'backfill' ? { backfill: { fromWall: request.fromWall, toWall: request.toWall, refetch: request.refetch } } : {}),
        },
      ).catch((error: unknown) => {
        if (!(error instanceof LeaseHeldError)) throw error;
        // A CLI run on the same bucket is working: not a failure; live windows are caught up once it is done.
        deps.log.warn('another collector holds the operation\'s lease: this run makes no further API call', { message: error.message });
        return undefined;
      });
      if (report === undefined) {
        const skipped: HandlerResult = { windowsCollected: 0, windowsQuarantined: 0, windowsBehind: 0, apiCalls: 0, stopReason: 'lease-held', firstWindow: null, lastWindow: null, restated: 0, backfilled: 0, backfillRemaining: 0, budgetExhausted: false, daysVerified: [], daysChanged: [], verificationCalls: 0, daysPending: 0, daysUnverifiedPastBound: 0 };
        return skipped;
      }
      const { first, last } = report.collected;
      const result: HandlerResult = {
        windowsCollected: report.collected.count,
        windowsQuarantined: report.quarantined.length,
        windowsBehind: report.windowsBehind,
        apiCalls: report.apiCalls,
        stopReason: report.stopReason,
        firstWindow: first ? labelOf(first) : null,
        lastWindow: last ? labelOf(last) : null,
        restated: report.restated,
        backfilled: report.backfilled,
        backfillRemaining: report.backfillRemaining,
        budgetExhausted: report.budgetExhausted,
        daysVerified: report.verification.verified,
        daysChanged: report.verification.changed,
        verificationCalls: report.verification.apiCalls,
        daysPending: report.verification.pending,
        daysUnverifiedPastBound: report.verification.pastBound,
      };
      deps.log.info('run finished', { ...result });
      if (report.stoppedAt && !report.stoppedAt.error.retryable) {
        // Progress is saved; failing the invocation makes the error alarm fire.
        throw report.stoppedAt.error;
      }
      if (report.stoppedAt) deps.log.warn('run stopped early; the next run resumes there', { window_start: labelOf(report.stoppedAt.window), reason: report.stoppedAt.error.message });
      return result;
    } catch (error) {
      deps.log.error('run failed', {
        error_class: error instanceof Error ? error.name : 'UnknownError',
        message: error instanceof Error ? error.message : String(error),
        retryable: error instanceof CollectorError ? error.retryable : undefined,
      });
      throw error;
    } finally {
      deps.metrics.publish();
    }
  };
  return (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<HandlerResult> => {
    const run = turn.then(() => handle(event, context));
    turn = run.catch(() => undefined);
    return run;
  };
}
