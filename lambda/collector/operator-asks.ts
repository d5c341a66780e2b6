/**
 * An operator's asks, applied to the state as a run opens (saved before any call): the vendor
 * mode set by hand, days whose check is tried again. A recheck compares a day with the vendor's
 * day total, which only means something while the totals are taken to add up: asked of a
 * non-additive operation without the mode it is refused, nothing changed.
 */
import { dayLabel } from '../domain/day.ts';
import { ConfigError } from '../domain/errors.ts';
import type { OperatorAsks } from '../domain/operator-asks.ts';
import { verifySearchKey } from './checkpoint-codec.ts';
import type { Run } from './run.ts';

/** What the asks changed, for the run's report. */
export interface AsksApplied {
  readonly vendorMode?: { readonly from: string; readonly to: string };
  readonly recheck: readonly string[];
}

export async function applyAsks(run: Run, asks: OperatorAsks): Promise<AsksApplied> {
  const { state, deps } = run;
  const mode = asks.vendorMode ?? state.vendorMode;
  if ((asks.recheck ?? []).length > 0 && mode === 'non-additive') {
    const since = state.vendorModeSince === null ? '' : ` since ${new Date(state.vendorModeSince).toISOString()}`;
    throw new ConfigError(`a recheck compares days with Wolkvox's day totals, which this operation takes not to add up (vendor model non-additive${since}): ask it together with the vendor model additive (npm start -- --vendor-model additive --recheck DAY, or the Lambda event {"vendorModel": "additive", "recheck": "DAY"}). Nothing was changed`);
  }
  let modeChange: AsksApplied['vendorMode'];
  if (mode !== state.vendorMode) {
    modeChange = { from: state.vendorMode, to: mode };
    state.vendorMode = mode;
    state.vendorModeSince = mode === 'non-additive' ? run.now() : null;
    // Back to normal: it takes two new days that do not add up to switch again, not the old two.
    if (mode === 'additive') state.unreconcilable.clear();
    deps.log.warn(mode === 'additive' ? "vendor model set to additive: days are compared with Wolkvox's day totals again" : "vendor model set to non-additive: days are no longer compared with Wolkvox's day totals", { vendor_mode: mode, was: modeChange.from });
  }
  const recheck = (asks.recheck ?? []).map((day) => {
    state.unreconcilable.delete(day);
    state.leftUnverified.delete(day);
    // A fresh bound on checking. Owed whole only if it was (or the schedule owns it): a day nobody
    // collected whole is not filled on the checking bound, it is told to be collected by a range.
    const whole = state.verifyDays.get(day)?.whole === true;
    state.verifyDays.set(day, { since: run.now(), checks: 0, calls: 0, nextCheck: null, ...(whole ? { whole } : {}) });
    state.searches.delete(verifySearchKey(day));
    return dayLabel(day);
  });
  if (recheck.length > 0) deps.log.info("days to check again against Wolkvox's day totals", { days: recheck });
  if (modeChange || recheck.length > 0) await state.save();
  return { ...(modeChange ? { vendorMode: modeChange } : {}), recheck };
}
