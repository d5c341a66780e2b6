import { firstInstantOf, formatDate, formatHour, formatVendor, formatWall, instantsOf, lastInstantOf, WALL } from './wall-clock.ts';

export const WINDOW_MS = 5 * WALL.MINUTE_MS;

/**
 * One 5-minute window on the operation's wall clock: [start, start + 5 min).
 * `startWall` is naive wall-clock ms (see wall-clock.ts), aligned to :00, :05, ...
 */
export interface Window {
  readonly startWall: number;
  readonly timeZone: string;
}

export function windowAt(startWall: number, timeZone: string): Window {
  if (startWall % WINDOW_MS !== 0) throw new RangeError(`window start ${formatWall(startWall)} is not on a 5-minute boundary`);
  return { startWall, timeZone };
}

export function nextWindow(w: Window): Window {
  return { startWall: w.startWall + WINDOW_MS, timeZone: w.timeZone };
}

/** The vendor's `date_ini`: first second of the window. */
export function dateIni(w: Window): string {
  return formatVendor(w.startWall);
}

/** The vendor's `date_end`: last second of the window, inclusive as in the vendor's examples. */
export function dateEnd(w: Window): string {
  return formatVendor(w.startWall + WINDOW_MS - 1000);
}

/** False for labels the clock skips (spring-forward gap): such a window holds no time at all. */
export function windowExists(w: Window): boolean {
  return instantsOf(w.startWall, w.timeZone).length > 0;
}

/** Real instant the window starts (the earlier one when its hour repeats). */
export function windowStartInstant(w: Window): number {
  return firstInstantOf(w.startWall, w.timeZone);
}

/**
 * Real instant after which no call can still fall into the window: in a repeated
 * (fall-back) hour the wall-clock label covers both passes, so it ends after the second.
 */
export function windowEndInstant(w: Window): number {
  return lastInstantOf(w.startWall, w.timeZone) + WINDOW_MS;
}

export function describeWindow(w: Window): { window_start: string; window_end: string; window_start_utc: string; window_end_utc: string } {
  return {
    window_start: formatWall(w.startWall),
    window_end: formatWall(w.startWall + WINDOW_MS),
    window_start_utc: new Date(windowStartInstant(w)).toISOString(),
    window_end_utc: new Date(windowEndInstant(w)).toISOString(),
  };
}

/** Partition values of the window (its start, on the wall clock). */
export function windowPartition(w: Window): { dt: string; hour: string } {
  return { dt: formatDate(w.startWall), hour: formatHour(w.startWall) };
}
