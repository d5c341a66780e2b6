/**
 * Quiet periods on the schedule: after half an hour without calls, due windows wait up to
 * the freshness bound and are then stored with one call over all of them; the first call
 * that finds calls ends the quiet period (its windows are split out of that span).
 */
import { windowsOf, type Span } from '../../domain/span.ts';
import { callCount, type Totals } from '../../domain/totals.ts';
import { WALL } from '../../domain/wall-clock.ts';
import { nextWindow, windowEndInstant, WINDOW_MS, type Window } from '../../domain/window.ts';
import { QUIET_SEARCH } from '../checkpoint-codec.ts';
import type { Outcome } from '../outcome.ts';
import type { Run } from '../run.ts';
import type { StateData } from '../run-state.ts';
import { settleSearch } from '../settle-span.ts';

/** Half an hour of windows without calls before the live cursor makes the operation quiet. */
const QUIET_AFTER_MS = 30 * WALL.MINUTE_MS;
/** The schedule's period: a deferred window must be collected before the run after this one would be late. */
const SCHEDULE_MS = 5 * WALL.MINUTE_MS;
export const DEFAULT_QUIET_FRESHNESS_MINUTES = 30;

export type QuietPlan = { kind: 'windows' } | { kind: 'defer' } | { kind: 'span'; span: Span };

/**
 * While the operation is quiet, due windows wait (up to the freshness bound) and are then
 * collected with one call over all of them; a window with calls ends the quiet period.
 */
export function quietPlan(now: number, freshnessMinutes: number | undefined, state: Pick<StateData, 'quietSince' | 'nextWindow'>, windows: readonly Window[]): QuietPlan {
  const boundMs = (freshnessMinutes ?? DEFAULT_QUIET_FRESHNESS_MINUTES) * WALL.MINUTE_MS;
  const first = windows[0];
  const last = windows[windows.length - 1];
  if (boundMs <= 0 || !first || !last || state.quietSince === null || state.nextWindow === null) return { kind: 'windows' };
  if (state.nextWindow.startWall - state.quietSince.startWall < QUIET_AFTER_MS) return { kind: 'windows' };
  if (windowEndInstant(first) + boundMs >= now + SCHEDULE_MS) return { kind: 'defer' };
  return { kind: 'span', span: { fromWall: first.startWall, toWall: last.startWall + WINDOW_MS, timeZone: first.timeZone } };
}

/** Tracks where the run of windows without calls at the live cursor began. */
export function noteQuiet(state: Pick<StateData, 'quietSince'>, w: Window, calls: Totals): void {
  if (callCount(calls) > 0) state.quietSince = nextWindow(w);
  else state.quietSince ??= w;
}

/** The due windows of a quiet period, settled top down from one call over all of them. */
export async function collectQuiet(run: Run, span: Span): Promise<Outcome> {
  const { state, stored, settings } = run;
  // A quiet search an earlier run cut short resumes on its own spans: what it settles ends where
  // its span ended, which may be before the windows due now.
  const saved = state.searches.get(QUIET_SEARCH)?.[0];
  const covered = saved ? { ...span, toWall: saved.toWall } : span;
  const outcome = await settleSearch(run, { mode: 'fill', key: QUIET_SEARCH, quarantine: true, ...(settings.onCollected ? { onCollected: settings.onCollected } : {}) }, covered);
  if (outcome.stop !== 'done') return outcome;
  // The live cursor moves only past windows stored (or given up on): never past one no call established.
  const windows = windowsOf(covered);
  const settled = windows.findIndex((w) => !stored.has(w.startWall) && !state.quarantined.has(w.startWall));
  const through = settled === -1 ? windows : windows.slice(0, settled);
  state.nextWindow = settled === -1 ? run.windowAt(covered.toWall) : windows[settled]!;
  // The quiet period goes on from after the last window that had calls, if any had.
  const lastWithCalls = [...through].reverse().find((w) => callCount(stored.lookup(w) ?? {}) > 0);
  if (lastWithCalls) state.quietSince = nextWindow(lastWithCalls);
  outcome.notes.handled = through.length;
  return outcome;
}
