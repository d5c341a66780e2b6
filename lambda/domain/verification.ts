/**
 * When a day may be checked against the vendor's total for it, when it is checked again, and
 * when it counts as late: pure functions of days and instants.
 */
import { DAY_MS, type Day } from './day.ts';
import { WALL } from './wall-clock.ts';
import { windowEndInstant, WINDOW_MS } from './window.ts';

export const DEFAULT_VERIFY_AFTER_MINUTES = 240;
export const DEFAULT_UNVERIFIED_ALARM_DAYS = 3;
/** After a check found changes and a second one still did, the day waits this long, doubled with each such check (at most 12 h). */
const RECHECK_AFTER_MS = 60 * WALL.MINUTE_MS;
const RECHECK_MAX_MS = 12 * WALL.HOUR_MS;

/** How long a day waits for its next check after `checks` checks that found changes. */
export function recheckAfter(checks: number): number {
  return Math.min(RECHECK_MAX_MS, RECHECK_AFTER_MS * 2 ** Math.max(0, checks - 1));
}

/** The instant from which a day may be verified: its last window's end plus the horizon. */
export function verifiableFrom(day: Day, timeZone: string, verifyAfterMinutes: number): number {
  const last = { startWall: day + DAY_MS - WINDOW_MS, timeZone };
  return windowEndInstant(last) + verifyAfterMinutes * WALL.MINUTE_MS;
}

/**
 * Pending days unverified more than `boundDays` after they ended, or after their first window
 * was written if that came later (history loaded today is not late): what DaysUnverified counts.
 */
export function daysUnverifiedPastBound(pending: ReadonlyMap<Day, { readonly since: number }>, now: number, timeZone: string, boundDays = DEFAULT_UNVERIFIED_ALARM_DAYS): number {
  let n = 0;
  for (const [day, p] of pending) if (Math.max(verifiableFrom(day, timeZone, 0), p.since) + boundDays * DAY_MS < now) n += 1;
  return n;
}
