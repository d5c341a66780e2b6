import { describe, expect, it } from 'vitest';
import { dayWindowsPrefix, refreshDays } from '../../lambda/collector/day-objects.ts';
import { DAY_FORMAT, decodeDay, encodeDay, MANIFEST_KEY } from '../../lambda/domain/daily-parquet.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { dailyKey, dataKey } from '../../lambda/domain/layout.ts';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { CaptureLog } from '../support/capture-log.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { collectRows, dayWindows, parseNdjson, seeded, writeWindow } from '../support/window-objects.ts';

const TZ = 'America/Bogota';
const OP = '0032';
const PREFIX = 'p';
const SCOPE = { prefix: PREFIX, operation: OP };
const DAY = '2026-11-20';
const WINDOWS = dayWindows(DAY, TZ);

async function dayObject(store: MemoryStore, day = DAY) {
  const bytes = await store.getBytes(dailyKey(PREFIX, OP, day));
  return bytes && decodeDay(bytes);
}

/** Writes windows [from, to) of the day with fresh rows; returns their rows by window start. */
async function collect(store: MemoryStore, from: number, to: number, seed = 1, revision = 1) {
  const rnd = seeded(seed);
  const rows = [];
  for (const w of WINDOWS.slice(from, to)) {
    const r = collectRows(w, rnd, revision, `f${seed}-${w.startWall}-${revision}`);
    await writeWindow(store, PREFIX, OP, w, r);
    rows.push(...r);
  }
  return rows;
}

function counters(store: MemoryStore) {
  return { lists: store.lists, gets: store.gets, puts: store.puts };
}
function resetCounters(store: MemoryStore) {
  store.lists = 0;
  store.gets = 0;
  store.puts = 0;
}

describe('Function: refreshDays', () => {
  it('returns a summary and writes a day object holding every window of the day when there was none', async () => {
    // Prepare
    const store = new MemoryStore();
    const rows = await collect(store, 0, 288);
    resetCounters(store);

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    const requests = counters(store);
    const day = await dayObject(store);
    expect(summary).toEqual({ days: 1, daysRewritten: 1, windowsRead: 288, rows: rows.length, failedDays: [], skippedDays: [] });
    expect(day!.windows).toHaveLength(288);
    expect(day!.rows.map(({ hour: _h, ...r }) => r)).toEqual(expect.arrayContaining(rows));
    expect(day!.rows).toHaveLength(rows.length);
    expect(requests).toEqual({ lists: 1, gets: 1 + 288, puts: 1 });
  });

  it('returns after 1 LIST, 1 GET of the day object, 1 GET of the new window and 1 PUT when one window is added to a day of 287', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 287);
    await refreshDays(store, SCOPE, [DAY]);
    const added = await collect(store, 287, 288, 9);
    resetCounters(store);

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect(counters(store)).toEqual({ lists: 1, gets: 2, puts: 1 });
    expect(summary.windowsRead).toBe(1);
    const day = await dayObject(store);
    expect(day!.windows).toHaveLength(288);
    expect(day!.windows.at(-1)!.rows).toEqual(added);
  });

  it('returns without writing when no window changed since the day object was written', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 12);
    await refreshDays(store, SCOPE, [DAY]);
    const before = store.binaries.get(dailyKey(PREFIX, OP, DAY));
    resetCounters(store);

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect(summary).toEqual({ days: 1, daysRewritten: 0, windowsRead: 0, rows: 0, failedDays: [], skippedDays: [] });
    expect(counters(store)).toEqual({ lists: 1, gets: 1, puts: 0 });
    expect(store.binaries.get(dailyKey(PREFIX, OP, DAY))).toBe(before);
  });

  it('returns the restated rows in place of the first collection, never both, when a window is collected again', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 3, 1, 1);
    await refreshDays(store, SCOPE, [DAY]);
    const restated = await collect(store, 1, 2, 2, 2);

    // Act
    await refreshDays(store, SCOPE, [DAY]);

    // Assess
    const day = await dayObject(store);
    const second = day!.rows.filter((r) => r.window_start === restated[0]!.window_start);
    expect(second.map(({ hour: _h, ...r }) => r)).toEqual(expect.arrayContaining(restated));
    expect(second).toHaveLength(restated.length);
    expect(second.every((r) => r.revision === 2)).toBe(true);
  });

  it('returns a day object without a window whose object disappeared', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 3);
    await refreshDays(store, SCOPE, [DAY]);
    store.remove(dataKey(PREFIX, OP, WINDOWS[1]!));

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    const day = await dayObject(store);
    expect(summary.daysRewritten).toBe(1);
    expect(day!.windows.map((w) => w.key)).toEqual([dataKey(PREFIX, OP, WINDOWS[0]!), dataKey(PREFIX, OP, WINDOWS[2]!)].map((k) => k.slice(dayWindowsPrefix(SCOPE, DAY).length)));
  });

  it('returns without writing a day object when the day has no window objects', async () => {
    // Prepare
    const store = new MemoryStore();

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect(summary).toEqual({ days: 1, daysRewritten: 0, windowsRead: 0, rows: 0, failedDays: [], skippedDays: [] });
    expect(store.keys()).toEqual([]);
  });

  it('returns windows without calls in the manifest, with no rows', async () => {
    // Prepare
    const store = new MemoryStore();
    await writeWindow(store, PREFIX, OP, WINDOWS[5]!, []);

    // Act
    await refreshDays(store, SCOPE, [DAY]);

    // Assess
    const day = await dayObject(store);
    expect(day!.manifest.windows).toEqual([{ key: 'hour=00/20261120002500-20261120002959.json', version: expect.any(String), rows: 0 }]);
  });

  it('returns the day rebuilt from its windows, with a warning, when the day object is not readable', async () => {
    // Prepare
    const store = new MemoryStore();
    const rows = await collect(store, 0, 4);
    await store.put(dailyKey(PREFIX, OP, DAY), new TextEncoder().encode('not parquet'), 'application/vnd.apache.parquet');
    const log = new CaptureLog();

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY], { log });

    // Assess
    expect(summary.daysRewritten).toBe(1);
    expect(summary.windowsRead).toBe(4);
    expect((await dayObject(store))!.rows).toHaveLength(rows.length);
    expect(log.lines.some((l) => l.includes('"level":"warn"') && l.includes('rebuilding'))).toBe(true);
  });

  it('returns the day rebuilt from its windows when the day object has an older format', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 2);
    const old = parquetWriteBuffer({ columnData: [{ name: 'x', data: [1], type: 'INT32' }], kvMetadata: [{ key: MANIFEST_KEY, value: JSON.stringify({ format: DAY_FORMAT - 1, windows: [] }) }] });
    await store.put(dailyKey(PREFIX, OP, DAY), new Uint8Array(old), 'application/vnd.apache.parquet');

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect(summary.windowsRead).toBe(2);
    expect((await dayObject(store))!.manifest.format).toBe(DAY_FORMAT);
  });

  it('returns an empty day object in place of an unreadable one when the day has no windows left', async () => {
    // Prepare
    const store = new MemoryStore();
    await store.put(dailyKey(PREFIX, OP, DAY), new TextEncoder().encode('garbage'), 'application/octet-stream');

    // Act
    await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect((await dayObject(store))!.rows).toEqual([]);
  });

  it('returns the day in failedDays, logged, leaving its day object as it was, when a window object is not NDJSON of its rows', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 2);
    await refreshDays(store, SCOPE, [DAY]);
    const before = store.binaries.get(dailyKey(PREFIX, OP, DAY));
    await store.put(dataKey(PREFIX, OP, WINDOWS[3]!), '{"window_start": "truncated', 'application/x-ndjson');
    await collect(store, 0, 2, 1, 1);
    const other = dayWindows('2026-11-21', TZ)[0]!;
    await writeWindow(store, PREFIX, OP, other, collectRows(other, seeded(3), 1, 'f-other'));
    const log = new CaptureLog();

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY, '2026-11-21'], { log });

    // Assess
    expect(summary.failedDays).toEqual([DAY]);
    expect(summary.daysRewritten).toBe(1);
    expect(store.binaries.get(dailyKey(PREFIX, OP, DAY))).toBe(before);
    expect(await dayObject(store, '2026-11-21')).not.toBeNull();
    expect(log.lines.some((l) => l.includes('"level":"error"') && l.includes('20261120001500') && l.includes('not JSON'))).toBe(true);
  });

  it('returns the day in failedDays when a window object holds rows of another window', async () => {
    // Prepare
    const store = new MemoryStore();
    const rows = collectRows(WINDOWS[0]!, seeded(5), 1, 'f');
    await writeWindow(store, PREFIX, OP, WINDOWS[1]!, rows.length ? rows : collectRows(WINDOWS[0]!, seeded(6), 1, 'f'));
    const log = new CaptureLog();

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY], { log });

    // Assess
    expect(summary.failedDays).toEqual([DAY]);
    expect(log.lines.join('\n')).toMatch(/is a row of window 2026-11-20 00:00:00, not 2026-11-20 00:05:00/);
  });

  it('returns the day in failedDays when writing the day object fails, and a later refresh writes it', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 2);
    const failing = Object.assign(Object.create(store) as MemoryStore, {
      put: async () => {
        throw new StorageError('injected');
      },
    });

    // Act
    const failed = await refreshDays(failing, SCOPE, [DAY]);
    const later = await refreshDays(store, SCOPE, [DAY]);

    // Assess
    expect(failed.failedDays).toEqual([DAY]);
    expect(later.daysRewritten).toBe(1);
  });

  it('returns objects that are not window objects ignored, with a warning', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 1);
    await store.put(`${dayWindowsPrefix(SCOPE, DAY)}hour=00/notes.txt`, 'hello', 'text/plain');
    const log = new CaptureLog();

    // Act
    await refreshDays(store, SCOPE, [DAY], { log });

    // Assess
    expect((await dayObject(store))!.windows).toHaveLength(1);
    expect(log.lines.some((l) => l.includes('not window objects'))).toBe(true);
  });

  it('returns each day once when days repeat, and leaves other operations and prefixes alone', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 0, 2);
    await writeWindow(store, PREFIX, 'other', WINDOWS[0]!, collectRows(WINDOWS[0]!, seeded(1), 1, 'x'));
    await writeWindow(store, 'p2', OP, WINDOWS[0]!, collectRows(WINDOWS[0]!, seeded(1), 1, 'x'));

    // Act
    const summary = await refreshDays(store, SCOPE, [DAY, DAY, DAY]);

    // Assess
    expect(summary.days).toBe(1);
    expect((await dayObject(store))!.windows).toHaveLength(2);
    expect(store.keys().filter((k) => k.includes('cdr_4_daily'))).toEqual([dailyKey(PREFIX, OP, DAY)]);
  });

  it('returns the days left unstarted in skippedDays when shouldStop turns true, and refreshes the ones before', async () => {
    // Prepare
    const store = new MemoryStore();
    const days = ['2026-11-20', '2026-11-21', '2026-11-22'];
    for (const day of days) {
      const w = dayWindows(day, TZ)[0]!;
      await writeWindow(store, PREFIX, OP, w, collectRows(w, seeded(1), 1, `f-${day}`));
    }
    let asked = 0;

    // Act
    const summary = await refreshDays(store, SCOPE, [...days].reverse(), { shouldStop: () => ++asked > 1 });

    // Assess
    expect(summary).toMatchObject({ days: 3, daysRewritten: 1, failedDays: [], skippedDays: ['2026-11-21', '2026-11-22'] });
    expect(await dayObject(store, '2026-11-20')).not.toBeNull();
    expect(await dayObject(store, '2026-11-21')).toBeNull();
  });

  it('throws a RangeError when a day is not YYYY-MM-DD', async () => {
    // Prepare
    const store = new MemoryStore();

    // Act
    const error = await refreshDays(store, SCOPE, ['2026-11-20/../x']).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RangeError);
  });

  it('returns a day object whose rows read back equal the stored window objects', async () => {
    // Prepare
    const store = new MemoryStore();
    await collect(store, 100, 140, 4);

    // Act
    await refreshDays(store, SCOPE, [DAY]);

    // Assess
    const day = await dayObject(store);
    const prefix = dayWindowsPrefix(SCOPE, DAY);
    for (const w of day!.windows) expect([...w.rows]).toEqual(expect.arrayContaining(parseNdjson(store.objects.get(prefix + w.key)!)));
    expect(encodeDay(day!.windows)).toEqual(store.binaries.get(dailyKey(PREFIX, OP, DAY)));
  });
});
