/**
 * The local `cdr_4` view reads a day from its day object when the checkpoint says it is level
 * with the window objects, and from the window objects otherwise. Either way it must give
 * exactly the rows of the window objects, with the Athena columns and types.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { serializeCheckpoint } from '../../lambda/domain/checkpoint.ts';
import { DATA_COLUMNS, PARTITION_COLUMNS, duckdbType } from '../../lambda/domain/columns.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { openLocalTables, query } from '../../lambda/local/duckdb-tables.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { JSON_TYPE } from '../../lambda/storage/object-store.ts';
import { blankCheckpoint } from '../support/checkpoint.ts';
import { collectRows, dayWindows, seeded, writeWindow } from '../support/window-objects.ts';

const TZ = 'America/Bogota';
const PREFIX = 'wolkvox';
const DAYS = ['2026-11-19', '2026-11-20', '2026-11-21'];
const ATHENA_SHAPE = [...DATA_COLUMNS, ...PARTITION_COLUMNS].map((c) => [c.name, duckdbType(c.type)]);

let out: string;
let store: LocalStore;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'window-view-'));
  store = new LocalStore(out);
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

/** Three days of two operations, day objects written; the checkpoint names `dirty` days of 0032. */
async function collect(dirty: string[]): Promise<void> {
  const rnd = seeded(3);
  for (const op of ['0032', '0044']) {
    for (const day of DAYS) for (const w of dayWindows(day, TZ)) await writeWindow(store, PREFIX, op, w, collectRows(w, rnd, 1, `f-${op}-${w.startWall}`));
    await refreshDays(store, { prefix: PREFIX, operation: op }, DAYS);
    await store.put(checkpointKey(PREFIX, op), serializeCheckpoint(blankCheckpoint(op, TZ, { days_dirty: op === '0032' ? dirty : [] })), JSON_TYPE);
  }
}

/** Every row of the window objects, read straight from the JSON files (not through the view). */
async function windowRows(): Promise<string> {
  const db = await openLocalTables(out, PREFIX);
  const cols = [...DATA_COLUMNS].map((c) => c.name).join(', ');
  const glob = join(out, PREFIX, 'cdr_4', '**', '*.json');
  const rows = await query(db, `SELECT ${cols}, regexp_extract(filename, 'operation=([^/]+)', 1) AS operation, regexp_extract(filename, 'dt=([^/]+)', 1) AS dt FROM read_json('${glob}', format = 'newline_delimited', filename = true, columns = {${DATA_COLUMNS.map((c) => `'${c.name}': '${duckdbType(c.type)}'`).join(', ')}}) ORDER BY ALL`);
  db.closeSync();
  return JSON.stringify(rows.rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

async function viewRows(): Promise<string> {
  const db = await openLocalTables(out, PREFIX, 'SELECT * FROM cdr_4');
  const cols = [...DATA_COLUMNS].map((c) => c.name).join(', ');
  const rows = await query(db, `SELECT ${cols}, operation, dt FROM cdr_4 ORDER BY ALL`);
  db.closeSync();
  return JSON.stringify(rows.rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

describe('Function: openLocalTables (view cdr_4)', () => {
  it('returns exactly the rows of the window objects when level days are read from their day objects', async () => {
    // Prepare
    await collect([]);

    // Act
    const [fromView, fromWindows] = [await viewRows(), await windowRows()];

    // Assess
    expect(JSON.parse(fromView).length).toBeGreaterThan(1000);
    expect(fromView).toBe(fromWindows);
  });

  it('returns a window rewritten after its day object when the checkpoint marks the day dirty', async () => {
    // Prepare: the last window of 2026-11-20 collected again (revision 2) after the day object was written.
    await collect(['2026-11-20']);
    const w = dayWindows('2026-11-20', TZ).at(-1)!;
    await writeWindow(store, PREFIX, '0032', w, collectRows(w, seeded(99), 2, 'f-again'));

    // Act
    const [fromView, fromWindows] = [await viewRows(), await windowRows()];

    // Assess
    expect(fromView).toContain('f-again');
    expect(fromView).toBe(fromWindows);
  });

  it('reads the window objects when there is no checkpoint to say a day object is level', async () => {
    // Prepare: day objects, then a window rewritten, and no checkpoint at all.
    await collect([]);
    await rm(join(out, PREFIX, '_state'), { recursive: true });
    const w = dayWindows('2026-11-21', TZ)[0]!;
    await writeWindow(store, PREFIX, '0044', w, collectRows(w, seeded(5), 2, 'f-no-checkpoint'));

    // Act
    const fromView = await viewRows();

    // Assess
    expect(fromView).toContain('f-no-checkpoint');
    expect(fromView).toBe(await windowRows());
  });

  it('returns the Athena columns and types whichever files a day is read from', async () => {
    // Prepare
    await collect(['2026-11-21']);

    // Act
    const db = await openLocalTables(out, PREFIX);
    const described = await query(db, 'DESCRIBE cdr_4');
    db.closeSync();

    // Assess
    expect(described.rows.map((r) => [r[0], r[1]])).toEqual(ATHENA_SHAPE);
  });
});
