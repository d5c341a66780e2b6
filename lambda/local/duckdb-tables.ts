/**
 * DuckDB views named like the Athena tables, over the local folder layout. Column types
 * come from domain/columns.ts, the same lists the Glue tables are built from.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbType, TABLES, type ColumnSpec, type TableColumns } from '../domain/columns.ts';
import { tableRoot } from '../domain/layout.ts';

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function hasFiles(dir: string, extension: string): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() ? hasFiles(join(dir, entry.name), extension) : entry.name.endsWith(extension)) return true;
  }
  return false;
}

/** The views `openLocalTables` creates, named like the Athena tables. */
export const LOCAL_TABLES: readonly string[] = TABLES.map((t) => t.name);

function typeMap(columns: readonly ColumnSpec[]): string {
  return columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
}

function viewSql(table: TableColumns, root: string): string {
  const all = [...table.columns, ...table.partitions];
  const extension = table.format === 'parquet' ? '.parquet' : '.json';
  if (!hasFiles(root, extension)) {
    // No object yet: an empty view with the right columns, so queries still plan.
    const cols = all.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`).join(', ');
    return `CREATE OR REPLACE VIEW "${table.name}" AS SELECT ${cols} WHERE false`;
  }
  // Partition values typed as the Glue table types them (DuckDB would read dt as a DATE).
  const hive = `hive_partitioning = true, hive_types = {${typeMap(table.partitions)}}`;
  // Only *.parquet / *.json: a LocalStore write in flight is a *.tmp file beside them.
  const glob = sqlString(join(root, '**', `*${extension}`));
  const source =
    table.format === 'parquet'
      ? // The Parquet schema carries the column types (written from the same DAILY_COLUMNS).
        `read_parquet(${glob}, ${hive})`
      : `read_json(${glob}, format = 'newline_delimited', columns = {${typeMap(table.columns)}}, ${hive})`;
  return `CREATE OR REPLACE VIEW "${table.name}" AS SELECT ${all.map((c) => `"${c.name}"`).join(', ')} FROM ${source}`;
}

export async function openLocalTables(outDir: string, prefix: string): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const base = resolve(outDir);
  for (const table of TABLES) await connection.run(viewSql(table, join(base, tableRoot(prefix, table.name))));
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
