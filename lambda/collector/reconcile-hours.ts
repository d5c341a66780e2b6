/**
 * Reconciliation: an hour at a time, once it is `restateAfter` old, the hour's stored windows
 * are brought level with the vendor's, at the fewest calls the recent share of late calls
 * suggests (restated directly where most windows will have changed, else one call for the
 * hour and a search for what differs).
 */
import { labelOf } from '../domain/checkpoint.ts';
import { windowsOf, type Span } from '../domain/span.ts';
import { callCount, type Totals } from '../domain/totals.ts';
import { parseWall, WALL } from '../domain/wall-clock.ts';
import { windowEndInstant, type Window } from '../domain/window.ts';
import { collectWindows, type StopReason } from './collect-windows.ts';
import type { RunState } from './run-state.ts';
import { settleSearch, type SettleDeps, type SettleSettings, type StoredDays } from './settle-span.ts';

/** What the share of late calls is taken to be before any hour was reconciled. */
const INITIAL_LATE_SHARE = 0.15;

/**
 * Reconciliation, an hour at a time once the hour is `restateAfter` old: windows likely to
 * have changed (many calls, given the share of calls seen to arrive late) are collected
 * again directly; if other windows remain, one call for the hour compares it with its stored
 * windows and the search re-collects only what differs. Hours of a quiet period are left to
 * the day's verification.
 */
export async function reconcileHours(deps: SettleDeps, s: SettleSettings, state: RunState, stored: StoredDays, o: { ripeBy: number; cursor: number; justCollected: ReadonlySet<number>; budget: () => number }): Promise<{ recollected: number; stopReason: StopReason }> {
  let recollected = 0;
  while (state.restateNext !== null) {
    const from = parseWall(state.restateNext)!;
    const hourEnd = Math.min(Math.floor(from / WALL.HOUR_MS) * WALL.HOUR_MS + WALL.HOUR_MS, o.cursor);
    if (hourEnd <= from) break;
    const hour: Span = { fromWall: from, toWall: hourEnd, timeZone: s.timeZone };
    const wins = windowsOf(hour);
    const lastWin = wins[wins.length - 1];
    // An hour once all its windows are collected (the live cursor is past it) and the last is ripe.
    if (lastWin && windowEndInstant(lastWin) > o.ripeBy) break;
    if (hourEnd === o.cursor && hourEnd % WALL.HOUR_MS !== 0) break;
    await stored.ensure(hour);
    const before = new Map(wins.map((w) => [w.startWall, stored.lookup(w)]));
    const resumed = state.searches.has('reconcile');
    const p = state.lateShare ?? INITIAL_LATE_SHARE;
    const likelyChanged = (w: Window) => {
      const n = callCount(before.get(w.startWall) ?? {});
      return n > 0 && 1 - (1 - p) ** n >= 0.2;
    };
    const direct = resumed ? [] : wins.filter((w) => likelyChanged(w) && !o.justCollected.has(w.startWall) && !state.quarantined.has(labelOf(w)));
    if (direct.length > 0) {
      const result = await collectWindows(
        deps,
        {
          ...s,
          revision: 2,
          maxApiCalls: o.budget(),
          quarantine: () => true,
          onApiCall: () => state.countCall(),
          ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
          onCollected: (c) => stored.set(c.window, c.callsByInterval),
          beforeWrite: (w) => state.markDay(w),
          afterHandled: async (w, outcome) => {
            state.noteHandled(w, outcome);
            await state.progress();
          },
        },
        direct,
      );
      recollected += result.collected.count;
      if (result.stopReason !== 'done') return { recollected, stopReason: result.stopReason };
    }
    // Windows without calls are checked too (calls may not have ended yet), except in a quiet
    // period that began before the hour: the day's verification covers those.
    const quietAll = state.quietSince !== null && parseWall(state.quietSince)! <= hour.fromWall;
    const rest = wins.filter((w) => !direct.includes(w) && !o.justCollected.has(w.startWall) && (!quietAll || callCount(before.get(w.startWall) ?? {}) > 0));
    if (resumed || rest.length > 0) {
      const outcome = await settleSearch(deps, s, state, stored, { mode: 'check', key: 'reconcile', maxApiCalls: o.budget(), quarantine: true }, hour);
      recollected += outcome.recollected + outcome.emptied;
      if (outcome.stopReason !== 'done') return { recollected, stopReason: outcome.stopReason };
    }
    learnLateShare(state, wins.map((w) => [before.get(w.startWall), stored.lookup(w)]));
    state.restateNext = labelOf({ startWall: hourEnd, timeZone: s.timeZone });
    await state.progress();
  }
  return { recollected, stopReason: 'done' };
}

/** The share of calls that reached the report after a window's first collection, smoothed over hours. */
function learnLateShare(state: RunState, pairs: ReadonlyArray<readonly [Totals | undefined, Totals | undefined]>): void {
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

