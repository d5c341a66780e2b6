import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SUMMARY_QUERY } from '../../lambda/local/run-cli.ts';
import { startSummaryThread, type SummaryThread } from '../../lambda/local/summary-thread.ts';

const row = (start: string, interval: string, calls: number) =>
  JSON.stringify({ operation: '0032', window_start: start, window_end: start, window_start_utc: start, window_end_utc: start, timezone: 'America/Bogota', interval, interval_min_seconds: 0, interval_max_seconds: 5, calls, minutes: 1, cost: 0.1, percentage: 100, revision: 1, fetch_id: 'f', collected_at: start });

describe('Function: startSummaryThread', () => {
  let out: string;
  let thread: SummaryThread | undefined;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'summary-thread-'));
  });
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
    rmSync(out, { recursive: true, force: true });
  });

  it('returns the summary table and the windows with calls, read by DuckDB on its own thread', async () => {
    // Prepare: two windows with rows, one without
    const hour = join(out, 'wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08');
    mkdirSync(hour, { recursive: true });
    writeFileSync(join(hour, '20261120080000-20261120080459.json'), `${row('2026-11-20 08:00:00', '0_5_seg', 3)}\n`);
    writeFileSync(join(hour, '20261120080500-20261120080959.json'), `${row('2026-11-20 08:05:00', '0_5_seg', 4)}\n`);
    writeFileSync(join(hour, '20261120081000-20261120081459.json'), '');
    thread = startSummaryThread({ out, prefix: 'wolkvox' });

    // Act
    const tables = await thread.summarize({ server: '0032', sql: SUMMARY_QUERY.replace('$operation', "'0032'") });

    // Assess
    expect(tables.windowsWithCalls).toBe(2);
    expect(tables.table).toMatch(/^interval\s+\| min_s/);
    expect(tables.table).toMatch(/0_5_seg\s+\| 0\s+\| 5\s+\| 7\s+\|/);
  });

  it('rejects with DuckDB\'s message when the query fails, instead of waiting forever', async () => {
    // Prepare
    thread = startSummaryThread({ out, prefix: 'wolkvox' });

    // Act
    const answer = thread.summarize({ server: '0032', sql: 'SELECT no_such_column FROM cdr_4' });

    // Assess
    await expect(answer).rejects.toThrow(/no_such_column/);
  });
});
