/**
 * Lists of days (and of windows) as compressed ranges: a month of verified days reads
 * "2026-10-01..2026-10-31", not 31 dates on a 250-character line.
 */
import { formatDate, formatWall, parseWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

const DAY_MS = 24 * 60 * 60_000;

export interface LabelRange {
  readonly from: string;
  readonly to: string;
  /** Labels in the range (both ends included). */
  readonly count: number;
}

/** Runs of consecutive labels, `step` ms apart on the wall clock; labels in any order, duplicates once. */
function runsOf(labels: Iterable<string>, step: number, parse: (label: string) => number | undefined, format: (wall: number) => string): LabelRange[] {
  const walls = [...new Set(labels)].map((l) => {
    const wall = parse(l);
    if (wall === undefined) throw new RangeError(`not a label: ${l}`);
    return wall;
  });
  walls.sort((a, b) => a - b);
  const out: LabelRange[] = [];
  let start: number | undefined;
  let prev = 0;
  for (const wall of [...walls, Number.NaN]) {
    if (start !== undefined && wall === prev + step) {
      prev = wall;
      continue;
    }
    if (start !== undefined) out.push({ from: format(start), to: format(prev), count: Math.round((prev - start) / step) + 1 });
    start = wall;
    prev = wall;
  }
  return out;
}

/** Days (`YYYY-MM-DD`) as runs of consecutive days. */
export function dayRanges(days: Iterable<string>): LabelRange[] {
  return runsOf(days, DAY_MS, (d) => parseWall(`${d} 00:00`), formatDate);
}

/** Window labels (`YYYY-MM-DD HH:mm:ss`) as runs of consecutive windows. */
export function windowRanges(labels: Iterable<string>): LabelRange[] {
  return runsOf(labels, WINDOW_MS, parseWall, formatWall);
}

/** One range as text: `a..b`, or `a` alone. */
export function formatRange(r: LabelRange): string {
  return r.count === 1 ? r.from : `${r.from}..${r.to}`;
}

/** Days as one short line: "2026-10-01..2026-10-31, 2026-11-03". */
export function formatDays(days: Iterable<string>): string {
  return dayRanges(days).map(formatRange).join(', ');
}
