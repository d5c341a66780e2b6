/** 2. S3 requests and API calls per collected window in steady state (scheduled runs every 5 min). */
import { runLive } from '../lambda/collector/runs.ts';
import { WALL } from '../lambda/domain/wall-clock.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { instantOfWall, ManualClock } from '../test/support/clock.ts';
import { MemoryStore } from '../test/support/memory-store.ts';
import { BENCH_TOKEN, baseSettings, benchDeps } from './collector-deps.ts';
import { MeasuredStore } from './delayed-store.ts';
import { round } from './stats.ts';

export async function benchRequestsPerWindow(restateAfterMinutes: number, hours = 24) {
  const clock = new ManualClock(instantOfWall('2026-11-10 00:05', baseSettings.timeZone));
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', now: clock.now });
  const store = new MeasuredStore(new MemoryStore());
  try {
    const deps = benchDeps(sim.origin, store, clock.now);
    let runs = 0;
    let windows = 0;
    let restated = 0;
    let apiCalls = 0;
    const end = clock.ms + hours * WALL.HOUR_MS;
    while (clock.ms < end) {
      const r = await runLive(deps, { ...baseSettings, restateAfterMinutes });
      runs += 1;
      windows += r.collected.count;
      restated += r.restated;
      apiCalls += r.apiCalls;
      clock.advance(5 * WALL.MINUTE_MS);
    }
    const checkpointPuts = store.putKeys.filter((k) => k.includes('/_state/')).length;
    const objectPuts = store.puts - checkpointPuts;
    return {
      restate_after_minutes: restateAfterMinutes,
      runs,
      windows_collected: windows,
      windows_restated: restated,
      s3_puts_per_window: round(objectPuts / windows, 3),
      checkpoint_puts_per_run: round(checkpointPuts / runs, 3),
      s3_gets_per_run: round(store.gets / runs, 3),
      api_calls_per_window: round(apiCalls / windows, 3),
      bytes_per_window: Math.round(store.bytes / windows),
    };
  } finally {
    await sim.close();
  }
}
