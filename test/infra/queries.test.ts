/**
 * The saved queries run in DuckDB over tables with the Glue columns, at a fixed instant, to see
 * which `dt` days they select. Trino's `date` and `date_format` are mapped onto DuckDB's; the
 * clock is pinned by replacing `current_timestamp`, so the check is about the day arithmetic.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleQuery, namedQueries, type QueryOperation, WINDOWS_PER_DAY } from '../../infra/queries.ts';
import { type ColumnSpec, duckdbType, TABLES } from '../../lambda/domain/columns.ts';
import { DAILY_TABLE, DATA_TABLE, FETCH_TABLE, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';

/** 02:00 UTC on 21 Nov: still 20 Nov in Bogota (UTC-5), already 21 Nov in Tokyo (UTC+9). */
const NOW_SQL = "TIMESTAMPTZ '2026-11-21 02:00:00+00'";
const BOGOTA: QueryOperation = { server: '0032', timezone: 'America/Bogota' };
const TOKYO: QueryOperation = { server: '0099', timezone: 'Asia/Tokyo' };

/** Days looked back by each saved query (0: today only). */
const LOOKBACK: Record<string, number> = {
  TodayByHour: 0,
  DailyDistributionByInterval: 7,
  CostAndMinutesByDay: 30,
  WindowsCollectedPerDay: 14,
  FetchFailuresByErrorClass: 7,
  DaysNotVerified: 30,
};

/** Each table's columns, partition columns last (as Glue lists them). */
const SHAPES = new Map<string, readonly ColumnSpec[]>(TABLES.map((t) => [t.name, [...t.columns, ...t.partitions]]));

function dayOffset(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A row for every day from 2026-10-01 to 2026-11-22 and both operations, in every table. */
async function seed(db: DuckDBConnection): Promise<void> {
  await db.run('CREATE SCHEMA wolkvox');
  await db.run('CREATE MACRO date_format(d, f) AS strftime(d, f)');
  await db.run('CREATE MACRO date(x) AS CAST(x AS DATE)');
  for (const [table, columns] of SHAPES) {
    await createTable(db, 'wolkvox', table, columns);
    const values: Record<string, string> = {
      window_start: "dt || ' 00:00:00'",
      interval: "'0_5_seg'",
      calls: '1',
      outcome: "'failed'",
      error_class: "'WolkvoxTransportError'",
      hour: '0',
      // Every day still unverified, so that the days-not-verified query selects each one.
      status: "'changed'",
      checked_at: "dt || 'T12:00:00.000Z'",
    };
    const select = columns.map((c) => (c.name === 'operation' || c.name === 'dt' ? c.name : (values[c.name] ?? 'NULL'))).join(', ');
    await db.run(`INSERT INTO wolkvox.${table}
      SELECT ${select}
      FROM (SELECT strftime(d, '%Y-%m-%d') AS dt FROM range(DATE '2026-10-01', DATE '2026-11-23', INTERVAL 1 DAY) t(d)),
           (VALUES ('${BOGOTA.server}'), ('${TOKYO.server}')) o(operation)`);
  }
}

async function createTable(db: DuckDBConnection, schema: string, table: string, columns: readonly ColumnSpec[]): Promise<void> {
  await db.run(`CREATE TABLE ${schema}.${table} (${columns.map((c) => `"${c.name}" ${duckdbType(c.type)}`).join(', ')})`);
}

/** Days each operation's rows come from when `sql` runs at NOW_SQL. */
async function daysSelected(db: DuckDBConnection, sql: string): Promise<Map<string, { first: string; last: string }>> {
  expect(sql).toContain('current_timestamp');
  const reader = await db.runAndReadAll(`SELECT operation, min(dt) AS first, max(dt) AS last FROM (${sql.replace(/;\s*$/, '').replaceAll('current_timestamp', NOW_SQL)}) GROUP BY operation`);
  return new Map(reader.getRowObjectsJson().map((r) => [String(r.operation), { first: String(r.first), last: String(r.last) }]));
}

describe('Queries: saved Athena queries', () => {
  let instance: DuckDBInstance;
  let db: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    db = await instance.connect();
    await seed(db);
  });
  afterAll(() => {
    db.closeSync();
    instance.closeSync();
  });

  it.each(Object.entries(LOOKBACK))("counts the days of %s in the operation's zone when UTC is already on the next day", async (id, days) => {
    // Prepare
    const query = namedQueries('wolkvox', [BOGOTA]).find((q) => q.id === id);

    // Act
    const selected = await daysSelected(db, query?.sql ?? '');

    // Assess
    expect(selected.get(BOGOTA.server)?.first).toBe(dayOffset('2026-11-20', -days));
    if (days === 0) expect(selected.get(BOGOTA.server)?.last).toBe('2026-11-20');
  });

  it.each(Object.entries(LOOKBACK))('counts the days of %s in each zone when operations live in different zones', async (id, days) => {
    // Prepare
    const query = namedQueries('wolkvox', [BOGOTA, TOKYO]).find((q) => q.id === id);

    // Act
    const selected = await daysSelected(db, query?.sql ?? '');

    // Assess
    expect(selected.get(BOGOTA.server)?.first).toBe(dayOffset('2026-11-20', -days));
    expect(selected.get(TOKYO.server)?.first).toBe(dayOffset('2026-11-21', -days));
  });

  it('keeps a dt bound without any column in it when several zones are configured', () => {
    // Act
    const queries = namedQueries('wolkvox', [BOGOTA, TOKYO]);

    // Assess: the first dt predicate compares dt with constants only, which Athena folds and prunes on.
    for (const q of queries) expect(q.sql, q.id).toMatch(/WHERE (?:outcome IN \([^)]*\) AND )?dt >= least\(date_format\(date\(current_timestamp AT TIME ZONE 'America\/Bogota'\)/);
  });

  it('lists the latest windows of the first operation from its yesterday when the example query runs', async () => {
    // Prepare
    const sql = exampleQuery('wolkvox', BOGOTA).replaceAll('current_timestamp', NOW_SQL);

    // Act
    const reader = await db.runAndReadAll(`SELECT min(window_start) AS first, count(*) AS n FROM (${sql})`);

    // Assess: one row a day of one operation, 19 to 22 November.
    expect(reader.getRowObjectsJson()).toEqual([{ first: '2026-11-19 00:00:00', n: '4' }]);
  });

  it('reads cdr_4_daily when a query spans more than one day and cdr_4 when it covers today only', () => {
    // Act
    const queries = namedQueries('wolkvox', [BOGOTA]);

    // Assess
    for (const q of queries) {
      const table = /FROM "wolkvox"\."([a-z_0-9]+)"/.exec(q.sql)?.[1];
      if (table === FETCH_TABLE || table === VERIFICATION_TABLE) continue;
      expect(table, q.id).toBe(LOOKBACK[q.id] === 0 ? DATA_TABLE : DAILY_TABLE);
    }
  });

  it('lists the days whose latest record is not verified, with that record, when the days-not-verified query runs', async () => {
    // Prepare: a schema of its own, so the seeded tables keep one row a day.
    await db.run('CREATE SCHEMA verif');
    await createTable(db, 'verif', VERIFICATION_TABLE, SHAPES.get(VERIFICATION_TABLE)!);
    const rows: [string, string, string, string, number | null][] = [
      ['2026-10-01', '2026-10-02T09:00:00.000Z', 'changed', '0032', 10], // before the 30-day bound
      ['2026-11-18', '2026-11-19T09:00:00.000Z', 'verified', '0032', 40], // written first, latest all the same
      ['2026-11-18', '2026-11-18T13:00:00.000Z', 'pending', '0032', null],
      ['2026-11-19', '2026-11-19T13:00:00.000Z', 'pending', '0032', null],
      ['2026-11-19', '2026-11-20T09:00:00.000Z', 'changed', '0032', 31],
      ['2026-11-20', '2026-11-20T13:00:00.000Z', 'pending', '0032', null],
      ['2026-11-19', '2026-11-20T09:00:00.000Z', 'changed', '0099', 5], // another operation
    ];
    for (const [dt, checkedAt, status, operation, vendor] of rows) {
      await db.run(`INSERT INTO verif.${VERIFICATION_TABLE} (operation, dt, checked_at, status, vendor_calls, api_calls) VALUES ('${operation}', '${dt}', '${checkedAt}', '${status}', ${vendor ?? 'NULL'}, 1)`);
    }
    const sql = namedQueries('verif', [BOGOTA]).find((q) => q.id === 'DaysNotVerified')?.sql ?? '';

    // Act
    const reader = await db.runAndReadAll(`SELECT operation, dt, status, last_checked_at, vendor_calls, checks_changed, api_calls_spent FROM (${sql.replace(/;\s*$/, '').replaceAll('current_timestamp', NOW_SQL)})`);

    // Assess: Bogota's today is 20 Nov; 0099 is listed too (the query covers every operation in the zone's bound).
    expect(reader.getRowObjectsJson()).toEqual([
      { operation: '0032', dt: '2026-11-19', status: 'changed', last_checked_at: '2026-11-20T09:00:00.000Z', vendor_calls: '31', checks_changed: '1', api_calls_spent: '2' },
      { operation: '0032', dt: '2026-11-20', status: 'pending', last_checked_at: '2026-11-20T13:00:00.000Z', vendor_calls: null, checks_changed: '0', api_calls_spent: '1' },
      { operation: '0099', dt: '2026-11-19', status: 'changed', last_checked_at: '2026-11-20T09:00:00.000Z', vendor_calls: '5', checks_changed: '1', api_calls_spent: '1' },
    ]);
  });

  it('quotes the reserved column "interval" whenever a query uses it', () => {
    // Assess
    for (const q of namedQueries('wolkvox', [BOGOTA])) {
      const bare = q.sql.replace(/"interval"/g, '').replace(/interval '\d+' day/g, '').replace(/interval_(min|max)_seconds/g, '');
      expect(bare, q.name).not.toMatch(/\binterval\b/);
    }
  });

  it('compares collected windows with 288 per day from the fetch log when counting completeness', () => {
    // Act
    const q = namedQueries('wolkvox', [BOGOTA]).find((x) => x.id === 'WindowsCollectedPerDay');

    // Assess
    expect(WINDOWS_PER_DAY).toBe(288);
    expect(q?.sql).toContain('288 AS windows_expected');
    expect(q?.sql).toContain('"wolkvox"."cdr_4_fetches"');
  });
});
