import type { DataRow } from '../../lambda/domain/columns.ts';

export type IntervalTotals = Record<string, { calls: number; minutes: number }>;

/** Sums NDJSON data objects per interval, the way an analyst's GROUP BY would. */
export function sumRows(objects: readonly string[]): { totals: IntervalTotals; rows: DataRow[] } {
  const totals: IntervalTotals = {};
  const rows: DataRow[] = [];
  for (const text of objects) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as DataRow;
      rows.push(row);
      const t = (totals[row.interval] ??= { calls: 0, minutes: 0 });
      t.calls += row.calls ?? 0;
      t.minutes += row.minutes ?? 0;
    }
  }
  return { totals, rows };
}
