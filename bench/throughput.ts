/** 1. Backfill throughput at the token limit: API latency L, S3 write latency W. */
import { runRange } from '../lambda/collector/runs.ts';
import { parseWall } from '../lambda/domain/wall-clock.ts';
import { WINDOW_MS } from '../lambda/domain/window.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { MemoryStore } from '../test/support/memory-store.ts';
import { BENCH_TOKEN, baseSettings, benchDeps } from './collector-deps.ts';
import { MeasuredStore } from './delayed-store.ts';
import { median, round } from './stats.ts';

export async function benchThroughput(latencyMs = 100, writeMs = 40, windows = 60, repeats = 3) {
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', latencyMs });
  const rates: number[] = [];
  try {
    const from = parseWall('2026-11-01 08:00')!;
    // Warm-up: JIT, sockets, the simulator's caches.
    await runRange(benchDeps(sim.origin, new MeasuredStore(new MemoryStore(), writeMs)), baseSettings, from, from + 10 * WINDOW_MS);
    for (let i = 0; i < repeats; i += 1) {
      const start = from + (i + 1) * windows * WINDOW_MS;
      const t0 = performance.now();
      const report = await runRange(benchDeps(sim.origin, new MeasuredStore(new MemoryStore(), writeMs)), baseSettings, start, start + windows * WINDOW_MS);
      const seconds = (performance.now() - t0) / 1000;
      if (report.collected.count !== windows) throw new Error(`throughput run collected ${report.collected.count} of ${windows}`);
      rates.push(windows / seconds);
    }
    const rate = median(rates);
    return { latency_ms: latencyMs, write_ms: writeMs, windows_per_run: windows, runs: repeats, windows_per_second: round(rate), ratio_to_1_over_L: round(rate * (latencyMs / 1000), 3), max_in_flight: sim.stats.maxInFlight };
  } finally {
    await sim.close();
  }
}
