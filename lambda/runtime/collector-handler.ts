import type { Context } from 'aws-lambda';
import type { LambdaConfig } from '../config.ts';
import type { Log, MetricsPort } from '../collector/ports.ts';
import { refreshDays } from '../collector/day-objects.ts';
import { runLive } from '../collector/runs.ts';
import { loadState } from '../collector/run-state.ts';
import { idleReport, lambdaResultOf, type LambdaResult } from '../collector/run-report.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CollectorError, LeaseHeldError, SecretError } from '../domain/errors.ts';
import type { LeaseStore } from '../storage/lease-store.ts';
import { describeWindow } from '../domain/window.ts';
import { METRIC } from '../domain/metrics.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { Cdr4Client } from '../wolkvox/cdr4-client.ts';
import type { TokenProvider } from '../wolkvox/token-provider.ts';
import { type BackfillRequest, parseCollectorEvent, refuseQueueOverflow } from './lambda-event.ts';

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

/** What an invocation returns (the run's report, as the Lambda tells it). */
export type HandlerResult = LambdaResult;

/** Stop this long before Lambda would kill the run: room to write the checkpoint. */
const SAFETY_MARGIN_MS = 10_000;

export function createHandler(deps: HandlerDeps) {
  const clock = deps.clock ?? Date.now;
  // Lambda never overlaps invocations in one container, but a test or a local caller may:
  // runs take turns, so the token is never used twice at once and checkpoints never race.
  let turn: Promise<unknown> = Promise.resolve();
  const handle = async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<HandlerResult> => {
    try {
      const { config } = deps;
      const request = parseCollectorEvent(event, { now: clock(), timeZone: config.timeZone, firstDay: config.firstDay });
      if (request.kind === 'backfill') await refuseBeyondQueue(deps, request);
      try {
        await deps.token.get();
      } catch (error) {
        if (error instanceof SecretError) deps.metrics.count(METRIC.tokenMissing, 1);
        throw error;
      }
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
          tokenReserve: config.tokenReserve,
          checkShare: config.checkShare,
          tokenInfoEveryMinutes: config.tokenInfoEveryMinutes,
          silentDays: config.silentDays,
          deadline,
          ...(request.kind === 'backfill' ? { backfill: { fromWall: request.fromWall, toWall: request.toWall, refetch: request.refetch } } : {}),
          ...(request.kind === 'asks' ? { operatorAsks: request.asks } : {}),
        },
      ).catch((error: unknown) => {
        if (!(error instanceof LeaseHeldError)) throw error;
        // A CLI run on the same bucket is working: not a failure; live windows are caught up once it is done.
        deps.log.warn('another collector holds the operation\'s lease: this run makes no further API call', { error_message: error.message });
        return undefined;
      });
      if (report === undefined) return { ...lambdaResultOf(idleReport('done')), stopReason: 'lease-held' };
      const result = lambdaResultOf(report);
      deps.log.info('run finished', { ...result });
      if (report.stoppedAt && !report.stoppedAt.error.retryable) {
        // Progress is saved; failing the invocation makes the error alarm fire.
        throw report.stoppedAt.error;
      }
      if (report.stoppedAt) deps.log.warn('run stopped early; the next run resumes there', { window_start: describeWindow(report.stoppedAt.window).window_start, reason: report.stoppedAt.error.message });
      return result;
    } catch (error) {
      deps.log.error('run failed', {
        error_class: error instanceof Error ? error.name : 'UnknownError',
        // Not `message`: that is the line's own (Powertools keeps the line's, and the error's is lost).
        error_message: error instanceof Error ? error.message : String(error),
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

/**
 * A backfill that would be one queued job too many is refused from the checkpoint as it stands,
 * before the token is read, the lease taken or any API call made. Read without the lease: only a
 * CLI range could add a job meanwhile (this function runs one invocation at a time).
 */
async function refuseBeyondQueue(deps: HandlerDeps, request: BackfillRequest): Promise<void> {
  const { config } = deps;
  const state = await loadState(deps, { prefix: config.prefix, operation: config.server, timeZone: config.timeZone });
  refuseQueueOverflow(request, (state?.backfills ?? []).map((b) => ({ fromWall: b.from.startWall, toWall: b.to.startWall, refetch: b.refetch })));
}
