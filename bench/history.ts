/**
 * 11. A year of history on one machine (issue 20): what a run costs on stores of 0, 1 and 12
 * months (a one-window scheduled run, a finished range run again), and `npm run query`'s
 * peak memory for a year's SELECT * as CSV. Every command is the CLI as package.json starts
 * it, a child process timed from spawn to exit; the simulator answers here, on loopback.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { labelOf, serializeCheckpoint } from '../lambda/domain/checkpoint.ts';
import { checkpointKey } from '../lambda/domain/layout.ts';
import { latestDueWindow } from '../lambda/domain/planner.ts';
import { formatDate, toWallClock } from '../lambda/domain/wall-clock.ts';
import { JSON_TYPE } from '../lambda/storage/object-store.ts';
import { startSimulator, type Simulator } from '../test/simulator/index.ts';
import { blankCheckpoint } from '../test/support/checkpoint.ts';
import { dayWindows } from '../test/support/window-objects.ts';
import { nodeArgsOf } from '../test/support/npm-script.ts';
import { BENCH_TOKEN } from './collector-deps.ts';
import { daysBefore, writeHistory, type HistoryStore } from './history-store.ts';
import { median, round } from './stats.ts';

const TZ = 'America/Bogota';
const OPERATION = '0032';
const PREFIX = 'wolkvox';
const REPS = 5;
const PEAK_RSS_HOOK = new URL('./peak-rss.ts', import.meta.url).pathname;

interface Ran {
  readonly code: number | null;
  readonly ms: number;
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
  readonly stderr: string;
}

/** `node <script's args> <args>` from spawn to exit; stdout counted, not kept (a year of CSV is 90 MB). */
function timedRun(nodeArgs: readonly string[], args: readonly string[], env: Record<string, string>): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stdoutLines = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      for (const b of d) if (b === 10) stdoutLines += 1;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, ms: performance.now() - started, stdoutBytes, stdoutLines, stderr }));
  });
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The range over one day, and the scheduled run with exactly one window due, on one store. */
function runsOn(sim: Simulator, history: HistoryStore, rangeDay: string) {
  const env = { WOLKVOX_SERVER: OPERATION, WOLKVOX_TOKEN: BENCH_TOKEN, WOLKVOX_BASE_URL: sim.origin, DATA_PREFIX: PREFIX };
  const start = nodeArgsOf('start');
  const liveFrom = history.days[0] ? labelOf(dayWindows(history.days[0], TZ)[0]!) : null;
  const counted = async (args: readonly string[], what: string) => {
    const before = sim.stats.requests;
    const r = await timedRun(start, args, env);
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr}`);
    return { ms: r.ms, calls: sim.stats.requests - before };
  };
  return {
    range: () => counted(['--from', `${rangeDay} 00:00`, '--to', `${nextDay(rangeDay)} 00:00`, '--out', history.out], 'the range'),
    scheduled: async () => {
      // The cursor on the latest due window: this run has that one window to collect.
      const due = latestDueWindow(Date.now(), TZ, 5);
      await history.store.put(checkpointKey(PREFIX, OPERATION), serializeCheckpoint(blankCheckpoint(OPERATION, TZ, { next_window: labelOf(due), live_from: liveFrom })), JSON_TYPE);
      return counted(['--out', history.out], 'the scheduled run');
    },
  };
}

/** `npm run query -- --format csv "SELECT * FROM cdr_4"` over the store: rows, time and the process's peak RSS. */
async function yearQuery(history: HistoryStore, format: 'csv' | 'table') {
  const [flags, script] = [nodeArgsOf('query').slice(0, -1), nodeArgsOf('query').at(-1)!];
  const r = await timedRun([...flags, '--import', PEAK_RSS_HOOK, script], ['--out', history.out, '--format', format, 'SELECT * FROM cdr_4'], {});
  if (r.code !== 0) throw new Error(`the query exited ${r.code}: ${r.stderr}`);
  const peak = Number(/peak_rss_kb=(\d+)/.exec(r.stderr)?.[1]);
  return { seconds: round(r.ms / 1000, 1), peak_rss_mb: round(peak / 1024, 0), stdout_mb: round(r.stdoutBytes / 1048576, 1), lines: r.stdoutLines };
}

export async function benchHistory() {
  const sim = await startSimulator({ token: BENCH_TOKEN, server: OPERATION, timeZone: TZ });
  // A day a few days back: ended, past VERIFY_AFTER_MINUTES; the last day of every store's history.
  const rangeDay = formatDate(toWallClock(Date.now(), TZ) - 3 * 86_400_000);
  const sizes = [['0_months', 1], ['1_month', 31], ['12_months', 366]] as const;
  const stores: HistoryStore[] = [];
  try {
    const written: Record<string, number> = {};
    for (const [name, days] of sizes) {
      const t0 = performance.now();
      stores.push(await writeHistory(daysBefore(nextDay(rangeDay), days), { operation: OPERATION, prefix: PREFIX, timeZone: TZ }));
      written[name] = round((performance.now() - t0) / 1000, 0);
    }
    // The writes of a year reach the disk before anything is timed.
    try {
      execFileSync('sync');
    } catch {
      // Not every system has sync(1): the timings then carry some writeback.
    }
    const runs = stores.map((h) => runsOn(sim, h, rangeDay));
    // Run once first: the range's day is levelled and verified, as a finished range's is.
    for (const r of runs) await r.range();
    // Repetitions go round the stores, so that whatever else the machine does falls on each alike.
    const times = runs.map(() => ({ rerun: [] as number[], rerunCalls: 0, scheduled: [] as number[], scheduledCalls: [] as number[] }));
    for (let i = 0; i < REPS; i += 1) {
      for (const [k, r] of runs.entries()) {
        const rerun = await r.range();
        const scheduled = await r.scheduled();
        times[k]!.rerun.push(rerun.ms);
        times[k]!.rerunCalls += rerun.calls;
        times[k]!.scheduled.push(scheduled.ms);
        times[k]!.scheduledCalls.push(scheduled.calls);
      }
    }
    const figures: Record<string, unknown> = { range_day: rangeDay, repetitions: REPS };
    for (const [k, [name]] of sizes.entries()) {
      const t = times[k]!;
      figures[name] = { windows: stores[k]!.windows, scheduled_one_window_ms: round(median(t.scheduled), 0), scheduled_api_calls: t.scheduledCalls.join('/'), finished_range_rerun_ms: round(median(t.rerun), 0), finished_range_rerun_api_calls: t.rerunCalls, store_written_in_s: written[name] };
    }
    const ratio = (pick: (t: (typeof times)[number]) => number[]) => round(median(pick(times[2]!)) / median(pick(times[0]!)), 2);
    figures.ratio_12_months_to_empty = { scheduled_one_window: ratio((t) => t.scheduled), finished_range_rerun: ratio((t) => t.rerun) };
    figures.year_select_star_csv = await yearQuery(stores[2]!, 'csv');
    figures.year_select_star_table = await yearQuery(stores[2]!, 'table');
    return figures;
  } finally {
    await sim.close();
    await Promise.all(stores.map((s) => rm(s.out, { recursive: true, force: true })));
  }
}
