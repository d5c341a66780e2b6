/**
 * The token's real allowance, read from the vendor (`token_info`) before history spends calls:
 * at most once per `everyMinutes` and anew each operation day, never for live windows alone.
 * A reading that cannot be used leaves the collector on DAILY_CALL_CAP (or no cap of ours), and
 * the log says so.
 */
import { METRIC } from '../domain/metrics.ts';
import { parseTokenInfo } from '../domain/token-info.ts';
import { reserveCalls, usedNow, type Reserve } from '../domain/vendor-model.ts';
import { dayOf } from '../domain/day.ts';
import { toWallClock, WALL } from '../domain/wall-clock.ts';
import { MIN_REQUEST_MS, stopOf, WRITE_RESERVE_MS, type StopReason } from './budget.ts';
import type { Run } from './run.ts';
import { asCollectorError } from './vendor-caller.ts';

export const DEFAULT_TOKEN_INFO_EVERY_MINUTES = 60;

/** What the report and the run figures say of the allowance: its figures as last known today. */
export interface AllowanceFigures {
  /** The token's daily limit, and its calls today (every integration's) as best known now; null when not read. */
  readonly limit: number | null;
  readonly usedToday: number | null;
  /** Calls kept for other integrations. */
  readonly reserve: number | null;
  /** Why the reading could not be used, when it could not. */
  readonly unreadable?: string;
}

/** Reads token_info when the reading is stale; the stop it calls for (the token's limit is spent), if any. */
export function allowanceReader(run: Run, reserve: Reserve, everyMinutes = DEFAULT_TOKEN_INFO_EVERY_MINUTES): (now: number) => Promise<StopReason | undefined> {
  let unreadableSaid = false;
  return async (now) => {
    const { state, deps } = run;
    const last = state.allowance;
    const today = dayOf(toWallClock(now, run.timeZone));
    if (last && last.day === today && now - last.readAt < everyMinutes * WALL.MINUTE_MS) return undefined;
    const timeout = Math.min(run.settings.requestTimeoutMs, run.settings.deadline - now - WRITE_RESERVE_MS);
    if (timeout < MIN_REQUEST_MS) return undefined;
    state.countInfoCall();
    deps.metrics.count(METRIC.apiCalls, 1);
    const info = await deps.client.fetchTokenInfo(timeout).then(
      (a) => parseTokenInfo(a.status, a.body),
      (error: unknown) => ({ kind: 'unreadable' as const, why: asCollectorError(error).message }),
    );
    if (info.kind === 'failed' && stopOf(info.error) === 'token-limit') return 'token-limit';
    const read = info.kind === 'read' ? info : undefined;
    state.allowance = { readAt: now, day: today, limit: read?.limit ?? null, usedAtRead: read?.usedToday ?? null, oursAtRead: state.callsToday() };
    state.saveSoon();
    if (read) {
      deps.log.info('token allowance read', { token_limit: read.limit, token_use_today: read.usedToday, reserve: reserveCalls(reserve, read.limit) });
      unreadableSaid = false;
    } else if (!unreadableSaid) {
      unreadableSaid = true;
      const why = info.kind === 'failed' ? info.error.message : info.kind === 'unreadable' ? info.why : '';
      const cap = run.settings.dailyCallCap;
      deps.log.warn(`token_info could not be read (${why}): history keeps to ${cap === undefined ? 'no cap of ours (DAILY_CALL_CAP is not set)' : `DAILY_CALL_CAP=${cap}`} until it can`, { reason: why });
    }
    return undefined;
  };
}

/** The allowance as it stands for a report: today's reading, with our calls since. */
export function allowanceFigures(run: Run, reserve: Reserve): AllowanceFigures | null {
  const a = run.state.allowance;
  if (!a || a.day !== run.state.today()) return null;
  if (a.limit === null || a.usedAtRead === null) return { limit: null, usedToday: null, reserve: null, unreadable: 'token_info gave no usable limit and use' };
  const reading = { limit: a.limit, usedAtRead: a.usedAtRead, oursAtRead: a.oursAtRead };
  return { limit: a.limit, usedToday: usedNow(reading, run.state.callsToday()), reserve: reserveCalls(reserve, a.limit) };
}
