/**
 * Contract, day objects: the Parquet objects refreshDays writes, read by DuckDB with exactly
 * the columns, types and partition keys the synthesized `cdr_4_daily` Glue table declares,
 * and with the Parquet physical types Athena requires for those declared types (Athena
 * refuses, e.g., an INT64 column declared `int`). Athena reads Parquet columns by name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import type { DataRow } from '../../lambda/domain/columns.ts';
import { DAILY_TABLE, dailyKey, tableRoot } from '../../lambda/domain/layout.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { PARQUET_INPUT_FORMAT, PARQUET_SERDE } from '../../infra/constructs/catalog.ts';
import { collectRows, dayWindows, seeded, writeWindow } from '../support/window-objects.ts';
import { buildStack, type GlueColumn, tableFromTemplate, type TableView } from './helpers.ts';

const DUCKDB_TYPE: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' };
/** Parquet physical type (and UTF8 annotation for strings) Athena maps to each Hive type. */
const PARQUET_TYPE: Record<string, [string, string | null]> = { string: ['BYTE_ARRAY', 'UTF8'], bigint: ['INT64', null], int: ['INT32', null], double: ['DOUBLE', null], boolean: ['BOOLEAN', null] };
const TZ = 'America/Bogota';
const PREFIX = 'wolkvox';
const OPERATIONS = ['0032', 'op-2'];
const DAYS = ['2026-11-20', '2026-11-21'];

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;
const struct = (cols: GlueColumn[]) => `{${cols.map((c) => `${sql(c.Name)}: ${sql(DUCKDB_TYPE[c.Type] ?? `unknown ${c.Type}`)}`).join(', ')}}`;

describe('Contract: cdr_4_daily objects read with the Glue table\'s declared columns', () => {
  let out: string;
  let table: TableView;
  let written: DataRow[];

  beforeAll(async () => {
    table = tableFromTemplate(buildStack(), DAILY_TABLE);
    out = mkdtempSync(join(tmpdir(), 'contract-daily-'));
    const store = new LocalStore(out);
    const rnd = seeded(11);
    written = [];
    // Quiet windows, busy windows, blanks and an unknown interval key: every kind of row.
    for (const op of OPERATIONS) {
      for (const day of DAYS) {
        for (const w of dayWindows(day, TZ).filter((_, i) => i % 7 === 0)) {
          const rows = collectRows(w, rnd, 1 + (w.startWall % 2), `f-${op}-${w.startWall}`);
          written.push(...rows);
          await writeWindow(store, PREFIX, op, w, rows);
        }
      }
      await refreshDays(store, { prefix: PREFIX, operation: op }, DAYS);
    }
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  function source(): string {
    const glob = join(out, tableRoot(PREFIX, DAILY_TABLE), '**', '*.parquet');
    return `read_parquet(${sql(glob)}, hive_partitioning = true, hive_types = ${struct(table.partitionKeys)})`;
  }

  it('declares a Parquet table partitioned by operation and dt only, whose location template holds the day objects', () => {
    // Prepare
    const suffix = table.params['storage.location.template']!.replace(/^s3:\/\/\{Ref:[^}]+\}\//, '');

    // Act
    const rendered = suffix.replace('${operation}', '0032').replace('${dt}', '2026-11-20');

    // Assess
    expect(table.serde).toBe(PARQUET_SERDE);
    expect(table.params.classification).toBe('parquet');
    expect(table.partitionKeys.map((k) => [k.Name, k.Type])).toEqual([
      ['operation', 'string'],
      ['dt', 'string'],
    ]);
    expect(dailyKey(PREFIX, '0032', '2026-11-20').startsWith(rendered)).toBe(true);
    expect(dailyKey(PREFIX, '0032', '2026-11-20').slice(rendered.length)).not.toContain('/');
    expect(PARQUET_INPUT_FORMAT).toContain('Parquet');
  });

  it('reads the day objects in DuckDB with exactly the declared columns, in order, typed as declared, partition keys after them', async () => {
    // Prepare
    const db = await (await DuckDBInstance.create(':memory:')).connect();

    // Act
    const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source()}`)).getRowObjectsJS() as Array<{ column_name: string; column_type: string }>;
    db.closeSync();

    // Assess
    const got = described.map((d) => [d.column_name, d.column_type]);
    const expected = (cols: GlueColumn[]) => cols.map((c) => [c.Name, DUCKDB_TYPE[c.Type]]);
    expect(got.slice(0, table.columns.length)).toEqual(expected(table.columns));
    // DuckDB appends hive partitions in its own order; Athena puts partition keys after the columns too.
    expect(new Map(got.slice(table.columns.length) as [string, string][])).toEqual(new Map(expected(table.partitionKeys) as [string, string][]));
  });

  it('writes each declared column with the Parquet physical type Athena maps to its declared type, and nothing else', async () => {
    // Prepare
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const file = join(out, dailyKey(PREFIX, '0032', DAYS[0]!));

    // Act
    const schema = (await db.runAndReadAll(`SELECT name, type, converted_type FROM parquet_schema(${sql(file)}) WHERE num_children IS NULL`)).getRowsJS();
    db.closeSync();

    // Assess
    expect(schema).toEqual(table.columns.map((c) => [c.Name, ...PARQUET_TYPE[c.Type]!]));
  });

  it('reads every row written, with no value lost to a cast and the partition values of its path', async () => {
    // Prepare
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const nonNull = table.columns.filter((c) => c.Name !== 'hour').map((c) => `count("${c.Name}")`).join(', ');

    // Act
    const counts = (await db.runAndReadAll(`SELECT ${nonNull}, count(*), sum(calls)::DOUBLE, sum(minutes) FROM ${source()}`)).getRowsJS()[0]!.map(Number);
    const partitions = (await db.runAndReadAll(`SELECT operation, dt, count(*) FILTER (WHERE substr(window_start, 1, 10) <> dt) AS misplaced, count(*) FILTER (WHERE hour <> CAST(substr(window_start, 12, 2) AS INTEGER)) AS wrong_hour FROM ${source()} GROUP BY ALL ORDER BY ALL`)).getRowsJS();
    db.closeSync();

    // Assess
    const declared = table.columns.filter((c) => c.Name !== 'hour');
    declared.forEach((c, i) => expect(counts[i], c.Name).toBe(written.filter((r) => (r as unknown as Record<string, unknown>)[c.Name] !== null).length));
    expect(counts[declared.length]).toBe(written.length);
    expect(counts[declared.length + 1]).toBe(written.reduce((n, r) => n + (r.calls ?? 0), 0));
    expect(counts[declared.length + 2]).toBeCloseTo(written.reduce((n, r) => n + (r.minutes ?? 0), 0), 6);
    expect(written.some((r) => r.calls === null) && written.some((r) => r.interval_min_seconds === null)).toBe(true);
    expect(partitions.map((p) => p.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual(OPERATIONS.flatMap((op) => DAYS.map((d) => [op, d, 0, 0])));
  });
});
