/**
 * DuckDB views named like the Athena tables, over the local folder layout. Column types
 * come from domain/columns.ts, the same lists the Glue tables are built from.
 *
 * `cdr_4` reads a day from its day object (cdr_4_daily: the same rows, one Parquet file) when
 * the checkpoint says that object is level with the day's window objects, and from the window
 * objects otherwise (today, a day a run is writing, a day without its object). DuckDB holds
 * state for every file it scans: a year as 105,120 JSON files took 1.5 GB for a SELECT *, as
 * 365 Parquet files a few hundred MB.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbType, TABLES, type ColumnSpec, type TableColumns } from '../domain/columns.ts';
import { checkpointKey, DAILY_TABLE, DATA_TABLE, dailyKey, tableRoot } from '../domain/layout.ts';

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

function emptyView(table: TableColumns): string {
  const cols = [...table.columns, ...table.partitions].map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`).join(', ');
  return `CREATE OR REPLACE VIEW "${table.name}" AS SELECT ${cols} WHERE false`;
}

/** Partition values typed as the Glue table types them (DuckDB would read dt as a DATE). */
function hiveOf(partitions: readonly ColumnSpec[]): string {
  return `hive_partitioning = true, hive_types = {${typeMap(partitions)}}`;
}

function readJson(table: TableColumns, globs: readonly string[]): string {
  return `read_json([${globs.map(sqlString).join(', ')}], format = 'newline_delimited', columns = {${typeMap(table.columns)}}, ${hiveOf(table.partitions)})`;
}

function viewSql(table: TableColumns, root: string): string {
  const all = [...table.columns, ...table.partitions];
  const extension = table.format === 'parquet' ? '.parquet' : '.json';
  // No object yet: an empty view with the right columns, so queries still plan.
  if (!hasFiles(root, extension)) return emptyView(table);
  // Only *.parquet / *.json: a LocalStore write in flight is a *.tmp file beside them.
  const glob = join(root, '**', `*${extension}`);
  const source =
    table.format === 'parquet'
      ? // The Parquet schema carries the column types (written from the same DAILY_COLUMNS).
        `read_parquet(${sqlString(glob)}, ${hiveOf(table.partitions)})`
      : readJson(table, [glob]);
  return `CREATE OR REPLACE VIEW "${table.name}" AS SELECT ${all.map((c) => `"${c.name}"`).join(', ')} FROM ${source}`;
}

function subfolders(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name.startsWith(prefix)).map((e) => e.name.slice(prefix.length));
  } catch {
    return [];
  }
}

/** The days the checkpoint says may be ahead of their day objects; undefined when it cannot tell (no checkpoint, unreadable). */
function daysDirty(base: string, prefix: string, operation: string): Set<string> | undefined {
  try {
    const days = (JSON.parse(readFileSync(join(base, checkpointKey(prefix, operation)), 'utf8')) as { days_dirty?: unknown }).days_dirty;
    return Array.isArray(days) && days.every((d) => typeof d === 'string') ? new Set(days as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The window table: level days from their day objects, every other day from its window objects. */
function dataViewSql(table: TableColumns, base: string, prefix: string): string {
  const root = join(base, tableRoot(prefix, DATA_TABLE));
  if (!hasFiles(root, '.json')) return emptyView(table);
  const parquet: string[] = [];
  const json: string[] = [];
  for (const operation of subfolders(root, 'operation=')) {
    const dirty = daysDirty(base, prefix, operation);
    for (const dt of subfolders(join(root, `operation=${operation}`), 'dt=')) {
      const dayDir = join(root, `operation=${operation}`, `dt=${dt}`);
      const dayObject = join(base, dailyKey(prefix, operation, dt));
      if (dirty && !dirty.has(dt) && existsSync(dayObject)) parquet.push(dayObject);
      else if (hasFiles(dayDir, '.json')) json.push(join(dayDir, '**', '*.json'));
    }
  }
  const daily = TABLES.find((t) => t.name === DAILY_TABLE)!;
  const columns = [...table.columns, ...table.partitions].map((c) => `"${c.name}"`).join(', ');
  const parts = [
    ...(json.length ? [`SELECT ${columns} FROM ${readJson(table, json)}`] : []),
    // The day object's hour is a column of the file; operation and dt are its partitions.
    ...(parquet.length ? [`SELECT ${columns} FROM read_parquet([${parquet.map(sqlString).join(', ')}], ${hiveOf(daily.partitions)})`] : []),
  ];
  return parts.length ? `CREATE OR REPLACE VIEW "${table.name}" AS ${parts.join(' UNION ALL ')}` : emptyView(table);
}

/** Whether any table has an object under the folder: stops at the first one found (a year is not listed for it). */
export function hasLocalData(outDir: string, prefix: string): boolean {
  const base = resolve(outDir);
  return TABLES.some((t) => hasFiles(join(base, tableRoot(prefix, t.name)), t.format === 'parquet' ? '.parquet' : '.json'));
}

/**
 * The tables a statement names (whole words), or all of them when it names none (SHOW TABLES):
 * creating a view lists its files, and the fetch log of a year is 105,120 of them.
 */
function tablesFor(sql: string | undefined): readonly TableColumns[] {
  if (sql === undefined) return TABLES;
  const named = TABLES.filter((t) => new RegExp(`\\b${t.name}\\b`, 'i').test(sql));
  return named.length > 0 ? named : TABLES;
}

/** An in-memory DuckDB with a view per table over the folder (only those `sql` names, when given). */
export async function openLocalTables(outDir: string, prefix: string, sql?: string): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const base = resolve(outDir);
  for (const table of tablesFor(sql)) await connection.run(table.name === DATA_TABLE ? dataViewSql(table, base, prefix) : viewSql(table, join(base, tableRoot(prefix, table.name))));
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
