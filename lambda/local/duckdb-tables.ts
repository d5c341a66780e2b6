/**
 * DuckDB views named like the Athena tables, over the local folder layout. Column types
 * come from domain/columns.ts, the same lists the Glue tables are built from.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DATA_COLUMNS, duckdbType, FETCH_COLUMNS, PARTITION_COLUMNS, type ColumnSpec } from '../domain/columns.ts';
import { DATA_TABLE, FETCH_TABLE, tableRoot } from '../domain/layout.ts';

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function hasJsonFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() ? hasJsonFiles(join(dir, entry.name)) : entry.name.endsWith('.json')) return true;
  }
  return false;
}

function viewSql(name: string, root: string, columns: readonly ColumnSpec[]): string {
  const all = [...columns, ...PARTITION_COLUMNS];
  if (!hasJsonFiles(root)) {
    // No object yet: an empty view with the right columns, so queries still plan.
    const cols = all.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`).join(', ');
    return `CREATE OR REPLACE VIEW "${name}" AS SELECT ${cols} WHERE false`;
  }
  const struct = columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
  const hiveTypes = PARTITION_COLUMNS.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
  const glob = sqlString(join(root, '**', '*.json'));
  return `CREATE OR REPLACE VIEW "${name}" AS SELECT ${all.map((c) => `"${c.name}"`).join(', ')} FROM read_json(${glob}, format = 'newline_delimited', columns = {${struct}}, hive_partitioning = true, hive_types = {${hiveTypes}})`;
}

export async function openLocalTables(outDir: string, prefix: string): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const base = resolve(outDir);
  await connection.run(viewSql(DATA_TABLE, join(base, tableRoot(prefix, DATA_TABLE)), DATA_COLUMNS));
  await connection.run(viewSql(FETCH_TABLE, join(base, tableRoot(prefix, FETCH_TABLE)), FETCH_COLUMNS));
  return connection;
}

export interface QueryResult {
  readonly columns: string[];
  readonly rows: unknown[][];
}

export async function query(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  const reader = await connection.runAndReadAll(sql);
  return { columns: reader.columnNames(), rows: reader.getRowsJS() as unknown[][] };
}

export function formatTable(result: QueryResult): string {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : typeof v === 'bigint' ? v.toString() : typeof v === 'object' ? JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)) : String(v));
  const table = [result.columns, ...result.rows.map((r) => r.map(cell))];
  const widths = result.columns.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  return [line(table[0]!), widths.map((w) => '-'.repeat(w)).join('-+-'), ...table.slice(1).map(line)].join('\n');
}
