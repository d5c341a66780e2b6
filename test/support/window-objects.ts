import type { ParsedReport, ReportInterval } from '../../lambda/domain/cdr4-report.ts';
import type { DataRow } from '../../lambda/domain/columns.ts';
import { dataKey } from '../../lambda/domain/layout.ts';
import { buildDataRows, toNdjson } from '../../lambda/domain/rows.ts';
import { windowsBetween } from '../../lambda/domain/planner.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { windowEndInstant, type Window } from '../../lambda/domain/window.ts';
import { NDJSON, type ObjectStore } from '../../lambda/storage/object-store.ts';

/** Seeded PRNG (the simulator's mulberry32): the same seed gives the same sequence, so a failure can be replayed. */
export { prng as seeded } from '../simulator/synthetic-calls.ts';

const INTERVALS: readonly [string, number | null, number | null][] = [
  ['0_5_seg', 0, 5],
  ['6_20_seg', 6, 20],
  ['21_60_seg', 21, 60],
  ['61_120_seg', 61, 120],
  ['greater_than_121', 122, null],
];

/** The windows of one wall-clock day, as the planner makes them (276 on a spring-forward day). */
export function dayWindows(day: string, timeZone: string): Window[] {
  const start = parseWall(`${day} 00:00`);
  if (start === undefined) throw new Error(`bad day ${day}`);
  return windowsBetween({ startWall: start, timeZone }, start + 24 * 3_600_000);
}

/**
 * Rows of one collection of a window, made by the collector's own row builder from a
 * report like the vendor's: all five intervals, sometimes fewer, an unknown key or a
 * blank figure, and now and then no calls at all (a zero-line object).
 */
export function collectRows(w: Window, rnd: () => number, revision: number, fetchId: string): DataRow[] {
  const r = rnd();
  const intervals: ReportInterval[] =
    r < 0.1
      ? []
      : INTERVALS.filter(() => r > 0.3 || rnd() < 0.7).map(([key, minSeconds, maxSeconds]) => ({
          key,
          minSeconds,
          maxSeconds,
          calls: rnd() < 0.05 ? null : Math.floor(rnd() * 40),
          minutes: rnd() < 0.05 ? null : Math.round(rnd() * 4000) / 10,
          cost: Math.round(rnd() * 100000) / 100,
          percentage: Math.round(rnd() * 10000) / 100,
        }));
  if (r > 0.97) intervals.push({ key: 'new_bucket_x', minSeconds: null, maxSeconds: null, calls: 1, minutes: null, cost: null, percentage: null });
  const report: ParsedReport = { kind: intervals.length ? 'collected' : 'empty', intervals, vendorCode: '200', vendorMsg: null, warnings: [] };
  const collectedAt = windowEndInstant(w) + (revision > 1 ? 3_600_000 : 300_000);
  return buildDataRows(w, report, { fetchId, requestedAt: collectedAt, latencyMs: 100, httpStatus: 200, body: null, revision, collectedAt });
}

/** Writes a window's data object as the collector does (overwriting any earlier collection). */
export async function writeWindow(store: ObjectStore, prefix: string, operation: string, w: Window, rows: readonly DataRow[]): Promise<string> {
  const key = dataKey(prefix, operation, w);
  await store.put(key, toNdjson(rows), NDJSON);
  return key;
}

/** Rows of a stored window object, parsed independently of the code under test. */
export function parseNdjson(text: string): DataRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DataRow);
}
