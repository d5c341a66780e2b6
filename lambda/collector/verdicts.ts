/**
 * How a day leaves verification without being verified, and what that does to the operation:
 * a verdict that the vendor's totals do not add up (unreconcilable), the day's bound on checking
 * reached (unverified), or a day stored whole and not compared once the vendor is known not to
 * add up (collected). Each writes its row and ends the day's checking; its windows stay as
 * collected.
 */
import { dayLabel, type Day } from '../domain/day.ts';
import { callCount } from '../domain/totals.ts';
import { modeAfterVerdicts, type Witness } from '../domain/vendor-model.ts';
import { describeWindow } from '../domain/window.ts';
import { fillSearchKey, verifySearchKey } from './checkpoint-codec.ts';
import type { Outcome } from './outcome.ts';
import type { Run } from './run.ts';
import { verificationRecord, writeVerificationRecord, type CheckFigures } from './verification-records.ts';

/** What the check that ended the day spent, for its row. */
export type CheckSpent = Pick<CheckFigures, 'apiCalls' | 'windowsRecollected' | 'fetchId'>;

/** The day's totals do not add up: recorded where, never checked again (unless asked), and two such days change the mode. */
export async function recordVerdict(run: Run, day: Day, witness: Witness, spent: CheckSpent, out: Outcome): Promise<void> {
  const { state, deps } = run;
  const start = describeWindow(run.windowAt(witness.fromWall)).window_start;
  const end = describeWindow(run.windowAt(witness.toWall)).window_start;
  const note = `the vendor's total over ${start.slice(0, 16)} to ${end.slice(0, 16)} (${callCount(witness.vendor)} calls) is above the sum of its windows asked after it (${callCount(witness.parts)}): its totals do not add up there, so the day cannot be verified against them; its windows are kept as collected, each as the vendor answered for it`;
  await writeRow(run, day, 'unreconcilable', { vendor: witness.vendor, stored: witness.parts, ...spent, witness: { start, end }, note });
  state.unreconcilable.add(day);
  out.notes.unreconcilable.push(day);
  deps.log.warn("the vendor's totals do not add up for the day: not verified, and not checked again", { day: dayLabel(day), witness_start: start, witness_end: end, span_calls: callCount(witness.vendor), windows_calls: callCount(witness.parts) });
  const mode = modeAfterVerdicts(state.vendorMode, state.unreconcilable.size);
  if (mode !== state.vendorMode) {
    state.vendorMode = mode;
    state.vendorModeSince = run.now();
    // The days that made the switch stopped their check at a witness, with windows whose long
    // calls ended after reconciliation: they are closed as the mode closes a day, once.
    for (const d of state.unreconcilable) state.verifyDays.set(d, { since: run.now(), checks: 0, calls: 0, nextCheck: null, whole: true, restateNext: d });
    deps.log.warn("the vendor's totals did not add up on two days: from now on windows are collected without relying on them (a span with no calls still proves its windows empty; windows with calls are collected again once after the late-call horizon; days are not compared). Once the vendor is fixed, return to normal with npm start -- --vendor-model additive, or the Lambda event {\"vendorModel\": \"additive\"}", { vendor_mode: mode, days: [...state.unreconcilable].sort((a, b) => a - b).map(dayLabel) });
  }
  await state.save();
}

/** The day's bound on checking is reached: left unverified, with the reason. */
export async function leaveUnverified(run: Run, day: Day, reason: string, out: Outcome): Promise<void> {
  await writeRow(run, day, 'unverified', { vendor: {}, stored: {}, apiCalls: run.state.verifyDays.get(day)?.calls ?? 0, windowsRecollected: 0, fetchId: null, note: `left unverified: ${reason}` });
  out.notes.unverified.push(day);
  // Windows written later (a backfill, a late restate) must not reopen its check with a fresh count.
  run.state.leftUnverified.add(day);
  run.deps.log.warn('day left unverified: its bound on checking is reached', { day: dayLabel(day), reason });
  await run.state.save();
}

/** The vendor does not add up: a day stored whole is recorded as collected, not compared. */
export async function recordUncompared(run: Run, day: Day, out: Outcome, spent: Pick<CheckSpent, 'apiCalls' | 'windowsRecollected'>, verdictDay = false): Promise<void> {
  const since = run.state.vendorModeSince === null ? '' : ` since ${new Date(run.state.vendorModeSince).toISOString()}`;
  const how = verdictDay ? 'its windows with calls collected once more after its verdict' : 'those without calls asked again past the late-call horizon';
  await writeRow(run, day, 'collected', { vendor: {}, stored: {}, ...spent, fetchId: null, note: `every window stored, ${how}; not compared with the vendor's day total, which does not add up for this operation (vendor_mode non-additive${since})` });
  out.notes.uncompared.push(day);
  await run.state.save();
}

/** Writes the day's closing row and lets the day go: no check, search or fill of it is owed any more. */
async function writeRow(run: Run, day: Day, status: 'unreconcilable' | 'unverified' | 'collected', figures: CheckFigures): Promise<void> {
  const { state, settings: s } = run;
  const row = verificationRecord(status, state.recordTime(), s.timeZone, figures);
  // Only the totals' JSON of a closing row without a check is left empty: its counts are null.
  const record = status === 'unreconcilable' ? row : { ...row, vendor_calls: null, stored_calls: null, vendor_calls_by_interval: null, stored_calls_by_interval: null };
  await writeVerificationRecord(run.deps.store, s, dayLabel(day), record);
  state.verifyDays.delete(day);
  state.searches.delete(verifySearchKey(day));
  state.searches.delete(fillSearchKey(day));
}
