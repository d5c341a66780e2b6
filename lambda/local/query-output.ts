/**
 * Writes a DuckDB result as it streams: chunk by chunk (2,048 rows), never the whole result
 * in memory. csv and json write every row (or `limit`); the table shows the first rows and
 * counts the rest without converting them.
 */
import { DuckDBTypeId, JsonDuckDBValueConverter, type DuckDBResult, type Json } from '@duckdb/node-api';
import { visibleControls } from '../domain/vendor-text.ts';

export const OUTPUT_FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Rows the table shows unless --limit says otherwise. */
export const TABLE_ROWS = 100;

/** Takes text for stdout; resolves once it may take more (the pipe has drained). */
export type Sink = (text: string) => void | Promise<void>;

export interface WriteSummary {
  /** Rows written. */
  readonly written: number;
  /** Rows of the result not written; null when a csv or json limit stopped the reading before the end. */
  readonly notShown: number | null;
}

/** DuckDB's exact numbers, which JSON can carry as they are (its Json converter gives them as strings). */
const EXACT_NUMBERS = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL, DuckDBTypeId.BIGNUM]);

function text(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function csvCell(value: Json): string {
  if (value === null) return '';
  const t = text(value);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/**
 * Formats a table: column names, a rule, the rows; widths from the rows shown. The table is for a
 * terminal: control characters in a cell (a vendor body is kept as received) show as escapes.
 */
export function formatTable(columns: readonly string[], rows: readonly (readonly Json[])[]): string {
  const cells = [columns.slice(), ...rows.map((r) => r.map((v) => (v === null ? 'NULL' : visibleControls(text(v)))))];
  // A loop, not Math.max(...rows): a spread of 100k rows overflows the stack.
  const widths = columns.map((_, i) => {
    let w = 0;
    for (const r of cells) w = Math.max(w, (r[i] ?? '').length);
    return w;
  });
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.slice(1).map(line)].join('\n');
}

/** Writes `result` to `sink` in `format`, at most `limit` rows (the table: TABLE_ROWS unless given). */
export async function writeResult(result: DuckDBResult, format: OutputFormat, limit: number | undefined, sink: Sink): Promise<WriteSummary> {
  const columns = result.columnNames();
  const max = limit ?? (format === 'table' ? TABLE_ROWS : Number.POSITIVE_INFINITY);
  let written = 0;
  let notShown = 0;
  const shown: Json[][] = [];
  const exact = columns.map((_, i) => EXACT_NUMBERS.has(result.columnTypeId(i)));
  // Two columns of one name would be one key of the object: DuckDB's own deduplicated names.
  const jsonKeys = result.deduplicatedColumnNames().map((c) => `${JSON.stringify(c)}:`);
  if (format === 'csv') await sink(`${columns.map(csvCell).join(',')}\n`);

  for await (const chunk of result) {
    if (written >= max) {
      // The table says how many rows it leaves out: counted, not converted.
      if (format !== 'table') return { written, notShown: null };
      notShown += chunk.rowCount;
      continue;
    }
    const rows = chunk.convertRows(JsonDuckDBValueConverter);
    const take = Math.min(rows.length, max - written);
    notShown += rows.length - take;
    written += take;
    if (format === 'table') {
      for (let r = 0; r < take; r += 1) shown.push(rows[r]!);
      continue;
    }
    let out = '';
    for (let r = 0; r < take; r += 1) {
      const row = rows[r]!;
      out +=
        format === 'csv'
          ? `${row.map(csvCell).join(',')}\n`
          : `{${row.map((v, i) => `${jsonKeys[i]}${v !== null && exact[i] ? String(v) : JSON.stringify(v)}`).join(',')}}\n`;
    }
    await sink(out);
  }
  if (format === 'table') await sink(`${formatTable(columns, shown)}\n`);
  return { written, notShown };
}
