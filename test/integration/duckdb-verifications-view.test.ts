import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duckdbType, VERIFICATION_COLUMNS, VERIFICATION_PARTITION_COLUMNS, type VerificationRecord } from '../../lambda/domain/columns.ts';
import { verificationKey } from '../../lambda/domain/layout.ts';
import { toNdjson } from '../../lambda/domain/rows.ts';
import { openLocalTables, query } from '../../lambda/local/duckdb-tables.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { NDJSON } from '../../lambda/storage/object-store.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const run = promisify(execFile);
const PREFIX = 'wolkvox';
const ATHENA_SHAPE = [...VERIFICATION_COLUMNS, ...VERIFICATION_PARTITION_COLUMNS].map((c) => [c.name, duckdbType(c.type)]);
/** The one line of README "Output contract" that answers "which days are not verified". */
const NOT_VERIFIED = "SELECT dt FROM cdr_4_verifications WHERE operation = '0032' GROUP BY dt HAVING max_by(status, checked_at) <> 'verified'";

let out: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'verifications-view-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

function record(status: VerificationRecord['status'], checkedAt: number, calls: { vendor: number; stored: number } | null): VerificationRecord {
  return {
    status,
    checked_at: new Date(checkedAt).toISOString(),
    timezone: 'America/Bogota',
    vendor_calls: calls?.vendor ?? null,
    stored_calls: calls?.stored ?? null,
    vendor_calls_by_interval: calls === null ? null : JSON.stringify({ '0_5_seg': calls.vendor }),
    stored_calls_by_interval: calls === null ? null : JSON.stringify({ '0_5_seg': calls.stored }),
    api_calls: calls === null ? 0 : 1,
    windows_recollected: 0,
    fetch_id: calls === null ? null : `f-${checkedAt}`,
    witness_start: null,
    witness_end: null,
    note: null,
  };
}

/** Writes one record where the collector writes it: its own object under verificationKey(), one NDJSON line in column order. */
async function write(store: LocalStore, operation: string, day: string, r: VerificationRecord): Promise<void> {
  const line = Object.fromEntries(VERIFICATION_COLUMNS.map((c) => [c.name, r[c.name as keyof VerificationRecord]]));
  await store.put(verificationKey(PREFIX, operation, day, r.status, Date.parse(r.checked_at), `id-${r.status}`), toNdjson([line]), NDJSON);
}

/** 20 Nov: pending, then verified the next morning; 19 Nov: changed only; 0045 has a pending day of its own. */
async function seedDays(): Promise<void> {
  const store = new LocalStore(out);
  // The verified record is written first: the latest status comes from checked_at, not from the order on disk.
  await write(store, '0032', '2026-11-20', record('verified', Date.UTC(2026, 10, 21, 9, 0), { vendor: 1449, stored: 1449 }));
  await write(store, '0032', '2026-11-20', record('pending', Date.UTC(2026, 10, 20, 13, 5), null));
  await write(store, '0032', '2026-11-19', record('changed', Date.UTC(2026, 10, 20, 9, 0), { vendor: 1449, stored: 1438 }));
  await write(store, '0045', '2026-11-18', record('pending', Date.UTC(2026, 10, 18, 14, 0), null));
}

describe('Function: openLocalTables (view cdr_4_verifications)', () => {
  it('returns an empty cdr_4_verifications with the Athena columns and types when no record exists yet', async () => {
    // Prepare: nothing written.
    const db = await openLocalTables(out, PREFIX);

    // Act
    const described = await query(db, 'DESCRIBE cdr_4_verifications');
    const rows = await query(db, NOT_VERIFIED);
    db.closeSync();

    // Assess
    expect(described.rows.map((r) => [r[0], r[1]])).toEqual(ATHENA_SHAPE);
    expect(rows.rows).toEqual([]);
  });

  it('returns the Athena columns and types, partitions last, and every value written when records exist', async () => {
    // Prepare
    await seedDays();
    const db = await openLocalTables(out, PREFIX);

    // Act
    const described = await query(db, 'DESCRIBE cdr_4_verifications');
    const rows = await query(db, 'SELECT operation, dt, status, vendor_calls, stored_calls, api_calls, fetch_id IS NULL FROM cdr_4_verifications ORDER BY checked_at');
    db.closeSync();

    // Assess
    expect(described.rows.map((r) => [r[0], r[1]])).toEqual(ATHENA_SHAPE);
    expect(rows.rows).toEqual([
      ['0045', '2026-11-18', 'pending', null, null, 0, true],
      ['0032', '2026-11-19', 'changed', 1449n, 1438n, 1, false],
      ['0032', '2026-11-20', 'pending', null, null, 0, true],
      ['0032', '2026-11-20', 'verified', 1449n, 1449n, 1, false],
    ]);
  });

  it('lists only the changed day when the one-line "not verified" SQL runs over a verified day, a changed day and another operation', async () => {
    // Prepare
    await seedDays();
    const db = await openLocalTables(out, PREFIX);

    // Act
    const result = await query(db, NOT_VERIFIED);
    db.closeSync();

    // Assess
    expect(result.columns).toEqual(['dt']);
    expect(result.rows).toEqual([['2026-11-19']]);
  });

  it('prints only the changed day and exits 0 when npm run query runs the one-line SQL in a fresh process', async () => {
    // Prepare
    await seedDays();

    // Act
    const result = await run(process.execPath, [...nodeArgsOf('query'), '--out', out, NOT_VERIFIED], { env: { ...process.env, DATA_PREFIX: PREFIX }, timeout: 60_000 });

    // Assess: a header, a rule and one row; a folder with verification records only is not "no data".
    expect(result.stdout.trim().split('\n')).toEqual(['dt', '----------', '2026-11-19']);
    expect(result.stderr).toBe('');
  });
});
