/**
 * Contract, read side: collector output read with DuckDB using exactly the columns and types
 * the synthesized Glue tables declare. Every declared column is present in every row, typed as
 * declared, and no row carries a key the table does not declare.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { runRange } from '../../lambda/collector/runs.ts';
import { DATA_TABLE, FETCH_TABLE, tableRoot } from '../../lambda/domain/layout.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator } from '../simulator/index.ts';
import { instantOfWall } from '../support/clock.ts';
import { buildStack, type GlueColumn, tableFromTemplate, type TableView } from './helpers.ts';

const DUCKDB_TYPE: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' };

function isTyped(value: unknown, hiveType: string): boolean {
  if (value === null) return true;
  switch (hiveType) {
    case 'string':
      return typeof value === 'string';
    case 'bigint':
    case 'int':
      return Number.isInteger(value);
    case 'double':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;
const struct = (cols: GlueColumn[]) => `{${cols.map((c) => `${sql(c.Name)}: ${sql(DUCKDB_TYPE[c.Type] ?? `unknown ${c.Type}`)}`).join(', ')}}`;

describe('Contract: collector output read by DuckDB with the Glue tables\' declared columns', () => {
  let out: string;
  let tables: Record<string, TableView>;
  const TZ = 'America/Bogota';

  beforeAll(async () => {
    const built = buildStack();
    tables = { [DATA_TABLE]: tableFromTemplate(built, DATA_TABLE), [FETCH_TABLE]: tableFromTemplate(built, FETCH_TABLE) };
    // A night hour (empty windows), a busy hour, and one failed call: every kind of row.
    out = mkdtempSync(join(tmpdir(), 'contract-duckdb-'));
    const now = instantOfWall('2026-11-21 00:00', TZ);
    const sim = await startSimulator({ token: 'tok-CONTRACT-123456', server: '0032', timeZone: TZ, now: () => now });
    sim.inject({ kind: 'http503' });
    const token = staticToken('tok-CONTRACT-123456');
    const deps = { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token }), token, store: new LocalStore(out), log: silentLog, metrics: new MetricsTally(), clock: () => now, sleep: async () => {} };
    const settings = { operation: '0032', prefix: 'wolkvox', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY };
    await runRange(deps, settings, parseWall('2026-11-20 02:00')!, parseWall('2026-11-20 03:00')!);
    await runRange(deps, settings, parseWall('2026-11-20 14:00')!, parseWall('2026-11-20 15:00')!);
    await sim.close();
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([DATA_TABLE, FETCH_TABLE])('writes in %s exactly the declared columns, each typed as declared', (table) => {
    // Prepare
    const view = tables[table]!;
    const rows = jsonFiles(join(out, tableRoot('wolkvox', table))).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));

    // Assess
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(view.columns.map((c) => c.Name));
      for (const c of view.columns) expect(isTyped(row[c.Name], c.Type), `${table}.${c.Name} = ${JSON.stringify(row[c.Name])}`).toBe(true);
    }
    expect(view.partitionKeys.map((k) => k.Name).some((k) => rows.some((r) => k in r))).toBe(false);
  });

  it.each([DATA_TABLE, FETCH_TABLE])('reads %s in DuckDB with the declared types and loses no value to a cast', async (table) => {
    // Prepare
    const view = tables[table]!;
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const glob = join(out, tableRoot('wolkvox', table), '**', '*.json');
    const source = `read_json(${sql(glob)}, format = 'newline_delimited', columns = ${struct(view.columns)}, hive_partitioning = true, hive_types = ${struct(view.partitionKeys)})`;

    // Act
    const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS() as Array<{ column_name: string; column_type: string }>;
    const nonNull = view.columns.map((c) => `count("${c.Name}")`).join(', ');
    const counts = (await db.runAndReadAll(`SELECT ${nonNull}, count(*) FROM ${source}`)).getRowsJS()[0]!.map(Number);
    const rawRows = jsonFiles(join(out, tableRoot('wolkvox', table))).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    const partitions = (await db.runAndReadAll(`SELECT DISTINCT operation, dt, hour FROM ${source} ORDER BY hour`)).getRowsJS();
    db.closeSync();

    // Assess
    const types = Object.fromEntries(described.map((d) => [d.column_name, d.column_type]));
    for (const c of [...view.columns, ...view.partitionKeys]) expect(types[c.Name], c.Name).toBe(DUCKDB_TYPE[c.Type]);
    view.columns.forEach((c, i) => expect(counts[i], c.Name).toBe(rawRows.filter((r) => r[c.Name] !== null).length));
    expect(counts[view.columns.length]).toBe(rawRows.length);
    expect(partitions).toEqual([['0032', '2026-11-20', 2], ['0032', '2026-11-20', 14]]);
  });
});
