/**
 * A folder holding months of one operation's history as the collector leaves it: a window
 * object and a fetch-log record per window, a day object and a pending then a verified
 * record per day, and a checkpoint. Written directly (no API call), so a year takes a minute,
 * not the token's week.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshDays } from '../lambda/collector/day-objects.ts';
import { verificationRecord, writeVerificationRecord } from '../lambda/collector/verification-records.ts';
import { labelOf, serializeCheckpoint } from '../lambda/domain/checkpoint.ts';
import { checkpointKey, fetchLogKey } from '../lambda/domain/layout.ts';
import { buildFetchRecord, toNdjson } from '../lambda/domain/rows.ts';
import { totalsOfRows } from '../lambda/domain/totals.ts';
import { windowEndInstant } from '../lambda/domain/window.ts';
import { LocalStore } from '../lambda/storage/local-store.ts';
import { JSON_TYPE, NDJSON } from '../lambda/storage/object-store.ts';
import { blankCheckpoint } from '../test/support/checkpoint.ts';
import { collectRows, dayWindows, seeded, writeWindow } from '../test/support/window-objects.ts';

export interface HistoryStore {
  readonly out: string;
  readonly store: LocalStore;
  readonly windows: number;
  readonly days: readonly string[];
}

/** `count` days ending the day before `before` (`YYYY-MM-DD`), oldest first. */
export function daysBefore(before: string, count: number): string[] {
  const end = Date.parse(`${before}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - i) * 86_400_000).toISOString().slice(0, 10));
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Writes `days` of history of `operation` into a new folder; `days` may be empty (an empty store with its checkpoint). */
export async function writeHistory(days: readonly string[], o: { operation: string; prefix: string; timeZone: string; seed?: number }): Promise<HistoryStore> {
  const out = await mkdtemp(join(tmpdir(), 'bench-history-'));
  const store = new LocalStore(out);
  const scope = { prefix: o.prefix, operation: o.operation, timeZone: o.timeZone };
  const rnd = seeded(o.seed ?? 7);
  let windows = 0;
  await inParallel(days, 4, async (day) => {
    const ws = dayWindows(day, o.timeZone);
    const first = ws[0]!;
    await writeVerificationRecord(store, scope, day, verificationRecord('pending', windowEndInstant(first), o.timeZone));
    let dayRows: ReturnType<typeof collectRows> = [];
    for (const w of ws) {
      const fetchId = `hist-${w.startWall}`;
      const rows = collectRows(w, rnd, 1, fetchId);
      dayRows = dayRows.concat(rows);
      const requestedAt = windowEndInstant(w) + 300_000;
      const record = buildFetchRecord(w, { fetchId, requestedAt, latencyMs: 100, httpStatus: 200, body: null, revision: 1, collectedAt: requestedAt }, { report: { kind: rows.length ? 'collected' : 'empty', intervals: [], vendorCode: '200', vendorMsg: null, warnings: [] }, rowCount: rows.length });
      await Promise.all([writeWindow(store, o.prefix, o.operation, w, rows), store.put(fetchLogKey(o.prefix, o.operation, w, fetchId), toNdjson([record]), NDJSON)]);
      windows += 1;
    }
    const totals = totalsOfRows(dayRows);
    const verifiedAt = windowEndInstant(ws.at(-1)!) + 5 * 3_600_000;
    await writeVerificationRecord(store, scope, day, verificationRecord('verified', verifiedAt, o.timeZone, { vendor: totals, stored: totals, apiCalls: 1, windowsRecollected: 0, fetchId: `day-${day}` }));
  });
  // Day objects from the window objects, as every run's close writes them.
  for (let i = 0; i < days.length; i += 16) await refreshDays(store, { prefix: o.prefix, operation: o.operation }, days.slice(i, i + 16));
  const first = days[0] ? labelOf(dayWindows(days[0], o.timeZone)[0]!) : null;
  await store.put(checkpointKey(o.prefix, o.operation), serializeCheckpoint(blankCheckpoint(o.operation, o.timeZone, { live_from: first })), JSON_TYPE);
  return { out, store, windows, days };
}
