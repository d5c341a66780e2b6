/**
 * A span: a run of consecutive 5-minute windows [fromWall, toWall) on the operation's wall
 * clock, asked of the vendor in one call (`cdr_4` sums any range of up to 31 days).
 */
import { DAY_MS, parseDay, type Day } from './day.ts';
import { iterateWindows } from './planner.ts';
import { formatVendor, formatWall, WALL } from './wall-clock.ts';
import { WINDOW_MS, type Window } from './window.ts';

export { DAY_MS };
/** The vendor's longest range for one call. */
export const MAX_SPAN_MS = 31 * DAY_MS;

export interface Span {
  readonly fromWall: number;
  /** Exclusive. */
  readonly toWall: number;
  readonly timeZone: string;
}

export function spanOf(w: Window): Span {
  return { fromWall: w.startWall, toWall: w.startWall + WINDOW_MS, timeZone: w.timeZone };
}

/** The vendor's `date_ini` and `date_end` (last second, inclusive) of the span. */
export function spanDates(s: Span): { date_ini: string; date_end: string } {
  return { date_ini: formatVendor(s.fromWall), date_end: formatVendor(s.toWall - 1000) };
}

export function describeSpan(s: Span): string {
  return `${formatWall(s.fromWall).slice(0, 16)} to ${formatWall(s.toWall).slice(0, 16)}`;
}

/** The windows of the span that exist (a spring-forward gap holds none). */
export function windowsOf(s: Span): Window[] {
  return [...iterateWindows({ startWall: s.fromWall, timeZone: s.timeZone }, s.toWall)];
}

/** The operation day `YYYY-MM-DD` as a span of its windows. */
export function daySpan(day: string, timeZone: string): Span {
  const fromWall = parseDay(day);
  if (fromWall === undefined) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  return spanOfDay(fromWall, timeZone);
}

/** The operation day as a span of its windows. */
export function spanOfDay(day: Day, timeZone: string): Span {
  return { fromWall: day, toWall: day + DAY_MS, timeZone };
}

/** Whether the span covers whole days only (from a midnight to a midnight). */
export function coversWholeDays(s: Span): boolean {
  return s.fromWall % DAY_MS === 0 && s.toWall % DAY_MS === 0;
}

/**
 * Two halves cut at the most natural boundary near `middle` (default: the middle in time): a
 * midnight for spans of several days, else a full hour, else a window boundary. Users read
 * the fetch log by day and hour, and an hour-aligned half is as likely to be empty as any other.
 */
export function splitSpan(s: Span, middle = s.fromWall + (s.toWall - s.fromWall) / 2): [Span, Span] {
  const length = s.toWall - s.fromWall;
  if (length < 2 * WINDOW_MS) throw new RangeError('a single window cannot be split');
  // Both halves hold at least one window, wherever the middle was asked for.
  middle = Math.min(Math.max(middle, s.fromWall + WINDOW_MS), s.toWall - WINDOW_MS);
  for (const unit of [DAY_MS, WALL.HOUR_MS, WINDOW_MS]) {
    const cut = Math.round(middle / unit) * unit;
    const inside = cut > s.fromWall && cut < s.toWall ? cut : [Math.floor(middle / unit) * unit, Math.ceil(middle / unit) * unit].find((c) => c > s.fromWall && c < s.toWall);
    if (inside !== undefined) return [{ ...s, toWall: inside }, { ...s, fromWall: inside }];
  }
  throw new RangeError('no boundary inside the span');
}

/** Spans of at most `maxMs` covering [fromWall, toWall), cut at midnights when longer than a day. */
export function chunkSpan(fromWall: number, toWall: number, timeZone: string, maxMs = MAX_SPAN_MS): Span {
  let end = Math.min(toWall, fromWall + maxMs);
  if (end < toWall && end - fromWall > DAY_MS) end = Math.max(Math.floor(end / DAY_MS) * DAY_MS, fromWall + WINDOW_MS);
  return { fromWall, toWall: end, timeZone };
}

/** Runs of consecutive windows (given in time order) as spans, each as long as its run. */
export function spansOfRuns(windows: readonly Window[], timeZone: string): Span[] {
  const spans: Span[] = [];
  for (const w of windows) {
    const last = spans.at(-1);
    if (last && last.toWall === w.startWall) spans[spans.length - 1] = { ...last, toWall: w.startWall + WINDOW_MS };
    else spans.push({ fromWall: w.startWall, toWall: w.startWall + WINDOW_MS, timeZone });
  }
  return spans;
}
