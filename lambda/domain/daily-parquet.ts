/**
 * The `cdr_4_daily` object: one Parquet file per operation and day holding the rows of
 * that day's window objects, plus a manifest (in the file's key-value metadata) naming
 * each window object and the store version it was read at. The manifest is what lets a
 * later run re-read only the windows that changed, and replace a restated window's rows
 * instead of adding them a second time.
 *
 * Pure: bytes in, bytes out. Column names, order and types come from DAILY_COLUMNS.
 */
import * as zlib from 'node:zlib';
import { parquetMetadata, parquetReadObjects, type CompressionCodec } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import * as z from 'zod/mini';
import { DAILY_COLUMNS, type ColumnSpec, type DataRow } from './columns.ts';
import { CollectorError } from './errors.ts';

/** Bumped whenever the columns or the manifest change shape: an older object is rebuilt from its windows. */
export const DAY_FORMAT = 1;
export const MANIFEST_KEY = 'cdr_4_daily.manifest';

/** A row of `cdr_4_daily`: a `cdr_4` row plus its window's wall-clock hour. */
export type DailyRow = DataRow & { hour: number };

/** One window object as the day object holds it. */
export interface DayWindow {
  /** The window object's key. */
  readonly key: string;
  /** The store version of the window object these rows were read from. */
  readonly version: string;
  readonly rows: readonly DataRow[];
}

export interface ManifestEntry {
  readonly key: string;
  readonly version: string;
  /** How many rows of the file belong to this window (consecutive, in manifest order). */
  readonly rows: number;
}

export interface DayManifest {
  readonly format: number;
  readonly windows: readonly ManifestEntry[];
}

export interface DecodedDay {
  readonly manifest: DayManifest;
  /** The file's rows, in file order. */
  readonly rows: readonly DailyRow[];
  /** The rows split back into their window objects, in manifest order. */
  readonly windows: readonly DayWindow[];
}

/**
 * A day object that cannot be used: unreadable bytes, an older format, or windows whose
 * rows would interleave. Retrying gives the same answer; the caller rebuilds the day.
 */
export class DayObjectError extends CollectorError {
  readonly retryable = false;
}

/**
 * The smallest codec that both DuckDB and Athena (engine 3) read and this runtime can write
 * without a native or wasm dependency: zstd where node:zlib has it (Node >= 22.15, the
 * Lambda's 24), else gzip (a local Node 20). hyparquet-writer itself only brings snappy;
 * on a day of rows zstd is ~35% smaller than snappy and ~15% smaller than gzip.
 */
export function dayCodec(): CompressionCodec {
  return typeof zlib.zstdCompressSync === 'function' ? 'ZSTD' : 'GZIP';
}

// zstd's default level 3, as Athena writes it: level 9 measured no smaller on a day of rows, and slower.
const compressors = {
  ZSTD: (input: Uint8Array) => zlib.zstdCompressSync(input),
  GZIP: (input: Uint8Array) => zlib.gzipSync(input),
};

const decompressors = {
  ZSTD: (input: Uint8Array) => {
    if (typeof zlib.zstdDecompressSync !== 'function') throw new Error('this Node has no zstd (needs 22.15 or later)');
    return zlib.zstdDecompressSync(input);
  },
  GZIP: (input: Uint8Array) => zlib.gunzipSync(input),
};

function parquetType(type: ColumnSpec['type']): NonNullable<ColumnSource['type']> {
  switch (type) {
    case 'string':
      return 'STRING';
    case 'int':
      return 'INT32';
    case 'bigint':
      return 'INT64';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
  }
}

function hourOf(windowStart: string): number {
  return Number(windowStart.slice(11, 13));
}

/** Interval order inside a window: by lower bound, unknown bounds last, then by key. */
function compareIntervals(a: DataRow, b: DataRow): number {
  const x = a.interval_min_seconds;
  const y = b.interval_min_seconds;
  if (x !== y) {
    if (x === null) return 1;
    if (y === null) return -1;
    return x - y;
  }
  return a.interval < b.interval ? -1 : a.interval > b.interval ? 1 : 0;
}

/**
 * Orders the windows so that their rows, concatenated, are sorted by window_start then
 * interval, which is also the manifest order the decoder splits rows by. Throws when a
 * window's rows span several window starts or two windows share one: such rows could
 * not be told apart again, and the day would double a window.
 */
function orderWindows(windows: readonly DayWindow[]): { window: DayWindow; start: string; rows: DataRow[] }[] {
  const seenKeys = new Set<string>();
  const ordered = windows.map((window) => {
    if (seenKeys.has(window.key)) throw new DayObjectError(`window object listed twice: ${window.key}`, { key: window.key });
    seenKeys.add(window.key);
    const start = window.rows[0]?.window_start ?? '';
    if (window.rows.some((r) => r.window_start !== start)) throw new DayObjectError(`rows of ${window.key} span several windows`, { key: window.key });
    return { window, start, rows: [...window.rows].sort(compareIntervals) };
  });
  ordered.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.window.key < b.window.key ? -1 : a.window.key > b.window.key ? 1 : 0));
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1]!;
    const cur = ordered[i]!;
    if (cur.start !== '' && cur.start === prev.start) throw new DayObjectError(`${prev.window.key} and ${cur.window.key} both hold window ${cur.start}`, { key: cur.window.key });
  }
  return ordered;
}

/** The day object's bytes: every window's rows (sorted) and the manifest naming each window object and version. */
export function encodeDay(windows: readonly DayWindow[]): Uint8Array {
  const ordered = orderWindows(windows);
  const rows = ordered.flatMap((w) => w.rows);
  const manifest: DayManifest = { format: DAY_FORMAT, windows: ordered.map((w) => ({ key: w.window.key, version: w.window.version, rows: w.rows.length })) };
  const columnData: ColumnSource[] = DAILY_COLUMNS.map((c) => {
    const type = parquetType(c.type);
    const data = rows.map((r) => {
      const value = c.name === 'hour' ? hourOf(r.window_start) : (r as unknown as Record<string, unknown>)[c.name];
      if (value === null || value === undefined) return null;
      return type === 'INT64' ? BigInt(value as number) : value;
    });
    return { name: c.name, data, type, nullable: true };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    codec: dayCodec(),
    compressors,
    // One row group per day (a day is ~1,500 rows): fewer footers to read per query.
    rowGroupSize: 1_000_000,
    // Whole window_start values in the statistics, so engines can skip by time exactly.
    statisticsTruncateLength: 64,
    kvMetadata: [{ key: MANIFEST_KEY, value: JSON.stringify({ format: manifest.format, windows: manifest.windows.map((e) => [e.key, e.version, e.rows]) }) }],
    createdBy: 'wolkvox-cdr4-collector',
  });
  return new Uint8Array(buffer);
}

const manifestSchema = z.object({
  format: z.int(),
  windows: z.array(z.tuple([z.string().check(z.minLength(1)), z.string(), z.int().check(z.nonnegative())])),
});

/** Reads a day object back. Throws DayObjectError when it is unreadable or of another format. */
export async function decodeDay(bytes: Uint8Array): Promise<DecodedDay> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let manifest: DayManifest;
  let records: Record<string, unknown>[];
  try {
    const metadata = parquetMetadata(buffer);
    const entry = metadata.key_value_metadata?.find((kv) => kv.key === MANIFEST_KEY);
    if (!entry?.value) throw new DayObjectError('day object has no manifest');
    const parsed = manifestSchema.safeParse(JSON.parse(entry.value));
    if (!parsed.success) throw new DayObjectError(`day object manifest is malformed: ${parsed.error.message}`);
    if (parsed.data.format !== DAY_FORMAT) throw new DayObjectError(`day object has format ${parsed.data.format}, this collector writes ${DAY_FORMAT}`);
    manifest = { format: parsed.data.format, windows: parsed.data.windows.map(([key, version, rows]) => ({ key, version, rows })) };
    const names = metadata.schema.slice(1).map((s) => s.name);
    const expected = DAILY_COLUMNS.map((c) => c.name);
    if (names.join(',') !== expected.join(',')) throw new DayObjectError(`day object columns ${names.join(',')} are not ${expected.join(',')}`);
    records = metadata.num_rows === 0n ? [] : await parquetReadObjects({ file: buffer, metadata, compressors: decompressors });
  } catch (cause) {
    if (cause instanceof DayObjectError) throw cause;
    throw new DayObjectError(`day object is not readable Parquet: ${(cause as Error).message}`, {}, { cause });
  }
  const rows = records.map(toDailyRow);
  const total = manifest.windows.reduce((n, e) => n + e.rows, 0);
  if (total !== rows.length) throw new DayObjectError(`day object manifest counts ${total} rows, the file holds ${rows.length}`);
  const windows: DayWindow[] = [];
  let at = 0;
  for (const e of manifest.windows) {
    const own = rows.slice(at, at + e.rows).map(({ hour: _hour, ...row }) => row);
    at += e.rows;
    if (own.some((r) => r.window_start !== own[0]?.window_start)) throw new DayObjectError(`day object rows of ${e.key} span several windows`, { key: e.key });
    windows.push({ key: e.key, version: e.version, rows: own });
  }
  return { manifest, rows, windows };
}

function toDailyRow(record: Record<string, unknown>): DailyRow {
  const out: Record<string, unknown> = {};
  for (const c of DAILY_COLUMNS) {
    const v = record[c.name];
    out[c.name] = v === undefined || v === null ? null : typeof v === 'bigint' ? Number(v) : v;
  }
  return out as unknown as DailyRow;
}
