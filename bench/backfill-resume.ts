/**
 * Ranges as resumable jobs, measured as a user meets them: API calls per window when a
 * 2-day range is interrupted and rerun, and when one day's range is rerun through faults
 * (5% 5xx, 1% bad JSON, 0.5% hangs, a maintenance half hour failing 70% of calls) until it
 * exits 0. The bounds: 1.1 and 1.4 calls per window. Simulated time, fixed seeds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toWallClock, WALL } from '../lambda/domain/wall-clock.ts';
import { EXIT, runCli } from '../lambda/local/run-cli.ts';
import { startSimulator, type Fault } from '../test/simulator/index.ts';
import { instantOfWall, ManualClock } from '../test/support/clock.ts';
import { prng } from '../test/simulator/synthetic-calls.ts';

const TZ = 'America/Bogota';
const TOKEN = 'bench-token-0001';


async function scenario(start: string, faults: ((clock: ManualClock) => (nowMs: number) => Fault | undefined) | undefined, act: (cli: (argv: string[], stopAfterCalls?: number) => Promise<number>, calls: () => number) => Promise<number[]>) {
  const clock = new ManualClock(instantOfWall(start, TZ));
  const hook = faults?.(clock);
  const sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, faultFor: ({ nowMs }) => hook?.(nowMs) });
  const out = mkdtempSync(join(tmpdir(), 'bench-range-'));
  let waitedMs = 0;
  const env = { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin, WOLKVOX_REQUEST_TIMEOUT_MS: '1000' };
  const io = { stdout: () => {}, stderr: () => {} };
  const cli = (argv: string[], stopAfterCalls?: number) =>
    runCli([...argv, '--out', out], {
      env,
      io,
      clock: clock.now,
      sleep: async (ms) => {
        waitedMs += ms;
        clock.advance(ms);
      },
      ...(stopAfterCalls ? { shouldStop: () => sim.stats.requests >= stopAfterCalls } : {}),
    });
  try {
    const codes = await act(cli, () => sim.stats.requests);
    return { codes, calls: sim.stats.requests, waitedMs };
  } finally {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchBackfillResume() {
  const twoDays = ['--from', '2026-11-20 00:00', '--to', '2026-11-22 00:00'];
  const resumed = await scenario('2026-11-25 12:00', undefined, async (cli) => {
    return [await cli(twoDays, 200), await cli(twoDays)];
  });
  let thirdRunCalls = Number.NaN;
  await scenario('2026-11-25 12:00', undefined, async (cli, calls) => {
    const codes = [await cli(twoDays)];
    const before = calls();
    codes.push(await cli(twoDays));
    thirdRunCalls = calls() - before;
    return codes;
  });

  const faulty = await scenario(
    '2026-11-25 02:50',
    (clock) => {
      const rnd = prng(11);
      return (nowMs) => {
        clock.advance(2_000);
        const wall = toWallClock(nowMs, TZ) % (24 * WALL.HOUR_MS);
        if (wall >= 3 * WALL.HOUR_MS && wall < 3.5 * WALL.HOUR_MS && rnd() < 0.7) return { kind: 'maintenance' };
        const r = rnd();
        return r < 0.05 ? { kind: 'http503' } : r < 0.06 ? { kind: 'badJson' } : r < 0.065 ? { kind: 'hang' } : undefined;
      };
    },
    async (cli) => {
      const codes: number[] = [];
      for (let i = 0; i < 10 && codes.at(-1) !== EXIT.ok; i += 1) codes.push(await cli(['--from', '2026-11-20 00:00', '--to', '2026-11-21 00:00']));
      return codes;
    },
  );
  return {
    interrupted_2_days_exit_codes: resumed.codes.join(','),
    interrupted_2_days_calls_per_window: Number((resumed.calls / 576).toFixed(3)),
    interrupted_2_days_bound_1_1_met: resumed.calls <= 1.1 * 576,
    finished_range_rerun_api_calls: thirdRunCalls,
    faulty_day_runs_until_exit_0: faulty.codes.length,
    faulty_day_exit_codes: faulty.codes.join(','),
    faulty_day_calls_per_window: Number((faulty.calls / 288).toFixed(3)),
    faulty_day_bound_1_4_met: faulty.calls <= 1.4 * 288,
    faulty_day_simulated_wait_min: Number((faulty.waitedMs / 60_000).toFixed(1)),
  };
}
