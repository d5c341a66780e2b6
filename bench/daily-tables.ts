/**
 * 7. Day objects (`cdr_4_daily`): a simulated year of one operation as 105,120 window
 * objects plus the 365 day objects refreshDays writes from them, the same queries over
 * both tables in DuckDB (answers compared), the time refreshDays adds to a collector run,
 * and the bundle size and cold start of the Lambda before and after the Parquet writer.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { refreshDays } from '../lambda/collector/day-objects.ts';
import { DAILY_TABLE, dailyKey, DATA_TABLE, tableRoot } from '../lambda/domain/layout.ts';
import { latestDueWindow } from '../lambda/domain/planner.ts';
import { windowPartition } from '../lambda/domain/window.ts';
import { WALL } from '../lambda/domain/wall-clock.ts';
import { openLocalTables, query } from '../lambda/local/duckdb-tables.ts';
import { LocalStore } from '../lambda/storage/local-store.ts';
import type { ObjectStore, StoredObject } from '../lambda/storage/object-store.ts';
import { instantOfWall } from '../test/support/clock.ts';
import { collectRows, dayWindows, seeded, writeWindow } from '../test/support/window-objects.ts';
import { bundleLikeLambda } from './bundle-like-lambda.ts';
import { wallMs } from './cold-start.ts';
import { dailyCostLines, type DailyInputs } from './cost-model.ts';
import { median, round } from './stats.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const TZ = 'America/Bogota';
const OPERATION = '0032';
const PREFIX = 'wolkvox';
const SCOPE = { prefix: PREFIX, operation: OPERATION };
/** A year without daylight saving in the zone: 365 × 288 = 105,120 windows. */
const FIRST_DAY = '2025-12-01';
const MONTH = ['2026-06-01', '2026-06-30'] as const;
const SPEEDUP_GOAL = 20;
/** Modelled S3 request latency (same region, small objects), for the per-run time a Lambda pays waiting. */
const S3_LATENCY_MS = { list: 30, get: 20, put: 40 } as const;
const RESTATE_AFTER_MINUTES = 60;
const SETTLE_MINUTES = 5;

// Sums as DECIMAL so both tables give the same digits whatever order DuckDB adds rows in.
const YEAR_SQL = (table: string) =>
  `SELECT interval, min(interval_min_seconds) AS lo, sum(calls) AS calls, sum(minutes::DECIMAL(18,1))::VARCHAR AS minutes, sum(cost::DECIMAL(18,2))::VARCHAR AS cost, count(*) AS n, count(DISTINCT window_start) AS windows FROM ${table} WHERE operation = '${OPERATION}' GROUP BY interval ORDER BY lo NULLS LAST, interval`;
const MONTH_SQL = (table: string) =>
  `SELECT dt, interval, sum(calls) AS calls, sum(cost::DECIMAL(18,2))::VARCHAR AS cost FROM ${table} WHERE operation = '${OPERATION}' AND dt BETWEEN '${MONTH[0]}' AND '${MONTH[1]}' GROUP BY ALL ORDER BY ALL`;

function daysFrom(first: string, count: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function folderBytes(store: LocalStore, prefix: string): Promise<{ objects: number; bytes: number }> {
  const objects = await store.list(prefix);
  let bytes = 0;
  for (const o of objects) bytes += (await stat(store.describe(o.key))).size;
  return { objects: objects.length, bytes };
}

/** Wraps a store: every request waits its modelled S3 latency first; requests are counted. */
class S3LatencyStore implements ObjectStore {
  readonly count = { list: 0, get: 0, put: 0 };
  private readonly inner: ObjectStore;
  constructor(inner: ObjectStore) {
    this.inner = inner;
  }
  private async wait(kind: keyof typeof S3_LATENCY_MS) {
    this.count[kind] += 1;
    await new Promise((r) => setTimeout(r, S3_LATENCY_MS[kind]));
  }
  async put(key: string, body: string | Uint8Array, type: string) {
    await this.wait('put');
    return this.inner.put(key, body, type);
  }
  async get(key: string) {
    await this.wait('get');
    return this.inner.get(key);
  }
  async getBytes(key: string) {
    await this.wait('get');
    return this.inner.getBytes(key);
  }
  async list(prefix: string): Promise<StoredObject[]> {
    await this.wait('list');
    return this.inner.list(prefix);
  }
  describe(key: string) {
    return this.inner.describe(key);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/** Runs a query `runs` times; the answer of every run must be the same. */
async function timeQuery(db: Awaited<ReturnType<typeof openLocalTables>>, sql: string, runs: number) {
  const times: number[] = [];
  let answer = '';
  for (let i = 0; i < runs; i++) {
    const [result, ms] = await timed(() => query(db, sql));
    const text = JSON.stringify(result.rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    if (i > 0 && text !== answer) throw new Error(`query answered differently on run ${i + 1}: ${sql}`);
    answer = text;
    times.push(ms);
  }
  return { median_ms: round(median(times), 1), first_ms: round(times[0]!, 1), answer, rows: JSON.parse(answer) as unknown[][] };
}

/**
 * What one scheduled run gives refreshDays, over a day of runs from the planner: the live
 * window and the window it restates (default settings), and the distinct days they fall on.
 */
function steadyStateRun(): { touchedDaysPerRun: number; windowGetsPerRun: number } {
  const start = instantOfWall('2026-11-10 00:00', TZ);
  let days = 0;
  let windows = 0;
  const runs = 288;
  for (let i = 0; i < runs; i++) {
    const now = start + i * 5 * WALL.MINUTE_MS;
    const collected = [latestDueWindow(now, TZ, SETTLE_MINUTES), latestDueWindow(now, TZ, RESTATE_AFTER_MINUTES)];
    days += new Set(collected.map((w) => windowPartition(w).dt)).size;
    windows += new Set(collected.map((w) => w.startWall)).size;
  }
  return { touchedDaysPerRun: round(days / runs, 3), windowGetsPerRun: round(windows / runs, 3) };
}

/** refreshDays of one day: `changed` windows new or rewritten since the last refresh, of a day of 288. */
async function refreshCost(root: string, changed: number, samples: number) {
  const local = new LocalStore(root);
  const day = '2026-11-20';
  const windows = dayWindows(day, TZ);
  const rnd = seeded(99);
  for (const w of windows) await writeWindow(local, PREFIX, OPERATION, w, collectRows(w, rnd, 1, `seed-${w.startWall}`));
  await refreshDays(local, SCOPE, [day]);
  const localMs: number[] = [];
  const s3Ms: number[] = [];
  let requests = { list: 0, get: 0, put: 0 };
  for (let i = 0; i < samples; i++) {
    for (const store of ['local', 's3'] as const) {
      // The changed windows: a new collection of each (new rows, new fetch id), then the day object is behind.
      for (const w of windows.slice(-changed)) await writeWindow(local, PREFIX, OPERATION, w, collectRows(w, rnd, 2, `r${i}-${store}-${w.startWall}`));
      if (changed === windows.length) await rm(join(root, dailyKey(PREFIX, OPERATION, day)), { force: true });
      const target = store === 'local' ? local : new S3LatencyStore(local);
      const [summary, ms] = await timed(() => refreshDays(target, SCOPE, [day]));
      if (summary.windowsRead !== changed || summary.daysRewritten !== 1) throw new Error(`refresh read ${summary.windowsRead} windows, expected ${changed}`);
      (store === 'local' ? localMs : s3Ms).push(ms);
      if (target instanceof S3LatencyStore) requests = target.count;
    }
  }
  return { local_disk_ms: round(median(localMs), 1), modelled_s3_ms: round(median(s3Ms), 1), requests };
}

const STUB = 'export const parquetWriteBuffer = () => { throw new Error("stub"); }; export const parquetMetadata = parquetWriteBuffer; export const parquetReadObjects = parquetWriteBuffer;';
/** Resolves the Parquet libraries to an empty stub: the handler as it is without day objects. */
const withoutParquet: Plugin = {
  name: 'without-parquet',
  setup(b) {
    b.onResolve({ filter: /^hyparquet(-writer)?$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: STUB, loader: 'js' }));
  },
};

/** The handler bundled as deployed, without and with the day-object code (hyparquet, hyparquet-writer). */
export async function bundleCost(samples: number) {
  const dir = join(ROOT, '.tmp', 'bench-daily-bundle');
  rmSync(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const handler = JSON.stringify(join(ROOT, 'lambda/handler.ts'));
  const days = JSON.stringify(join(ROOT, 'lambda/collector/day-objects.ts'));
  await writeFile(join(dir, 'before.ts'), `export { handler } from ${handler};\n`);
  await writeFile(join(dir, 'after.ts'), `export { handler } from ${handler};\nexport { refreshDays } from ${days};\n`);
  const before = join(dir, 'before', 'index.mjs');
  const after = join(dir, 'after', 'index.mjs');
  await bundleLikeLambda(join(dir, 'before.ts'), before, { lambdaCredentials: true, plugins: [withoutParquet] });
  await bundleLikeLambda(join(dir, 'after.ts'), after, { lambdaCredentials: true });
  const importOf = (file: string) => ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); if (typeof m.handler !== 'function') process.exit(3);`];
  const bare: number[] = [];
  const b: number[] = [];
  const a: number[] = [];
  wallMs(importOf(before));
  wallMs(importOf(after));
  for (let i = 0; i < samples; i++) {
    bare.push(wallMs(['-e', '0']));
    b.push(wallMs(importOf(before)));
    a.push(wallMs(importOf(after)));
  }
  const base = median(bare);
  return {
    bundle_kb_before: round((await stat(before)).size / 1024, 1),
    bundle_kb_after: round((await stat(after)).size / 1024, 1),
    init_ms_before: round(median(b) - base, 1),
    init_ms_after: round(median(a) - base, 1),
    samples,
  };
}

export async function benchDailyTables(options: { days?: number; windowRuns?: number; dailyRuns?: number } = {}) {
  const dayCount = options.days ?? 365;
  const root = await mkdtemp(join(tmpdir(), 'bench-daily-'));
  try {
    const store = new LocalStore(root);
    const days = daysFrom(FIRST_DAY, dayCount);
    const rnd = seeded(2026);

    // The window objects, written as the collector writes them (rows from its own builder).
    const [, generateMs] = await timed(async () => {
      for (const day of days) {
        const batch = dayWindows(day, TZ).map((w) => ({ w, rows: collectRows(w, rnd, 1, `${day}-${w.startWall}`) }));
        await pool(batch, 32, async ({ w, rows }) => void (await writeWindow(store, PREFIX, OPERATION, w, rows)));
      }
    });
    const [summary, buildMs] = await timed(() => refreshDays(store, SCOPE, days));
    if (summary.failedDays.length) throw new Error(`day objects not written for ${summary.failedDays.join(', ')}`);
    const windowFiles = await folderBytes(store, tableRoot(PREFIX, DATA_TABLE));
    const dayFiles = await folderBytes(store, tableRoot(PREFIX, DAILY_TABLE));

    const db = await openLocalTables(root, PREFIX);
    const threads = (await query(db, "SELECT current_setting('threads')")).rows[0]![0];
    const windowRuns = options.windowRuns ?? 3;
    const dailyRuns = options.dailyRuns ?? 10;
    const yearWindows = await timeQuery(db, YEAR_SQL(DATA_TABLE), windowRuns);
    const yearDaily = await timeQuery(db, YEAR_SQL(DAILY_TABLE), dailyRuns);
    const monthWindows = await timeQuery(db, MONTH_SQL(DATA_TABLE), windowRuns);
    const monthDaily = await timeQuery(db, MONTH_SQL(DAILY_TABLE), dailyRuns);
    db.closeSync();
    if (yearWindows.answer !== yearDaily.answer) throw new Error(`year aggregate differs:\n${yearWindows.answer}\n${yearDaily.answer}`);
    if (monthWindows.answer !== monthDaily.answer) throw new Error('one-month query differs between cdr_4 and cdr_4_daily');
    const yearSpeedup = round(yearWindows.median_ms / yearDaily.median_ms, 1);

    const oneWindow = await refreshCost(join(root, 'run-common'), 1, 9);
    const backfillDay = await refreshCost(join(root, 'run-backfill'), 288, 3);
    const bundle = await bundleCost(15);
    const steady = steadyStateRun();
    const costInputs: DailyInputs = {
      ...steady,
      refreshMsPerDay: oneWindow.modelled_s3_ms,
      bytesPerDayObject: Math.round(dayFiles.bytes / Math.max(1, dayFiles.objects)),
    };

    return {
      days: dayCount,
      window_objects: windowFiles.objects,
      window_objects_mb: round(windowFiles.bytes / 1024 ** 2, 1),
      day_objects: dayFiles.objects,
      day_objects_mb: round(dayFiles.bytes / 1024 ** 2, 2),
      bytes_per_day_object: Math.round(dayFiles.bytes / Math.max(1, dayFiles.objects)),
      rows: summary.rows,
      generate_window_objects_s: round(generateMs / 1000, 1),
      build_day_objects_s: round(buildMs / 1000, 1),
      duckdb_threads: Number(threads),
      year_aggregate_ms: { cdr_4: yearWindows.median_ms, cdr_4_daily: yearDaily.median_ms, cdr_4_first: yearWindows.first_ms, cdr_4_daily_first: yearDaily.first_ms },
      year_aggregate_speedup: yearSpeedup,
      year_aggregate_goal: `≥${SPEEDUP_GOAL}×: ${yearSpeedup >= SPEEDUP_GOAL ? 'met' : 'NOT met'}`,
      one_month_ms: { cdr_4: monthWindows.median_ms, cdr_4_daily: monthDaily.median_ms },
      one_month_speedup: round(monthWindows.median_ms / monthDaily.median_ms, 1),
      answers_identical: `yes (${yearDaily.rows.length} intervals over the year, ${monthDaily.rows.length} day×interval rows in ${MONTH[0].slice(0, 7)})`,
      run_added_ms_one_new_window: oneWindow,
      run_added_ms_backfill_day: backfillDay,
      s3_latency_model_ms: S3_LATENCY_MS,
      touched_days_per_run: steady.touchedDaysPerRun,
      window_gets_per_run: steady.windowGetsPerRun,
      bundle,
      cost_inputs: costInputs,
      cost_lines: Object.fromEntries(dailyCostLines(costInputs).map(([item, arithmetic, usd]) => [item, `${arithmetic}: $${round(usd, 4)}`])),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
