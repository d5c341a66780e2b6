/**
 * 5. Freshness: runs at every 5-minute mark (the stack's cron(0/5 * * * ? *)) against a
 * simulator answering in `latencyMs`; for each window, the time from its due moment
 * (end + settle) to its data object being stored, and whether the first run after the
 * due moment collected it. Simulated time advances between runs; within a run it is real.
 */
import { runLive } from '../lambda/collector/runs.ts';
import { windowEndInstant, type Window } from '../lambda/domain/window.ts';
import { WALL } from '../lambda/domain/wall-clock.ts';
import { dataKey } from '../lambda/domain/layout.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { instantOfWall } from '../test/support/clock.ts';
import { MemoryStore } from '../test/support/memory-store.ts';
import { BENCH_TOKEN, baseSettings, benchDeps } from './collector-deps.ts';
import { MeasuredStore } from './delayed-store.ts';
import { median, round } from './stats.ts';
import { CaptureLog } from '../test/support/capture-log.ts';

export async function benchFreshness(latencyMs = 100, writeMs = 40, hours = 6) {
  let simBase = instantOfWall('2026-11-12 00:05', baseSettings.timeZone);
  let realBase = performance.now();
  const clock = () => simBase + (performance.now() - realBase);
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', latencyMs, now: clock });
  const memory = new MemoryStore();
  const store = new MeasuredStore(memory, writeMs);
  const writtenAt = new Map<string, number>();
  const put = store.put.bind(store);
  store.put = async (key, body, type) => {
    await put(key, body, type);
    writtenAt.set(key, clock());
  };
  const log = new CaptureLog();
  const deps = benchDeps(sim.origin, store, clock, log);
  const lags: number[] = [];
  const runMs: number[] = [];
  let late = 0;
  let logBytes = 0;
  try {
    for (let i = 0; i < (hours * 60) / 5; i += 1) {
      const runStart = clock();
      const linesBefore = log.lines.length;
      const collected: Window[] = [];
      await runLive(deps, { ...baseSettings, restateAfterMinutes: 0, onCollected: (c) => collected.push(c.window) });
      runMs.push(clock() - runStart);
      logBytes += log.lines.slice(linesBefore).reduce((n, l) => n + l.length + 1, 0);
      for (const window of collected) {
        const due = windowEndInstant(window) + baseSettings.settleMinutes * WALL.MINUTE_MS;
        const written = writtenAt.get(dataKey(baseSettings.prefix, baseSettings.operation, window))!;
        lags.push(written - due);
        // Collected in the first run at or after its due moment?
        if (runStart - due >= 5 * WALL.MINUTE_MS) late += 1;
      }
      // Next tick of the schedule: the next 5-minute mark of simulated time.
      simBase = Math.ceil((clock() + 1) / (5 * WALL.MINUTE_MS)) * 5 * WALL.MINUTE_MS;
      realBase = performance.now();
    }
    return {
      latency_ms: latencyMs,
      write_ms: writeMs,
      windows: lags.length,
      due_to_written_median_ms: round(median(lags), 0),
      due_to_written_max_ms: round(Math.max(...lags), 0),
      collected_after_first_run_due: late,
      run_duration_median_ms: round(median(runMs), 0),
      // The engine's own lines only; what the Lambda prints per run (cost) is measured in 2c.
      engine_log_bytes_per_run: Math.round(logBytes / runMs.length),
    };
  } finally {
    await sim.close();
  }
}
