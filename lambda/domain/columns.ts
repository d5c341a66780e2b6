/**
 * Row schemas of the two tables: a public contract (README "Row schema"). The Glue tables in
 * infra/ and the DuckDB views of `npm run query` are both built from these lists, so the
 * writer, Athena and DuckDB cannot drift apart. Column order is the order of keys in a row.
 *
 * Types are Hive/Athena DDL types; `duckdb` gives the matching DuckDB type.
 */
import { DAILY_TABLE, DATA_TABLE, FETCH_TABLE, VERIFICATION_TABLE } from './layout.ts';

export interface ColumnSpec {
  readonly name: string;
  readonly type: 'string' | 'bigint' | 'int' | 'double' | 'boolean';
  readonly comment: string;
}

export const PARTITION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'operation', type: 'string', comment: 'Wolkvox server nomenclature of the operation' },
  { name: 'dt', type: 'string', comment: 'Window start date on the operation wall clock, YYYY-MM-DD' },
  { name: 'hour', type: 'int', comment: 'Window start hour on the operation wall clock, 0-23' },
];

export const DATA_COLUMNS: readonly ColumnSpec[] = [
  { name: 'window_start', type: 'string', comment: 'Window start, operation wall clock, YYYY-MM-DD HH:mm:ss (inclusive)' },
  { name: 'window_end', type: 'string', comment: 'Window end, operation wall clock, YYYY-MM-DD HH:mm:ss (exclusive)' },
  { name: 'window_start_utc', type: 'string', comment: 'Window start as ISO-8601 UTC' },
  { name: 'window_end_utc', type: 'string', comment: 'Window end as ISO-8601 UTC' },
  { name: 'timezone', type: 'string', comment: 'IANA zone of the operation wall clock' },
  { name: 'interval', type: 'string', comment: 'Interval key exactly as the API sent it, e.g. 0_5_seg' },
  { name: 'interval_min_seconds', type: 'int', comment: 'Lower bound (inclusive) parsed from the key; null when unknown' },
  { name: 'interval_max_seconds', type: 'int', comment: 'Upper bound (inclusive) parsed from the key; null when open-ended or unknown' },
  { name: 'calls', type: 'bigint', comment: 'Number of calls; null when the API sent a blank' },
  { name: 'minutes', type: 'double', comment: 'Minutes consumed; null when blank' },
  { name: 'cost', type: 'double', comment: 'Cost; null when blank' },
  { name: 'percentage', type: 'double', comment: 'Share of calls in percent (0-100); null when blank' },
  { name: 'revision', type: 'int', comment: '1 for the first collection of the window, 2 for its late-data restatement' },
  { name: 'fetch_id', type: 'string', comment: 'Id of the API call that produced the row (joins cdr_4_fetches.fetch_id)' },
  { name: 'collected_at', type: 'string', comment: 'When the row was collected, ISO-8601 UTC' },
];

export const FETCH_COLUMNS: readonly ColumnSpec[] = [
  { name: 'fetch_id', type: 'string', comment: 'Unique id of the API call' },
  { name: 'window_start', type: 'string', comment: 'Window start, operation wall clock' },
  { name: 'window_end', type: 'string', comment: 'Window end (exclusive), operation wall clock' },
  { name: 'window_start_utc', type: 'string', comment: 'Window start as ISO-8601 UTC' },
  { name: 'timezone', type: 'string', comment: 'IANA zone of the operation wall clock' },
  { name: 'date_ini', type: 'string', comment: 'date_ini sent to the API' },
  { name: 'date_end', type: 'string', comment: 'date_end sent to the API (inclusive last second)' },
  { name: 'requested_at', type: 'string', comment: 'When the request started, ISO-8601 UTC' },
  { name: 'latency_ms', type: 'int', comment: 'Time to the full response (or failure) in ms' },
  { name: 'http_status', type: 'int', comment: 'HTTP status; null when no response arrived' },
  { name: 'vendor_code', type: 'string', comment: 'The body code field as sent (number or string); null when absent' },
  { name: 'vendor_msg', type: 'string', comment: 'The body msg field (or error text); null when absent' },
  { name: 'outcome', type: 'string', comment: 'collected | empty | failed | quarantined (the failure that made the window be skipped)' },
  { name: 'error_class', type: 'string', comment: 'Error class name when failed, else null' },
  { name: 'error_message', type: 'string', comment: 'Error message when failed, else null (never holds the token)' },
  { name: 'retryable', type: 'boolean', comment: 'Whether the failure is transient; null unless failed' },
  { name: 'row_count', type: 'int', comment: 'Rows written for the window by this call' },
  { name: 'revision', type: 'int', comment: 'Revision of the window this call produced (0 when failed)' },
  { name: 'warnings', type: 'string', comment: 'Parser warnings joined by "; ", null when none' },
  { name: 'response_body', type: 'string', comment: 'Raw response body as received (truncated past 256 KiB)' },
];

/**
 * `cdr_4_daily`: one Parquet object per operation and day holding that day's `cdr_4` rows,
 * rows sorted by window_start then interval bounds. `hour` is an ordinary column here
 * (the table is partitioned by operation and dt only), placed after the data columns.
 */
export const DAILY_COLUMNS: readonly ColumnSpec[] = [
  ...DATA_COLUMNS,
  { name: 'hour', type: 'int', comment: 'Window start hour on the operation wall clock, 0-23' },
];

/** Partition columns of `cdr_4_daily`: no hour partition (one object per day). */
export const DAILY_PARTITION_COLUMNS: readonly ColumnSpec[] = PARTITION_COLUMNS.filter((c) => c.name !== 'hour');

/**
 * `cdr_4_verifications`: one row per record of a day's completeness, partitioned by operation
 * and dt (the day checked). The latest row of a day says where it stands:
 * `SELECT dt FROM cdr_4_verifications GROUP BY dt HAVING max_by(status, checked_at) <> 'verified'`.
 */
export const VERIFICATION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'status', type: 'string', comment: 'pending (first window stored), changed (day total differed; re-collected), verified (day call equals stored windows), unreconcilable (totals do not add up: witness_*), unverified (check bound reached: note) or collected (not compared)' },
  { name: 'checked_at', type: 'string', comment: 'When the record was made, ISO-8601 UTC' },
  { name: 'timezone', type: 'string', comment: 'IANA zone of the operation wall clock (the day is a day of this zone)' },
  { name: 'vendor_calls', type: 'bigint', comment: "Calls of the whole day in the vendor's answer; null for pending" },
  { name: 'stored_calls', type: 'bigint', comment: 'Calls of the day summed over its stored window objects, read back from the store; null for pending' },
  { name: 'vendor_calls_by_interval', type: 'string', comment: 'JSON object: interval key -> calls, as the vendor answered for the day' },
  { name: 'stored_calls_by_interval', type: 'string', comment: 'JSON object: interval key -> calls, summed over the stored windows' },
  { name: 'api_calls', type: 'int', comment: 'API calls this check spent: the day call, the narrowing calls and the re-collected windows' },
  { name: 'windows_recollected', type: 'int', comment: 'Windows re-collected because their totals changed' },
  { name: 'fetch_id', type: 'string', comment: 'The call over the whole day (joins cdr_4_fetches.fetch_id); null for pending' },
  { name: 'witness_start', type: 'string', comment: "unreconcilable: start of the span whose total is above its parts' (wall clock, inclusive); vendor_* is its total, stored_* its parts' answers" },
  { name: 'witness_end', type: 'string', comment: 'unreconcilable: end of that span (wall clock, exclusive)' },
  { name: 'note', type: 'string', comment: 'Why, in words: the verdict, the bound reached, the mode, or that the day answer was "no records"' },
];

/** Partition columns of `cdr_4_verifications`: one folder per operation and day. */
export const VERIFICATION_PARTITION_COLUMNS: readonly ColumnSpec[] = DAILY_PARTITION_COLUMNS;

/** A table of the layout: its columns, its partition columns, and how its objects are stored. */
export interface TableColumns {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly partitions: readonly ColumnSpec[];
  readonly format: 'ndjson' | 'parquet';
}

/** Every table, once: the Glue tables (infra/), the DuckDB views of `npm run query` and the tests are built from it. */
export const TABLES: readonly TableColumns[] = [
  { name: DATA_TABLE, columns: DATA_COLUMNS, partitions: PARTITION_COLUMNS, format: 'ndjson' },
  { name: FETCH_TABLE, columns: FETCH_COLUMNS, partitions: PARTITION_COLUMNS, format: 'ndjson' },
  { name: DAILY_TABLE, columns: DAILY_COLUMNS, partitions: DAILY_PARTITION_COLUMNS, format: 'parquet' },
  { name: VERIFICATION_TABLE, columns: VERIFICATION_COLUMNS, partitions: VERIFICATION_PARTITION_COLUMNS, format: 'ndjson' },
];

export function tableColumns(name: string): TableColumns {
  const table = TABLES.find((t) => t.name === name);
  if (!table) throw new RangeError(`no table ${name}`);
  return table;
}

/** The one NDJSON line of a `cdr_4_verifications` object. */
export type VerificationStatus = 'pending' | 'changed' | 'verified' | 'unreconcilable' | 'unverified' | 'collected';

export interface VerificationRecord {
  status: VerificationStatus;
  checked_at: string;
  timezone: string;
  vendor_calls: number | null;
  stored_calls: number | null;
  vendor_calls_by_interval: string | null;
  stored_calls_by_interval: string | null;
  api_calls: number;
  windows_recollected: number;
  fetch_id: string | null;
  witness_start: string | null;
  witness_end: string | null;
  note: string | null;
}

export function duckdbType(type: ColumnSpec['type']): string {
  switch (type) {
    case 'string':
      return 'VARCHAR';
    case 'bigint':
      return 'BIGINT';
    case 'int':
      return 'INTEGER';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
  }
}

/** One NDJSON line of the `cdr_4` table. */
export interface DataRow {
  window_start: string;
  window_end: string;
  window_start_utc: string;
  window_end_utc: string;
  timezone: string;
  interval: string;
  interval_min_seconds: number | null;
  interval_max_seconds: number | null;
  calls: number | null;
  minutes: number | null;
  cost: number | null;
  percentage: number | null;
  revision: number;
  fetch_id: string;
  collected_at: string;
}

/** The one NDJSON line of a `cdr_4_fetches` object. */
export interface FetchRecord {
  fetch_id: string;
  window_start: string;
  window_end: string;
  window_start_utc: string;
  timezone: string;
  date_ini: string;
  date_end: string;
  requested_at: string;
  latency_ms: number;
  http_status: number | null;
  vendor_code: string | null;
  vendor_msg: string | null;
  outcome: 'collected' | 'empty' | 'failed' | 'quarantined';
  error_class: string | null;
  error_message: string | null;
  retryable: boolean | null;
  row_count: number;
  revision: number;
  warnings: string | null;
  response_body: string | null;
}
