/**
 * Day verification: once a day is past its horizon (long calls have ended), one call for the
 * whole day is compared with its windows read back from the store. Equal: the day is
 * verified. Unequal: the search narrows down to the windows that changed and re-collects
 * them, then the day is asked again. Every check leaves a row in cdr_4_verifications.
 */
import { CollectorError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { DAY_MS, daySpan, windowsOf, type Span } from '../domain/span.ts';
import { callCount, hasNegative, sameTotals, subtractTotals, sumTotals, totalsOfReport } from '../domain/totals.ts';
import { parseWall, WALL } from '../domain/wall-clock.ts';
import { windowEndInstant, WINDOW_MS, type Window } from '../domain/window.ts';
import { isWindowPoison, mayCall, vendorCaller, type StopReason } from './collect-windows.ts';
import type { RunState } from './run-state.ts';
import { settleSearch, type DayAnswer, type SettleDeps, type SettleSettings, type StoredDays } from './settle-span.ts';
import { verificationRecord, writeVerificationRecord } from './verification-records.ts';

export const DEFAULT_VERIFY_AFTER_MINUTES = 240;
export const DEFAULT_UNVERIFIED_ALARM_DAYS = 3;
/** After a check found changes and a second one still did, the day waits this long, doubled with each such check (at most 12 h). */
const RECHECK_AFTER_MS = 60 * WALL.MINUTE_MS;
const RECHECK_MAX_MS = 12 * WALL.HOUR_MS;

function recheckAfter(checks: number): number {
  return Math.min(RECHECK_MAX_MS, RECHECK_AFTER_MS * 2 ** Math.max(0, checks - 1));
}

export interface VerifySettings extends SettleSettings {
  /** A day is checked once this long has passed since its last window ended. */
  readonly verifyAfterMinutes: number;
  /** Told as each day's check starts. */
  readonly onPhase?: (phase: { readonly name: 'verify'; readonly day: string }) => void;
}

export interface VerifyOptions {
  readonly maxApiCalls: number;
  /** Calls over whole days made earlier in this run (a range's walk), usable when nothing was fetched into the day since. */
  readonly dayAnswers?: ReadonlyMap<string, DayAnswer>;
  readonly fetchedDays?: ReadonlySet<string>;
}

export interface VerifyReport {
  readonly verified: string[];
  readonly changed: string[];
  /** Days found collected only in part (no longer waiting for verification). */
  readonly partial: string[];
  readonly apiCalls: number;
  readonly windowsRecollected: number;
  readonly stopReason: StopReason;
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
}

/** The instant from which a day may be verified: its last window's end plus the horizon. */
export function verifiableFrom(day: string, timeZone: string, verifyAfterMinutes: number): number {
  const last = { startWall: parseWall(`${day} 00:00:00`)! + DAY_MS - WINDOW_MS, timeZone };
  return windowEndInstant(last) + verifyAfterMinutes * WALL.MINUTE_MS;
}

/**
 * Pending days unverified more than `boundDays` after they ended, or after their first window
 * was written if that came later (history loaded today is not late): what DaysUnverified counts.
 */
export function daysUnverifiedPastBound(state: RunState, now: number, timeZone: string, boundDays = DEFAULT_UNVERIFIED_ALARM_DAYS): number {
  let n = 0;
  for (const [day, pending] of state.verifyDays) if (Math.max(verifiableFrom(day, timeZone, 0), Date.parse(pending.since)) + boundDays * DAY_MS < now) n += 1;
  return n;
}

export async function verifyDays(deps: SettleDeps, s: VerifySettings, state: RunState, stored: StoredDays, opts: VerifyOptions): Promise<VerifyReport> {
  const caller = vendorCaller(deps, { ...s, onApiCall: () => state.countCall() });
  let searchCalls = 0;
  const spent = () => caller.calls + searchCalls;
  const report = { verified: [] as string[], changed: [] as string[], partial: [] as string[], windowsRecollected: 0, stopReason: 'done' as StopReason, stoppedAt: undefined as VerifyReport['stoppedAt'] };
  const done = (): VerifyReport => ({ ...report, apiCalls: spent() });
  const scope = { prefix: s.prefix, operation: s.operation, timeZone: s.timeZone };

  for (const day of [...state.verifyDays.keys()].sort()) {
    const pending = state.verifyDays.get(day)!;
    const now = deps.clock();
    if (now < verifiableFrom(day, s.timeZone, s.verifyAfterMinutes)) continue;
    if (pending.next_check !== null && now < Date.parse(pending.next_check)) continue;
    const span = daySpan(day, s.timeZone);
    const key = `verify:${day}`;
    if (!pending.check && !(await owedWhole(state, stored, day, span))) {
      // A queued job will still fill it: checked once it has.
      if (state.backfills.some((b) => parseWall(b.next)! < span.toWall && parseWall(b.to)! > span.fromWall)) continue;
      // Part of a day (a short range, the day the schedule started): nothing says the rest is wanted.
      state.verifyDays.delete(day);
      report.partial.push(day);
      deps.log.info('day only partly collected: not verified (collect the whole day, e.g. with a range over it, to verify it)', { day });
      await state.save();
      continue;
    }
    s.onPhase?.({ name: 'verify', day });
    for (let round = 0; round < 2; round += 1) {
      if (!pending.check) {
        // The day read back while its call is out: nothing writes to it in between (nor does an
        // earlier read-back's write of its object, which could land after this one's).
        const reading = state.levelledLanded(day).then(() => stored.reread(day));
        reading.catch(() => undefined);
        // One call for the whole day, unless this run already has one that nothing changed since.
        let answer = opts.dayAnswers?.get(day);
        if (!answer || opts.fetchedDays?.has(day) || answer.at < verifiableFrom(day, s.timeZone, s.verifyAfterMinutes) || round > 0) {
          const stop = mayCall(deps, { deadline: s.deadline, ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}) }, spent(), opts.maxApiCalls);
          if (stop) {
            report.stopReason = stop;
            return done();
          }
          const outcome = await caller.attempt(span, 1);
          if (!outcome.ok) {
            await caller.record(span, outcome.meta, { error: outcome.error });
            if (isWindowPoison(outcome.error)) {
              // The day's answer cannot be read: try again later; the bound's alarm tells if it never can.
              deps.log.warn('day total unreadable; the day stays unverified and is checked again later', { day, message: outcome.error.message });
              pending.next_check = new Date(now + recheckAfter(pending.checks)).toISOString();
              break;
            }
            report.stopReason = outcome.error instanceof WolkvoxTokenLimitError ? 'token-limit' : outcome.error.retryable ? 'transient-error' : 'failed';
            report.stoppedAt = { window: { startWall: span.fromWall, timeZone: s.timeZone }, error: outcome.error };
            return done();
          }
          state.track(caller.record(span, outcome.meta, { report: outcome.report, rowCount: 0 }));
          answer = { totals: totalsOfReport(outcome.report), fetchId: outcome.meta.fetchId, at: outcome.meta.requestedAt };
        }
        const { totals: storedNow, written } = await reading;
        // The day object's write need not hold up the verdict; the run's closing refresh skips the day.
        state.noteLevelled(day, written);
        const windows = windowsOf(span);
        const storedTotals = sumTotals(windows.map((w) => storedNow.get(w.startWall) ?? {}));
        const complete = windows.every((w) => storedNow.has(w.startWall));
        const callsSoFar = round === 0 && answer === opts.dayAnswers?.get(day) && !opts.fetchedDays?.has(day) ? 0 : 1;
        if (complete && sameTotals(answer.totals, storedTotals)) {
          // The verified row lands before any save that no longer owes the day (beforeSave);
          // both overlap what comes next (the next day's call, the closing refresh).
          state.track(writeVerificationRecord(deps.store, scope, day, verificationRecord('verified', state.recordTime(), s.timeZone, { vendor: answer.totals, stored: storedTotals, apiCalls: callsSoFar, windowsRecollected: 0, fetchId: answer.fetchId })), { beforeSave: true });
          state.verifyDays.delete(day);
          report.verified.push(day);
          deps.log.info('day verified', { day, calls: callCount(answer.totals), fetch_id: answer.fetchId });
          state.saveSoon();
          break;
        }
        if (hasNegative(subtractTotals(answer.totals, storedTotals))) deps.log.warn('the vendor counts fewer calls for the day than are stored: re-collecting what differs', { day, vendor: answer.totals, stored: storedTotals });
        pending.check = { vendor: { ...answer.totals }, stored: { ...storedTotals }, fetch_id: answer.fetchId, calls: callsSoFar };
        state.searches.set(key, [{ fromWall: span.fromWall, toWall: span.toWall, vendor: answer.totals, by: answer.fetchId }]);
        await state.save();
      }
      const check = pending.check;
      const narrowed = await settleSearch(deps, s, state, stored, { mode: 'check', key, maxApiCalls: opts.maxApiCalls - spent(), quarantine: true }, span);
      searchCalls += narrowed.apiCalls;
      check.calls += narrowed.apiCalls;
      report.windowsRecollected += narrowed.recollected + narrowed.emptied;
      if (narrowed.stopReason !== 'done') {
        report.stopReason = narrowed.stopReason;
        report.stoppedAt = narrowed.stoppedAt;
        await state.save();
        return done();
      }
      await writeVerificationRecord(deps.store, scope, day, verificationRecord('changed', state.recordTime(), s.timeZone, { vendor: check.vendor, stored: check.stored, apiCalls: check.calls, windowsRecollected: narrowed.recollected + narrowed.emptied, fetchId: check.fetch_id }));
      deps.log.info('day changed since its windows were collected: re-collected what differs', { day, vendor_calls: callCount(check.vendor), stored_calls: callCount(check.stored), windows_recollected: narrowed.recollected + narrowed.emptied, api_calls: check.calls });
      delete pending.check;
      pending.checks += 1;
      report.changed.push(day);
      // Asked again at once when the re-collected windows now add up to what the vendor said
      // (the usual case: long calls that ended late); a day that still differs waits, longer
      // after each check, for whatever keeps it from adding up.
      const nowStored = sumTotals(windowsOf(span).map((w) => stored.lookup(w) ?? {}));
      const again = round === 0 && sameTotals(nowStored, check.vendor);
      pending.next_check = again ? null : new Date(deps.clock() + recheckAfter(pending.checks)).toISOString();
      await state.save();
      if (!again) break;
    }
  }
  return done();
}

/**
 * Whether the whole day is to be verified: every window of it is stored, or the schedule
 * owns it (it started before the day and its cursor is past it), so missing windows are
 * gaps to fill (quarantined, lost) rather than windows nobody asked for.
 */
async function owedWhole(state: RunState, stored: StoredDays, day: string, span: Span): Promise<boolean> {
  // What this run read and wrote says every window is there (the read-back checks it): no LIST.
  if (windowsOf(span).every((w) => stored.has(w.startWall))) return true;
  const have = await stored.storedStarts(day);
  if (windowsOf(span).every((w) => have.has(w.startWall))) return true;
  const liveFrom = state.liveFrom === null ? undefined : parseWall(state.liveFrom);
  const cursor = state.nextWindow === null ? undefined : parseWall(state.nextWindow);
  return liveFrom !== undefined && cursor !== undefined && liveFrom <= span.fromWall && cursor >= span.toWall;
}
