/**
 * Property test of the day objects: many random sequences of collector runs over several
 * days of a zone with daylight saving (first collections, restatements, refetches, a
 * backfill across midnight, day-object writes that fail, runs killed between the window
 * writes and the day refresh or half-way through it), then one clean refresh. Seeds are
 * fixed: a failing sequence replays with its seed.
 */
import { describe, expect, it } from 'vitest';
import { dayWindowsPrefix, refreshDays, type DayScope } from '../../lambda/collector/day-objects.ts';
import { DATA_COLUMNS, type DataRow } from '../../lambda/domain/columns.ts';
import { decodeDay, encodeDay, type DayWindow } from '../../lambda/domain/daily-parquet.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { DAILY_TABLE, dailyKey } from '../../lambda/domain/layout.ts';
import { windowPartition, type Window } from '../../lambda/domain/window.ts';
import { PARQUET, type ObjectStore, type StoredObject } from '../../lambda/storage/object-store.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { collectRows, dayWindows, parseNdjson, seeded, writeWindow } from '../support/window-objects.ts';

const TZ = 'America/New_York';
const SCOPE: DayScope = { prefix: 'lake', operation: '0032' };
/** A spring-forward day (276 windows), a fall-back day (its repeated hour's labels once), and their neighbours. */
const DAYS = ['2026-03-07', '2026-03-08', '2026-03-09', '2026-10-31', '2026-11-01', '2026-11-02'];
const WINDOWS = new Map(DAYS.map((d) => [d, dayWindows(d, TZ)]));

type Refresh = (store: ObjectStore, scope: DayScope, days: Iterable<string>) => Promise<unknown>;

/** Fails day-object writes on demand, as S3 or a dying process would. */
class FaultyStore implements ObjectStore {
  failDayWrites = false;
  readonly inner: MemoryStore;
  constructor(inner: MemoryStore) {
    this.inner = inner;
  }
  async put(key: string, body: string | Uint8Array, type: string) {
    if (this.failDayWrites && key.includes(`/${DAILY_TABLE}/`)) throw new StorageError(`injected failure writing ${key}`);
    return this.inner.put(key, body, type);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getBytes(key: string) {
    return this.inner.getBytes(key);
  }
  list(prefix: string): Promise<StoredObject[]> {
    return this.inner.list(prefix);
  }
  describe(key: string) {
    return this.inner.describe(key);
  }
}

/** A row as a comparable string, in the column order of the table. */
function canon(r: DataRow): string {
  return JSON.stringify(DATA_COLUMNS.map((c) => (r as unknown as Record<string, unknown>)[c.name]));
}
function sameRows(a: readonly DataRow[], b: readonly DataRow[]): boolean {
  const x = a.map(canon).sort();
  const y = b.map(canon).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Checks every stored day object. `exact`: it holds exactly its day's window objects as
 * stored now. Always: each window it holds has exactly the rows of the stored version it
 * names (behind is allowed, wrong is not), only windows of its own day, none twice.
 */
async function violations(store: MemoryStore, history: Map<string, DataRow[]>, exact: boolean, checked = new Map<string, string>()): Promise<string[]> {
  const found: string[] = [];
  for (const day of DAYS) {
    const prefix = dayWindowsPrefix(SCOPE, day);
    const dayKey = dailyKey(SCOPE.prefix, SCOPE.operation, day);
    // A day object already checked at this version holds the same windows: the history does not change.
    const version = (await store.list(dayKey))[0]?.version;
    if (!exact && version !== undefined && checked.get(day) === version) continue;
    if (version !== undefined) checked.set(day, version);
    const stored = new Map((await store.list(prefix)).map((o) => [o.key.slice(prefix.length), o.version]));
    const bytes = await store.getBytes(dayKey);
    if (bytes === null) {
      if (exact && stored.size > 0) found.push(`${day}: no day object for ${stored.size} windows`);
      continue;
    }
    const decoded = await decodeDay(bytes).catch(() => null);
    if (decoded === null) {
      // Only the injected day objects of an older collector are unreadable; a clean refresh replaces them.
      if (exact) found.push(`${day}: day object unreadable after a clean refresh`);
      continue;
    }
    const keys = decoded.windows.map((w) => w.key);
    if (new Set(keys).size !== keys.length) found.push(`${day}: a window twice`);
    if (decoded.rows.length !== decoded.windows.reduce((n, w) => n + w.rows.length, 0)) found.push(`${day}: rows outside windows`);
    for (const r of decoded.rows) {
      if (r.window_start.slice(0, 10) !== day) found.push(`${day}: row of ${r.window_start}`);
      if (r.hour !== Number(r.window_start.slice(11, 13))) found.push(`${day}: hour ${r.hour} for ${r.window_start}`);
    }
    for (const w of decoded.windows) {
      const was = history.get(`${prefix}${w.key}@${w.version}`);
      if (!was) found.push(`${day}: ${w.key} at a version never stored`);
      else if (!sameRows(w.rows, was)) found.push(`${day}: ${w.key} rows differ from its version ${w.version}`);
      if (exact && stored.get(w.key) !== w.version) found.push(`${day}: ${w.key} is ${w.version}, stored ${stored.get(w.key) ?? 'nothing'}`);
    }
    if (exact) {
      for (const k of stored.keys()) if (!keys.includes(k)) found.push(`${day}: window ${k} missing`);
      for (const k of keys) {
        if (!stored.has(k)) continue;
        const now = parseNdjson(store.objects.get(prefix + k)!);
        const held = decoded.windows.find((w) => w.key === k)!.rows;
        if (!sameRows(held, now)) found.push(`${day}: ${k} rows differ from the stored object`);
      }
    }
  }
  return found;
}

/** One random history of runs; returns what the checks found (empty when all held). */
async function runSequence(seed: number, refresh: Refresh): Promise<string[]> {
  const rnd = seeded(seed);
  const memory = new MemoryStore();
  const store = new FaultyStore(memory);
  const history = new Map<string, DataRow[]>();
  const written = new Map<string, Window>();
  let fetches = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  async function write(w: Window, revision: number) {
    const rows = collectRows(w, rnd, revision, `s${seed}-f${++fetches}`);
    const key = await writeWindow(memory, SCOPE.prefix, SCOPE.operation, w, rows);
    const [listed] = await memory.list(key);
    history.set(`${key}@${listed!.version}`, rows);
    written.set(key, w);
    return windowPartition(w).dt;
  }
  /** A window of the day, most often in the small hours where the clock changes. */
  function someWindow(day: string): [Window, number] {
    const ws = WINDOWS.get(day)!;
    const i = rnd() < 0.5 ? Math.floor(rnd() * Math.min(60, ws.length)) : Math.floor(rnd() * ws.length);
    return [ws[i]!, i];
  }

  /** A run's refresh that throws is a run that crashed there. */
  const run = (days: string[]) => refresh(store, SCOPE, days).catch(() => undefined);
  const dirty = new Set<string>();
  const checked = new Map<string, string>();
  const steps = 8 + Math.floor(rnd() * 20);
  for (let step = 0; step < steps; step++) {
    const touched = new Set<string>();
    const op = rnd();
    if (op < 0.45 || written.size === 0) {
      // A live run: the next few windows of a day.
      const day = pick(DAYS);
      const [, i] = someWindow(day);
      const ws = WINDOWS.get(day)!;
      for (const w of ws.slice(i, i + 1 + Math.floor(rnd() * 4))) touched.add(await write(w, 1));
    } else if (op < 0.7) {
      // Restatement: a collected window again, with late calls (new rows, new fetch).
      touched.add(await write(pick([...written.values()]), 2));
    } else if (op < 0.8) {
      // A refetch over a range (CLI --from/--to): revision 1 again, new fetch ids.
      for (const w of [...written.values()].filter(() => rnd() < 0.3)) touched.add(await write(w, 1));
    } else if (op < 0.9) {
      // A backfill across midnight.
      const d = Math.floor(rnd() * (DAYS.length - 1));
      const a = WINDOWS.get(DAYS[d]!)!;
      const b = WINDOWS.get(DAYS[d + 1]!)!;
      for (const w of [...a.slice(-1 - Math.floor(rnd() * 6)), ...b.slice(0, 1 + Math.floor(rnd() * 6))]) touched.add(await write(w, 1));
    } else if (op < 0.95 && written.size > 0) {
      // A window object removed by hand.
      const [key, w] = pick([...written.entries()]);
      memory.remove(key);
      written.delete(key);
      touched.add(windowPartition(w).dt);
    } else {
      // A day object from an older collector (not readable by this one).
      const day = pick(DAYS);
      await memory.put(dailyKey(SCOPE.prefix, SCOPE.operation, day), new TextEncoder().encode('PAR1 from another version'), PARQUET);
    }

    for (const d of touched) dirty.add(d);
    const fate = rnd();
    if (fate < 0.2) {
      // Killed between the window writes and the day refresh; half the time the dirty days are lost too.
      if (rnd() < 0.5) dirty.clear();
      continue;
    }
    const days = [...dirty];
    if (fate < 0.3) {
      // Killed half-way through the refresh: only some days get there.
      await run(days.slice(0, Math.floor(days.length / 2)));
      continue;
    }
    store.failDayWrites = fate < 0.4;
    await run(days);
    store.failDayWrites = false;
    if (fate >= 0.4) dirty.clear();

    const midway = await violations(memory, history, false, checked);
    if (midway.length) return midway.map((v) => `seed ${seed} step ${step}: ${v}`);
  }

  await run(DAYS);
  return (await violations(memory, history, true)).map((v) => `seed ${seed} final: ${v}`);
}

async function runMany(count: number, refresh: Refresh): Promise<string[]> {
  const found: string[] = [];
  for (let seed = 1; seed <= count; seed++) found.push(...(await runSequence(seed, refresh)));
  return found;
}

/** The classic bug: a changed window's rows are added to what the day held (a restatement doubles). */
const appendingRefresh: Refresh = async (store, scope, days) => {
  for (const day of days) {
    const prefix = dayWindowsPrefix(scope, day);
    const key = dailyKey(scope.prefix, scope.operation, day);
    const bytes = await store.getBytes(key);
    const held = new Map<string, DayWindow>((bytes ? await decodeDay(bytes).then((d) => d.windows, () => []) : []).map((w) => [w.key, w]));
    for (const o of await store.list(prefix)) {
      const k = o.key.slice(prefix.length);
      const h = held.get(k);
      if (h?.version === o.version) continue;
      held.set(k, { key: k, version: o.version, rows: [...(h?.rows ?? []), ...parseNdjson((await store.get(o.key))!)] });
    }
    if (held.size) await store.put(key, encodeDay([...held.values()]), PARQUET);
  }
};

/** A broken comparison: a window the day object already names is trusted whatever its version (a restatement is missed). */
const keyOnlyRefresh: Refresh = async (store, scope, days) => {
  for (const day of days) {
    const prefix = dayWindowsPrefix(scope, day);
    const key = dailyKey(scope.prefix, scope.operation, day);
    const bytes = await store.getBytes(key);
    const held = new Map<string, DayWindow>((bytes ? await decodeDay(bytes).then((d) => d.windows, () => []) : []).map((w) => [w.key, w]));
    for (const o of await store.list(prefix)) {
      const k = o.key.slice(prefix.length);
      if (held.has(k)) continue;
      held.set(k, { key: k, version: o.version, rows: parseNdjson((await store.get(o.key))!) });
    }
    if (held.size) await store.put(key, encodeDay([...held.values()]), PARQUET);
  }
};

describe('Function: refreshDays (property: day objects equal their window objects)', () => {
  it('returns day objects that hold exactly their windows, never doubled, never wrong on the way, over 100 random histories', async () => {
    // Prepare
    const refresh: Refresh = (store, scope, days) => refreshDays(store, scope, days);

    // Act
    const found = await runMany(100, refresh);

    // Assess
    expect(found).toEqual([]);
  }, 180_000);

  it('returns violations when the refresh appends a changed window instead of replacing it (the checks can fail)', async () => {
    // Prepare
    const refresh = appendingRefresh;

    // Act
    const found = await runMany(30, refresh);

    // Assess
    expect(found.some((v) => /rows differ/.test(v))).toBe(true);
  });

  it('returns violations when the refresh compares keys but not versions (the checks can fail)', async () => {
    // Prepare
    const refresh = keyOnlyRefresh;

    // Act
    const found = await runMany(30, refresh);

    // Assess
    expect(found.some((v) => /final: .* is w\d+, stored w\d+/.test(v))).toBe(true);
  });
});
