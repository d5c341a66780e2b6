/**
 * Reconciliation: an hour at a time, once it is `restateAfterMinutes` old, the hour's stored
 * windows are brought level with the vendor's, at the fewest calls the recent share of late
 * calls suggests: windows likely to have changed (many calls, given the share of calls seen to
 * arrive late) are collected again directly; if other windows remain, one call for the hour
 * compares it with them and the search re-collects only what differs. Hours of a quiet period
 * are left to the day's verification. For a vendor whose totals do not add up (vendor mode
 * non-additive) nothing is compared: each window with calls is collected again once, after
 * the late-call horizon; the day's close asks again after the windows without calls.
 */
import { windowsOf, type Span } from '../../domain/span.ts';
import { callCount, type Totals } from '../../domain/totals.ts';
import { WALL } from '../../domain/wall-clock.ts';
import { windowEndInstant, type Window } from '../../domain/window.ts';
import { RECONCILE_SEARCH } from '../checkpoint-codec.ts';
import { collectAgain } from '../collect-windows.ts';
import { absorb, emptyOutcome, type Outcome } from '../outcome.ts';
import type { Run } from '../run.ts';
import type { StateData } from '../run-state.ts';
import { settleSearch } from '../settle-span.ts';
import { DEFAULT_RESTATE_MINUTES } from './live.ts';
import { DEFAULT_VERIFY_AFTER_MINUTES } from '../../domain/verification.ts';
import type { Phase } from './phase.ts';

/** What the share of late calls is taken to be before any hour was reconciled. */
const INITIAL_LATE_SHARE = 0.15;

export const reconcilePhase: Phase = {
  name: 'reconcile',
  spends: 'check',
  due: (run) => run.state.restateNext !== null,
  async work(run) {
    const out = emptyOutcome();
    const ripeBy = run.now() - horizonMinutes(run) * WALL.MINUTE_MS;
    for (let hour = ripeHour(run, ripeBy); hour; hour = ripeHour(run, ripeBy)) {
      if (!(await reconcileHour(run, hour, out))) break;
      run.state.restateNext = run.windowAt(hour.toWall);
      await run.state.progress();
    }
    return out;
  },
};

/**
 * How long after its end a window is collected again. Totals that add up narrow late calls down
 * cheaply and the day's check catches the longest; otherwise each window with calls is asked
 * again once, so only after the late-call horizon (long calls have ended by then).
 */
function horizonMinutes(run: Run): number {
  const restate = run.settings.restateAfterMinutes ?? DEFAULT_RESTATE_MINUTES;
  return run.state.vendorMode === 'additive' ? restate : Math.max(restate, run.settings.verifyAfterMinutes ?? DEFAULT_VERIFY_AFTER_MINUTES);
}

/** The next hour to reconcile: all its windows collected (the live cursor is past it) and the last one ripe. */
function ripeHour(run: Run, ripeBy: number): Span | undefined {
  const { restateNext, nextWindow } = run.state;
  if (restateNext === null || nextWindow === null) return undefined;
  const from = restateNext.startWall;
  const cursor = nextWindow.startWall;
  const hourEnd = Math.min(Math.floor(from / WALL.HOUR_MS) * WALL.HOUR_MS + WALL.HOUR_MS, cursor);
  if (hourEnd <= from) return undefined;
  const hour: Span = { fromWall: from, toWall: hourEnd, timeZone: run.timeZone };
  const last = windowsOf(hour).at(-1);
  if (last && windowEndInstant(last) > ripeBy) return undefined;
  if (hourEnd === cursor && hourEnd % WALL.HOUR_MS !== 0) return undefined;
  return hour;
}

/** Brings one hour level; false when the run must stop (what it did is in `out`). */
async function reconcileHour(run: Run, hour: Span, out: Outcome): Promise<boolean> {
  const { state, stored } = run;
  await stored.ensure(hour);
  const wins = windowsOf(hour);
  const before = new Map(wins.map((w) => [w.startWall, stored.lookup(w)]));
  const callsBefore = (w: Window) => callCount(before.get(w.startWall) ?? {});
  const resumed = state.searches.has(RECONCILE_SEARCH);
  // Totals that do not add up cannot narrow an hour down: every window with calls is asked again, once.
  const additive = state.vendorMode === 'additive';
  const restate = (w: Window) => (additive ? likelyChanged(state, callsBefore(w)) : callsBefore(w) > 0);
  const direct = resumed ? [] : wins.filter((w) => restate(w) && !run.fresh.has(w.startWall) && !state.quarantined.has(w.startWall));
  if (direct.length > 0) {
    const restated = await collectAgain(run, direct);
    absorb(out, restated);
    if (restated.stop !== 'done') return false;
  }
  // Windows without calls are checked too (calls may not have ended yet), except in a quiet
  // period that began before the hour: the day's verification covers those, as it covers every
  // window without calls when the totals do not add up (one call per run of them).
  const quietAll = state.quietSince !== null && state.quietSince.startWall <= hour.fromWall;
  const rest = additive ? wins.filter((w) => !direct.includes(w) && !run.fresh.has(w.startWall) && (!quietAll || callsBefore(w) > 0)) : [];
  if (resumed || rest.length > 0) {
    const checked = await settleSearch(run, { mode: 'check', key: RECONCILE_SEARCH, quarantine: true }, hour);
    absorb(out, checked);
    if (checked.stop !== 'done') return false;
  }
  learnLateShare(state, wins.map((w) => [before.get(w.startWall), stored.lookup(w)]));
  return true;
}

/** Whether a window with `calls` stored has likely changed since, given the share of calls that arrive late. */
function likelyChanged(state: Pick<StateData, 'lateShare'>, calls: number): boolean {
  const p = state.lateShare ?? INITIAL_LATE_SHARE;
  return calls > 0 && 1 - (1 - p) ** calls >= 0.2;
}

/** The share of calls that reached the report after a window's first collection, smoothed over hours. */
function learnLateShare(state: Pick<StateData, 'lateShare'>, pairs: ReadonlyArray<readonly [Totals | undefined, Totals | undefined]>): void {
  let added = 0;
  let total = 0;
  for (const [was, now] of pairs) {
    const after = callCount(now ?? {});
    total += after;
    added += Math.max(0, after - callCount(was ?? {}));
  }
  if (total === 0) return;
  const seen = added / total;
  state.lateShare = state.lateShare === null ? seen : 0.7 * state.lateShare + 0.3 * seen;
}
