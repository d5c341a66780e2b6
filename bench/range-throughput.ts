/**
 * 10. The token kept busy during a range over busy windows (issue 14): API calls per second
 * end to end against 1/L, for the CLI as a user runs it (a child process, a folder) and for
 * the Lambda's setting (a backfill worked by scheduled runs, S3 latency modelled). Where the
 * time goes is read from the simulator's own request log: before the first call, between
 * calls, after the last one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshDays } from '../lambda/collector/day-objects.ts';
import { runLive, type EngineDeps } from '../lambda/collector/runs.ts';
import { parseWall, WALL } from '../lambda/domain/wall-clock.ts';
import { startSimulator, type Simulator } from '../test/simulator/index.ts';
import { instantOfWall, ManualClock } from '../test/support/clock.ts';
import { MemoryLeaseStore } from '../test/support/memory-lease-store.ts';
import { MemoryStore } from '../test/support/memory-store.ts';
import { nodeArgsOf } from '../test/support/npm-script.ts';
import { BENCH_TOKEN, baseSettings, benchDeps } from './collector-deps.ts';
import { MeasuredStore } from './delayed-store.ts';
import { round } from './stats.ts';

export const L = 100;
/** A day of the busy operation: busy 07:00-20:00, lighter calls around the clock. */
export const FROM = '2026-11-18 00:00';
export const TO = '2026-11-19 00:00';

/** Where the time of one run went, from the simulator's log (real ms). */
export function split(sim: Simulator, started: number, ended: number) {
  const log = sim.stats.log;
  const first = log[0]!.startedAt;
  const last = log[log.length - 1]!.endedAt;
  const inCalls = log.reduce((n, e) => n + (e.endedAt - e.startedAt), 0);
  const calls = log.length;
  const seconds = (ended - started) / 1000;
  const gaps = log.slice(1).map((e, i) => e.startedAt - log[i]!.endedAt).sort((a, b) => a - b);
  const big = gaps.filter((g) => g >= 10);
  return {
    api_calls: calls,
    seconds: round(seconds, 2),
    calls_per_second: round(calls / seconds, 2),
    ratio_to_1_over_L: round((calls / seconds) * (L / 1000), 3),
    before_first_call_ms: Math.round(first - started),
    between_calls_ms: Math.round(last - first - inCalls),
    in_call_ms_per_call: round(inCalls / Math.max(1, calls), 2),
    between_calls_ms_per_call: round((last - first - inCalls) / Math.max(1, calls - 1), 2),
    between_calls_median_ms: gaps[Math.floor(gaps.length / 2)] ?? 0,
    between_calls_of_10ms_or_more: { count: big.length, total_ms: big.reduce((n, g) => n + g, 0) },
    after_last_call_ms: Math.round(ended - last),
  };
}

export async function benchRangeThroughput() {
  return { cli_folder: await cliFolder(), lambda_s3_model: await lambdaSetting() };
}

/** `npm start -- --from … --to … --out DIR` as a child process, from spawn to exit. */
async function cliFolder() {
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', latencyMs: L, traffic: { kind: 'busy' } });
  const out = mkdtempSync(join(tmpdir(), 'bench-throughput-'));
  try {
    const cli = (args: string[]) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [...nodeArgsOf('start'), ...args], {
          env: { ...process.env, WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: BENCH_TOKEN, WOLKVOX_BASE_URL: sim.origin },
          stdio: 'ignore',
        });
        child.on('error', reject);
        child.on('exit', (c) => resolve(c ?? -1));
      });
    // Not the first run after an install or an edit: Node's compile cache is warm, as it is for a user's second command.
    if ((await cli(['--help'])) !== 0) throw new Error('npm start -- --help failed');
    const started = Date.now();
    const code = await cli(['--from', FROM, '--to', TO, '--out', out]);
    const ended = Date.now();
    if (code !== 0) throw new Error(`the range exited ${code}`);
    return split(sim, started, ended);
  } finally {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  }
}

/** A Lambda backfill of the same hours: one invocation's work, S3 modelled (PUT 40 ms, GET/LIST 20 ms). */
async function lambdaSetting() {
  const clock = new ManualClock(instantOfWall('2026-11-25 12:00', baseSettings.timeZone));
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', latencyMs: L, traffic: { kind: 'busy' }, now: clock.now });
  try {
    const store = new MeasuredStore(new MemoryStore(), 40, 20);
    const deps: EngineDeps = {
      ...benchDeps(sim.origin, store, clock.now),
      leases: new MemoryLeaseStore(),
      holder: { kind: 'lambda', host: 'bench', pid: 1, run: 'bench' },
      refreshDays: (days) => refreshDays(store, { prefix: baseSettings.prefix, operation: baseSettings.operation }, days),
    };
    // The live windows of "now" first, so the run measured does only the backfill.
    await runLive(deps, { ...baseSettings });
    clock.advance(5 * WALL.MINUTE_MS);
    sim.stats.log.length = 0;
    const started = Date.now();
    const report = await runLive(deps, { ...baseSettings, backfill: { fromWall: parseWall(`${FROM}:00`)!, toWall: parseWall(`${TO}:00`)! } });
    const ended = Date.now();
    if (report.backfillRemaining !== 0) throw new Error(`backfill left ${report.backfillRemaining}`);
    return split(sim, started, ended);
  } finally {
    await sim.close();
  }
}
