import { toWallClock, WALL } from './wall-clock.ts';
import { nextWindow, WINDOW_MS, windowEndInstant, windowExists, type Window } from './window.ts';

export interface DuePlanInput {
  /** Real time now (epoch ms). */
  readonly now: number;
  readonly timeZone: string;
  /** A window is due once it ended at least this long ago (late calls reach the report). */
  readonly settleMinutes: number;
  /** First window not yet collected (from the checkpoint); undefined on a first run. */
  readonly cursor?: Window | undefined;
  /** On a first run, how many windows back from the latest due one to start (1 = only the latest). */
  readonly firstRunWindows: number;
  /** At most this many windows are returned (a run cannot do more anyway). */
  readonly limit: number;
}

/** The latest window whose end lies at least `settleMinutes` before `now`. */
export function latestDueWindow(now: number, timeZone: string, settleMinutes: number): Window {
  const dueBy = now - settleMinutes * WALL.MINUTE_MS;
  const wall = toWallClock(dueBy, timeZone);
  let start = Math.floor(wall / WINDOW_MS) * WINDOW_MS - WINDOW_MS;
  // Around DST changes the wall clock and real time disagree for an hour: step back until
  // the window really has ended (a repeated hour's label ends after its second pass).
  while (!windowExists({ startWall: start, timeZone }) || windowEndInstant({ startWall: start, timeZone }) > dueBy) start -= WINDOW_MS;
  return { startWall: start, timeZone };
}

/**
 * Due windows, oldest first: from the cursor (or the first-run start) up to the latest
 * due window. Labels the clock skips (spring-forward) are left out, a repeated hour's
 * labels appear once, so windows tile wall-clock time without gap or overlap.
 */
export function planDueWindows(input: DuePlanInput): Window[] {
  const latest = latestDueWindow(input.now, input.timeZone, input.settleMinutes);
  const start = input.cursor?.startWall ?? latest.startWall - (Math.max(1, input.firstRunWindows) - 1) * WINDOW_MS;
  return windowsBetween({ startWall: start, timeZone: input.timeZone }, latest.startWall + WINDOW_MS, input.limit);
}

/** Existing windows from `first` (inclusive) to the wall-clock label `endWall` (exclusive), one at a time. */
export function* iterateWindows(first: Window, endWall: number): Generator<Window> {
  for (let w = first; w.startWall < endWall; w = nextWindow(w)) {
    if (windowExists(w)) yield w;
  }
}

/** The same as a list, at most `limit` long. */
export function windowsBetween(first: Window, endWall: number, limit = Number.POSITIVE_INFINITY): Window[] {
  const out: Window[] = [];
  for (const w of iterateWindows(first, endWall)) {
    if (out.length >= limit) break;
    out.push(w);
  }
  return out;
}
