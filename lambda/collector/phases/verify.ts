/**
 * Day verification: once a day is past its horizon (long calls have ended), one call for the
 * whole day is compared with its windows read back from the store. Equal: the day is
 * verified. Unequal: the search narrows down to the windows that changed and re-collects
 * them, then the day is asked again. Every check leaves a row in cdr_4_verifications.
 */
import { dayLabel, type Day } from '../../domain/day.ts';
import { spanOfDay, spansOfRuns, windowsOf, type Span } from '../../domain/span.ts';
import { WINDOW_MS, type Window } from '../../domain/window.ts';
import { callCount, hasNegative, sameTotals, subtractTotals, sumTotals, totalsOfReport, type Totals } from '../../domain/totals.ts';
import { DEFAULT_VERIFY_AFTER_MINUTES, recheckAfter, verifiableFrom } from '../../domain/verification.ts';
import { DAY_CHECK_LIMITS, dayCheckSpent } from '../../domain/vendor-model.ts';
import { fillSearchKey, verifySearchKey } from '../checkpoint-codec.ts';
import { collectAgain } from '../collect-windows.ts';
import { absorb, emptyOutcome, stopAt, type Outcome } from '../outcome.ts';
import type { Run } from '../run.ts';
import type { PendingDay } from '../run-state.ts';
import { settleSearch } from '../settle-span.ts';
import type { DayAnswer } from '../stored-days.ts';
import { leaveUnverified, recordUncompared, recordVerdict } from '../verdicts.ts';
import { verificationRecord, writeVerificationRecord } from '../verification-records.ts';
import { isWindowPoison } from '../vendor-caller.ts';
import type { Phase } from './phase.ts';

export const verifyPhase: Phase = {
  name: 'verify',
  spends: 'check',
  due: (run) => run.state.verifyDays.size > 0,
  async work(run) {
    const out = emptyOutcome();
    const callsBefore = run.calls;
    for (const day of [...run.state.verifyDays.keys()].sort((a, b) => a - b)) {
      const pending = run.state.verifyDays.get(day);
      const now = run.now();
      if (!pending || !checkDue(run, day, pending, now)) continue;
      const missing = pending.check ? [] : await missingWindows(run, day);
      if (missing.length > 0 && !owedWhole(run, day, pending)) {
        await leavePartial(run, day, out);
        continue;
      }
      const spent = dayCheckSpent(pending);
      if (spent) {
        await leaveUnverified(run, day, spent, out);
        continue;
      }
      run.settings.onPhase?.({ name: 'verify', day: dayLabel(day) });
      if (!(await checkDay(run, day, pending, missing, now, out))) break;
    }
    out.calls = run.calls - callsBefore;
    return out;
  },
};

function verifyAfter(run: Run): number {
  return run.settings.verifyAfterMinutes ?? DEFAULT_VERIFY_AFTER_MINUTES;
}

/** Past the day's horizon, and past the wait a check that found changes set. */
function checkDue(run: Run, day: Day, pending: PendingDay, now: number): boolean {
  if (now < verifiableFrom(day, run.timeZone, verifyAfter(run))) return false;
  return pending.nextCheck === null || now >= pending.nextCheck;
}

/** A day not owed whole: a queued job still fills it (checked once it has), or only part of it was wanted. */
async function leavePartial(run: Run, day: Day, out: Outcome): Promise<void> {
  const span = spanOfDay(day, run.timeZone);
  if (run.state.backfills.some((b) => b.next.startWall < span.toWall && b.to.startWall > span.fromWall)) return;
  // Part of a day (a short range, the day the schedule started): nothing says the rest is wanted.
  run.state.verifyDays.delete(day);
  out.notes.partial.push(day);
  run.deps.log.info('day only partly collected: not verified (collect the whole day, e.g. with a range over it, to verify it)', { day: dayLabel(day) });
  await run.state.save();
}

/**
 * One day's work, within its bound on checking (its calls are counted on the day as they go):
 * a window missing from a day owed whole is filled first, so its check compares every window;
 * then the day is compared (or, for a vendor that does not add up, recorded as collected).
 * False when the run must stop (why is in `out`).
 */
async function checkDay(run: Run, day: Day, pending: PendingDay, missing: readonly Window[], now: number, out: Outcome): Promise<boolean> {
  const dayOut = emptyOutcome();
  // A verdict day is not checked again: its windows with calls are collected once more (not
  // checking, so outside the day's bound, as reconciliation is), then it closes as collected.
  if (pending.restateNext !== undefined && run.state.vendorMode === 'non-additive') {
    const recollected = await restateDay(run, day, pending, out);
    if (recollected === undefined) return false;
    await recordUncompared(run, day, out, { apiCalls: 0, windowsRecollected: recollected }, true);
    return out.stop === 'done';
  }
  run.state.checking = pending;
  try {
    await run.budget.within(DAY_CHECK_LIMITS.calls - pending.calls, async () => {
      if (missing.length > 0 && !(await fillDay(run, day, dayOut))) return;
      if (run.state.vendorMode === 'non-additive') return closeUncompared(run, day, pending, dayOut);
      await verifyDay(run, day, pending, now, dayOut);
    });
  } finally {
    run.state.checking = undefined;
  }
  const bounded = dayOut.stop === 'bound';
  absorb(out, bounded ? stopAt(dayOut, 'done') : dayOut);
  if (bounded) await leaveUnverified(run, day, dayCheckSpent(pending) ?? `${pending.calls} calls spent checking it`, out);
  return out.stop === 'done';
}

/**
 * The day's check, at most twice (again at once when the re-collected windows add up to what
 * the vendor said); a stop is left in `out`.
 */
async function verifyDay(run: Run, day: Day, pending: PendingDay, now: number, out: Outcome): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    if (!pending.check) {
      const compared = await compareDay(run, day, pending, round, out);
      if (compared === 'stop' || compared === 'verified') return;
      if (compared === 'unreadable') {
        pending.nextCheck = now + recheckAfter(pending.checks);
        return;
      }
    }
    if ((await narrowDay(run, day, pending, round, out)) !== 'again') return;
  }
}

/**
 * The day's call (or one this run already has) against its windows read back from the store.
 * Differs: the check to narrow down is recorded in `pending.check`.
 */
async function compareDay(run: Run, day: Day, pending: PendingDay, round: number, out: Outcome): Promise<'verified' | 'differs' | 'unreadable' | 'stop'> {
  const { state, stored } = run;
  // The day read back while its call is out: nothing writes to it in between (nor does an
  // earlier read-back's write of its object, which could land after this one's).
  const reading = state.levelledLanded(day).then(() => stored.reread(day));
  reading.catch(() => undefined);
  // One call for the whole day, unless this run already has one that nothing changed since.
  const known = run.answers.usable(day);
  const reused = round === 0 && known !== undefined && known.at >= verifiableFrom(day, run.timeZone, verifyAfter(run));
  const answer = reused ? known : await askDay(run, day, out);
  if (answer === 'stop' || answer === 'unreadable') return answer;
  const { totals: storedNow, written } = await reading;
  // The day object's write need not hold up the verdict; the run's closing refresh skips the day.
  state.noteLevelled(day, written);
  const windows = windowsOf(spanOfDay(day, run.timeZone));
  const storedTotals = sumTotals(windows.map((w) => storedNow.get(w.startWall) ?? {}));
  const complete = windows.every((w) => storedNow.has(w.startWall));
  const callsSoFar = reused ? 0 : 1;
  if (complete && sameTotals(answer.totals, storedTotals)) {
    markVerified(run, day, answer, storedTotals, callsSoFar, out);
    return 'verified';
  }
  if (hasNegative(subtractTotals(answer.totals, storedTotals))) run.deps.log.warn('the vendor counts fewer calls for the day than are stored: re-collecting what differs', { day: dayLabel(day), vendor: answer.totals, stored: storedTotals });
  pending.check = { vendor: { ...answer.totals }, stored: { ...storedTotals }, fetchId: answer.fetchId, calls: callsSoFar };
  const span = spanOfDay(day, run.timeZone);
  state.searches.set(verifySearchKey(day), [{ fromWall: span.fromWall, toWall: span.toWall, vendor: answer.totals, by: answer.fetchId }]);
  await state.save();
  return 'differs';
}

/** One call for the whole day. */
async function askDay(run: Run, day: Day, out: Outcome): Promise<DayAnswer | 'stop' | 'unreadable'> {
  const stop = await run.budget.mayCall();
  if (stop) {
    stopAt(out, stop);
    return 'stop';
  }
  const span: Span = spanOfDay(day, run.timeZone);
  const outcome = await run.vendor.attempt(span, 1);
  if (!outcome.ok) {
    await run.vendor.record(span, outcome.meta, { error: outcome.error });
    if (!isWindowPoison(outcome.error)) {
      stopAt(out, run.budget.stopFor(outcome.error), { window: run.windowAt(span.fromWall), error: outcome.error });
      return 'stop';
    }
    // The day's answer cannot be read: try again later; the bound's alarm tells if it never can.
    run.deps.log.warn('day total unreadable; the day stays unverified and is checked again later', { day: dayLabel(day), error_message: outcome.error.message });
    return 'unreadable';
  }
  run.state.track(run.vendor.record(span, outcome.meta, { report: outcome.report, rowCount: 0 }));
  return { totals: totalsOfReport(outcome.report), fetchId: outcome.meta.fetchId, at: outcome.meta.requestedAt, noRecords: outcome.report.kind === 'empty' };
}

function markVerified(run: Run, day: Day, answer: DayAnswer, storedTotals: Totals, calls: number, out: Outcome): void {
  const { state, settings: s } = run;
  // The verified row lands before any save that no longer owes the day (beforeSave); both
  // overlap what comes next (the next day's call, the closing refresh).
  const note = answer.noRecords ? 'the day answer was "no records": the vendor says the day had no calls (check that the server has the cdr_4 report if it should have had some)' : undefined;
  const record = verificationRecord('verified', state.recordTime(), s.timeZone, { vendor: answer.totals, stored: storedTotals, apiCalls: calls, windowsRecollected: 0, fetchId: answer.fetchId, ...(note ? { note } : {}) });
  state.track(writeVerificationRecord(run.deps.store, s, dayLabel(day), record), { beforeSave: true });
  state.verifyDays.delete(day);
  out.notes.verified.push(day);
  run.deps.log.info('day verified', { day: dayLabel(day), calls: callCount(answer.totals), fetch_id: answer.fetchId });
  state.saveSoon();
}

/**
 * Re-collects what differs (the check's search), records the change, and says whether the day
 * is asked again at once (`again`), waits for a later check (`done`), or the run must stop.
 */
async function narrowDay(run: Run, day: Day, pending: PendingDay, round: number, out: Outcome): Promise<'again' | 'done' | 'stop'> {
  const { state, stored, settings: s } = run;
  const check = pending.check!;
  const span = spanOfDay(day, run.timeZone);
  const narrowed = await settleSearch(run, { mode: 'check', key: verifySearchKey(day), quarantine: true }, span);
  const witness = narrowed.notes.witness;
  delete narrowed.notes.witness;
  absorb(out, narrowed);
  check.calls += narrowed.calls;
  if (narrowed.stop !== 'done') {
    await state.save();
    return 'stop';
  }
  const windowsRecollected = narrowed.notes.recollected + narrowed.notes.emptied;
  if (witness) {
    delete pending.check;
    await recordVerdict(run, day, witness, { apiCalls: check.calls, windowsRecollected, fetchId: check.fetchId }, out);
    return 'done';
  }
  await writeVerificationRecord(run.deps.store, s, dayLabel(day), verificationRecord('changed', state.recordTime(), s.timeZone, { vendor: check.vendor, stored: check.stored, apiCalls: check.calls, windowsRecollected, fetchId: check.fetchId }));
  run.deps.log.info('day changed since its windows were collected: re-collected what differs', { day: dayLabel(day), vendor_calls: callCount(check.vendor), stored_calls: callCount(check.stored), windows_recollected: windowsRecollected, api_calls: check.calls });
  delete pending.check;
  pending.checks += 1;
  out.notes.changed.push(day);
  // Asked again at once when the re-collected windows now add up to what the vendor said
  // (the usual case: long calls that ended late); a day that still differs waits, longer
  // after each check, for whatever keeps it from adding up.
  const nowStored = sumTotals(windowsOf(span).map((w) => stored.lookup(w) ?? {}));
  const again = round === 0 && sameTotals(nowStored, check.vendor);
  pending.nextCheck = again ? null : run.now() + recheckAfter(pending.checks);
  await state.save();
  return again ? 'again' : 'done';
}

/**
 * A day of a vendor whose totals do not add up, every window stored: nothing to compare, but
 * its windows without calls are asked again past the late-call horizon, one call per run of
 * them ("no records" still proves a run empty; one that now has calls is narrowed by halves).
 * Windows with calls were asked again by reconciliation. Then the day's row says so.
 */
async function closeUncompared(run: Run, day: Day, pending: PendingDay, out: Outcome): Promise<void> {
  const span = spanOfDay(day, run.timeZone);
  await run.stored.ensure(span);
  const withoutCalls = (w: Window) => {
    const stored = run.stored.lookup(w);
    return stored !== undefined && callCount(stored) === 0 && !run.state.quarantined.has(w.startWall);
  };
  const empty = windowsOf(span).filter(withoutCalls);
  const rechecked = await settleSearch(run, { mode: 'check', key: verifySearchKey(day), quarantine: true }, spansOfRuns(empty, run.timeZone));
  absorb(out, rechecked);
  if (rechecked.stop !== 'done') return;
  await recordUncompared(run, day, out, { apiCalls: pending.calls, windowsRecollected: rechecked.notes.recollected });
}

/**
 * A day concluded unreconcilable before the operation stopped relying on totals: each window
 * with calls is collected again once, as reconciliation does in that mode (its check stopped at
 * the witness, so windows whose long calls ended late were never re-collected). Resumes after
 * the last window done; the windows collected again, or undefined when the run must stop.
 */
async function restateDay(run: Run, day: Day, pending: PendingDay, out: Outcome): Promise<number | undefined> {
  const { state, stored } = run;
  const span = spanOfDay(day, run.timeZone);
  await stored.ensure(span);
  const todo = windowsOf(span).filter((w) => w.startWall >= pending.restateNext! && callCount(stored.lookup(w) ?? {}) > 0 && !state.quarantined.has(w.startWall));
  const restated = await collectAgain(run, todo, (w) => (pending.restateNext = w.startWall + WINDOW_MS));
  absorb(out, restated);
  if (restated.stop !== 'done') return undefined;
  // Kept past the day's end (nothing left to collect) until its row is written: a kill in between closes it, not checks it.
  pending.restateNext = span.toWall;
  await state.save();
  return restated.collected.count;
}

/** The day's windows with no object: none when what this run read and wrote says so (no LIST), else as listed now. */
async function missingWindows(run: Run, day: Day): Promise<Window[]> {
  const windows = windowsOf(spanOfDay(day, run.timeZone));
  if (windows.every((w) => run.stored.has(w.startWall))) return [];
  const have = await run.stored.storedStarts(day);
  return windows.filter((w) => !have.has(w.startWall));
}

/**
 * Whether every window of the day is wanted, so that missing windows are gaps to fill
 * (quarantined, lost) rather than windows nobody asked for: a job covered the whole day, or the
 * schedule owns it (it started before the day and its cursor is past it).
 */
function owedWhole(run: Run, day: Day, pending: PendingDay): boolean {
  const { liveFrom, nextWindow } = run.state;
  const span = spanOfDay(day, run.timeZone);
  return pending.whole === true || (liveFrom !== null && nextWindow !== null && liveFrom.startWall <= span.fromWall && nextWindow.startWall >= span.toWall);
}

/** Stores the day's missing windows, top down (a call over a span with no calls proves its windows empty); false when the run must stop. */
async function fillDay(run: Run, day: Day, out: Outcome): Promise<boolean> {
  const filled = await settleSearch(run, { mode: 'fill', key: fillSearchKey(day), quarantine: true }, spanOfDay(day, run.timeZone));
  absorb(out, filled);
  return filled.stop === 'done';
}
