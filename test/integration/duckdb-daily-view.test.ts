import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { DAILY_COLUMNS, DAILY_PARTITION_COLUMNS, duckdbType } from '../../lambda/domain/columns.ts';
import { dailyKey } from '../../lambda/domain/layout.ts';
import { openLocalTables, query } from '../../lambda/local/duckdb-tables.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { collectRows, dayWindows, seeded, writeWindow } from '../support/window-objects.ts';

const TZ = 'America/Bogota';
const PREFIX = 'wolkvox';
const ATHENA_SHAPE = [...DAILY_COLUMNS, ...DAILY_PARTITION_COLUMNS].map((c) => [c.name, duckdbType(c.type)]);

let out: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'daily-view-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

/** Collects windows [from, to) of each day for each operation, then refreshes their day objects. */
async function collect(operations: string[], days: string[], from: number, to: number) {
  const store = new LocalStore(out);
  const rnd = seeded(7);
  for (const op of operations) {
    for (const day of days) for (const w of dayWindows(day, TZ).slice(from, to)) await writeWindow(store, PREFIX, op, w, collectRows(w, rnd, 1, `f-${op}-${w.startWall}`));
    await refreshDays(store, { prefix: PREFIX, operation: op }, days);
  }
  return store;
}

async function shape(sql: string) {
  const db = await openLocalTables(out, PREFIX);
  const described = await query(db, `DESCRIBE ${sql}`);
  db.closeSync();
  return described.rows.map((r) => [r[0], r[1]]);
}

describe('Function: openLocalTables (view cdr_4_daily)', () => {
  it('returns an empty cdr_4_daily with the Athena columns and types when no day object exists yet', async () => {
    // Prepare: nothing collected.

    // Act
    const described = await shape('cdr_4_daily');

    // Assess
    expect(described).toEqual(ATHENA_SHAPE);
  });

  it('returns the Athena columns and types, partitions last, when day objects exist', async () => {
    // Prepare
    await collect(['0032'], ['2026-11-20'], 0, 6);

    // Act
    const described = await shape('cdr_4_daily');

    // Assess
    expect(described).toEqual(ATHENA_SHAPE);
  });

  it('returns the same rows as cdr_4 for the same windows, with operation and dt from the path and hour as a column', async () => {
    // Prepare
    await collect(['0032', '0040'], ['2026-11-20', '2026-11-21'], 90, 110);
    const cols = [...DAILY_COLUMNS.filter((c) => c.name !== 'hour').map((c) => c.name), 'operation', 'dt', 'hour'].map((c) => `"${c}"`).join(', ');
    const db = await openLocalTables(out, PREFIX);

    // Act
    const onlyDaily = await query(db, `SELECT count(*) FROM (SELECT ${cols} FROM cdr_4_daily EXCEPT ALL SELECT ${cols} FROM cdr_4)`);
    const onlyWindows = await query(db, `SELECT count(*) FROM (SELECT ${cols} FROM cdr_4 EXCEPT ALL SELECT ${cols} FROM cdr_4_daily)`);
    const counts = await query(db, `SELECT operation, dt, count(*), min(hour), max(hour) FROM cdr_4_daily GROUP BY ALL ORDER BY ALL`);
    const total = await query(db, 'SELECT count(*) FROM cdr_4');
    db.closeSync();

    // Assess
    expect(Number(onlyDaily.rows[0]![0])).toBe(0);
    expect(Number(onlyWindows.rows[0]![0])).toBe(0);
    expect(counts.rows.map((r) => [r[0], r[1]])).toEqual([
      ['0032', '2026-11-20'],
      ['0032', '2026-11-21'],
      ['0040', '2026-11-20'],
      ['0040', '2026-11-21'],
    ]);
    expect(counts.rows.map((r) => [r[3], r[4]])).toEqual(Array(4).fill([7, 9]));
    expect(counts.rows.reduce((n, r) => n + Number(r[2]), 0)).toBe(Number(total.rows[0]![0]));
  });

  it('returns rows in window order within a day object', async () => {
    // Prepare
    await collect(['0032'], ['2026-11-20'], 0, 24);
    const db = await openLocalTables(out, PREFIX);

    // Act
    const rows = await query(db, 'SELECT window_start, interval_min_seconds FROM cdr_4_daily');
    db.closeSync();

    // Assess
    const keys = rows.rows.map((r) => `${r[0]} ${String(r[1] ?? 999999).padStart(6, '0')}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('returns the day objects without error when a write is in flight beside them', async () => {
    // Prepare
    await collect(['0032'], ['2026-11-20'], 0, 3);
    await writeFile(`${join(out, dailyKey(PREFIX, '0032', '2026-11-20'))}.999.1.tmp`, 'half a parquet file');
    const db = await openLocalTables(out, PREFIX);

    // Act
    const rows = await query(db, 'SELECT count(DISTINCT window_start) FROM cdr_4_daily');
    db.closeSync();

    // Assess
    expect(Number(rows.rows[0]![0])).toBeGreaterThan(0);
  });

  it('returns a day object without calls as no rows, still typed', async () => {
    // Prepare
    const store = new LocalStore(out);
    await writeWindow(store, PREFIX, '0032', dayWindows('2026-11-20', TZ)[0]!, []);
    await refreshDays(store, { prefix: PREFIX, operation: '0032' }, ['2026-11-20']);
    const db = await openLocalTables(out, PREFIX);

    // Act
    const rows = await query(db, 'SELECT count(*) FROM cdr_4_daily');
    const described = await query(db, 'DESCRIBE cdr_4_daily');
    db.closeSync();

    // Assess
    expect(Number(rows.rows[0]![0])).toBe(0);
    expect(described.rows.map((r) => [r[0], r[1]])).toEqual(ATHENA_SHAPE);
  });
});
