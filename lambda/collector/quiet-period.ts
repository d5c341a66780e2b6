/**
 * Quiet periods on the schedule: after half an hour without calls, due windows wait up to
 * the freshness bound and are then stored with one call over all of them; the first call
 * that finds calls ends the quiet period (its windows are split out of that span).
 */
import { labelOf } from '../domain/checkpoint.ts';
import { windowsOf, type Span } from '../domain/span.ts';
import { callCount, type Totals } from '../domain/totals.ts';
import { parseWall, WALL } from '../domain/wall-clock.ts';
import { windowEndInstant, WINDOW_MS, type Window } from '../domain/window.ts';
import type { CollectOptions, CollectResult } from './collect-windows.ts';
import { labelAfter, type RunState } from './run-state.ts';
import { settleSearch, type DayAnswers, type SettleDeps, type SettleSettings, type StoredDays } from './settle-span.ts';

export interface QuietSettings extends SettleSettings {
  /** Windows wait at most this long after they end; 0 turns quiet periods off. */
  readonly quietFreshnessMinutes?: number;
  readonly onCollected?: CollectOptions['onCollected'];
}

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
export function quietPlan(now: number, s: QuietSettings, state: RunState, windows: readonly Window[]): QuietPlan {
  const boundMs = (s.quietFreshnessMinutes ?? DEFAULT_QUIET_FRESHNESS_MINUTES) * WALL.MINUTE_MS;
  const first = windows[0];
  const last = windows[windows.length - 1];
  if (boundMs <= 0 || !first || !last || state.quietSince === null || state.nextWindow === null) return { kind: 'windows' };
  if (parseWall(state.nextWindow)! - parseWall(state.quietSince)! < QUIET_AFTER_MS) return { kind: 'windows' };
  if (windowEndInstant(first) + boundMs >= now + SCHEDULE_MS) return { kind: 'defer' };
  return { kind: 'span', span: { fromWall: first.startWall, toWall: last.startWall + WINDOW_MS, timeZone: s.timeZone } };
}

/** Tracks where the run of windows without calls at the live cursor began. */
export function noteQuiet(state: RunState, w: Window, calls: Totals): void {
  if (callCount(calls) > 0) state.quietSince = labelAfter(w);
  else state.quietSince ??= labelOf(w);
}

/** The due windows of a quiet period, settled top down from one call over all of them. */
export async function collectQuiet(deps: SettleDeps, s: QuietSettings, state: RunState, stored: StoredDays, answers: DayAnswers, span: Span, maxApiCalls: number): Promise<CollectResult> {
  const outcome = await settleSearch(deps, s, state, stored, { mode: 'fill', key: 'quiet', maxApiCalls, quarantine: true, ...(s.onCollected ? { onCollected: s.onCollected } : {}) }, span);
  answers.merge(outcome);
  const done = outcome.stopReason === 'done';
  if (done) {
    state.nextWindow = labelOf({ startWall: span.toWall, timeZone: s.timeZone });
    // The quiet period goes on from after the last window that had calls, if any had.
    for (const w of windowsOf(span).reverse()) {
      if (callCount(stored.lookup(w) ?? {}) > 0) {
        state.quietSince = labelAfter(w);
        break;
      }
    }
  }
  const handledCount = done ? windowsOf(span).length : 0;
  return { collected: outcome.collected, quarantined: outcome.quarantined, handledCount, stopReason: outcome.stopReason, ...(outcome.stoppedAt ? { stoppedAt: outcome.stoppedAt } : {}), apiCalls: outcome.apiCalls };
}

