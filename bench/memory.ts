/** 4. Peak RSS of a local backfill of 1 day and 30 days (the collector in a child process, the simulator here). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bundleLikeLambda } from './bundle-like-lambda.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { BENCH_TOKEN } from './collector-deps.ts';
import { round } from './stats.ts';

const OUT_DIR = join(new URL('../', import.meta.url).pathname, '.tmp', 'bench-memory');
const CHILD = join(OUT_DIR, 'child.mjs');
const FETCH_CHILD = join(OUT_DIR, 'fetch-child.mjs');

/** Bundled like the Lambda, run by plain node: the figure is the collector's, not a TypeScript loader's. */
async function buildChild(entry: string, outfile: string): Promise<void> {
  await bundleLikeLambda(new URL(entry, import.meta.url).pathname, outfile);
}

/**
 * `npm start` runs node with this flag (package.json): V8 otherwise grows the young
 * generation to tens of MB during a long backfill although the live heap stays ~10 MB.
 */
export const START_NODE_FLAGS = ['--max-semi-space-size=1'];

function runChild(origin: string, days: number, nodeFlags: readonly string[], child = CHILD): Promise<{ windows: number; peak_rss_kb: number; rss_mb_by_day: number[]; heap_mb_after_gc_by_day?: number[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeFlags, child, origin, String(days)], { env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`memory child failed: ${err}`))));
  });
}

export async function benchMemory() {
  await buildChild('./memory-child.ts', CHILD);
  await buildChild('./memory-fetch-child.ts', FETCH_CHILD);
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032' });
  try {
    const oneDay = await runChild(sim.origin, 1, START_NODE_FLAGS);
    const thirtyDays = await runChild(sim.origin, 30, START_NODE_FLAGS);
    const thirtyDaysDefaultFlags = await runChild(sim.origin, 30, []);
    const bareHttp = await runChild(sim.origin, 30, START_NODE_FLAGS, FETCH_CHILD);
    const heap = (await runChild(sim.origin, 30, [...START_NODE_FLAGS, '--expose-gc'])).heap_mb_after_gc_by_day ?? [];
    const daily = thirtyDays.rss_mb_by_day;
    return {
      node_flags: START_NODE_FLAGS.join(' '),
      windows_1_day: oneDay.windows,
      peak_rss_mb_1_day: round(oneDay.peak_rss_kb / 1024, 1),
      windows_30_days: thirtyDays.windows,
      peak_rss_mb_30_days: round(thirtyDays.peak_rss_kb / 1024, 1),
      rss_mb_end_of_days_1_10_20_30: [daily[0], daily[9], daily[19], daily[29]].join(' / '),
      live_heap_mb_after_gc_day_1_vs_day_30: `${heap[0]} -> ${heap.at(-1)}`,
      peak_rss_mb_30_days_default_node_flags: round(thirtyDaysDefaultFlags.peak_rss_kb / 1024, 1),
      // The client's HTTP transport alone, for the same number of calls: the floor under the collector's figure.
      bare_http_rss_mb_end_of_day_1_vs_day_30: `${bareHttp.rss_mb_by_day[0]} -> ${bareHttp.rss_mb_by_day.at(-1)}`,
      bare_http_peak_rss_mb_30_days: round(bareHttp.peak_rss_kb / 1024, 1),
    };
  } finally {
    await sim.close();
  }
}
