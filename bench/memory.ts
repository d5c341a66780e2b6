/** 4. Peak RSS of a local backfill of 1 day and 30 days (the collector in a child process, the simulator here). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE, ESM_REQUIRE_BANNER } from '../infra/bundling.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { BENCH_TOKEN } from './collector-deps.ts';
import { round } from './stats.ts';

const CHILD = join(new URL('../', import.meta.url).pathname, '.tmp', 'bench-memory', 'child.mjs');

/** Bundled like the Lambda, run by plain node: the figure is the collector's, not a TypeScript loader's. */
async function buildChild(): Promise<void> {
  await build({
    entryPoints: [new URL('./memory-child.ts', import.meta.url).pathname],
    outfile: CHILD,
    bundle: true,
    ...BUNDLE,
    mainFields: [...BUNDLE.mainFields],
    external: [...BUNDLE.external],
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  });
}

/**
 * `npm start` runs node with this flag (package.json): V8 otherwise grows the young
 * generation to tens of MB during a long backfill although the live heap stays ~10 MB.
 */
export const START_NODE_FLAGS = ['--max-semi-space-size=1'];

function runChild(origin: string, days: number, nodeFlags: readonly string[]): Promise<{ windows: number; peak_rss_kb: number; rss_mb_by_day: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, CHILD, origin, String(days)], { env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`memory child failed: ${err}`))));
  });
}

export async function benchMemory() {
  await buildChild();
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032' });
  try {
    const oneDay = await runChild(sim.origin, 1, START_NODE_FLAGS);
    const thirtyDays = await runChild(sim.origin, 30, START_NODE_FLAGS);
    const thirtyDaysDefaultFlags = await runChild(sim.origin, 30, []);
    const daily = thirtyDays.rss_mb_by_day;
    return {
      node_flags: START_NODE_FLAGS.join(' '),
      windows_1_day: oneDay.windows,
      peak_rss_mb_1_day: round(oneDay.peak_rss_kb / 1024, 1),
      windows_30_days: thirtyDays.windows,
      peak_rss_mb_30_days: round(thirtyDays.peak_rss_kb / 1024, 1),
      rss_mb_end_of_day_1_vs_day_30: `${daily[0]} -> ${daily[daily.length - 1]}`,
      peak_rss_mb_30_days_default_node_flags: round(thirtyDaysDefaultFlags.peak_rss_kb / 1024, 1),
    };
  } finally {
    await sim.close();
  }
}
