/**
 * 2. S3 requests and API calls per collected window in steady state (scheduled runs every
 * 5 min), wired as the handler is: with the lease and the day-object refresh. Requests of the
 * refresh itself are counted apart (bench 7 prices them); its checkpoint mark is state.
 */
import { refreshDays } from '../lambda/collector/day-objects.ts';
import { runLive, type EngineDeps } from '../lambda/collector/runs.ts';
import type { LeaseStore } from '../lambda/storage/lease-store.ts';
import { MemoryLeaseStore } from '../test/support/memory-lease-store.ts';
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
  const memory = new MemoryStore();
  const store = new MeasuredStore(memory);
  const refreshStore = new MeasuredStore(memory);
  const leases = new CountedLeases(new MemoryLeaseStore());
  try {
    const deps: EngineDeps = {
      ...benchDeps(sim.origin, store, clock.now),
      leases,
      holder: { kind: 'lambda', host: 'bench', pid: 1, run: 'bench' },
      refreshDays: (days) => refreshDays(refreshStore, { prefix: baseSettings.prefix, operation: baseSettings.operation }, days),
    };
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
    // State: checkpoint saves (progress, day marks) and the lease (take, give back).
    const checkpointPuts = store.putKeys.filter((k) => k.includes('/_state/')).length + leases.writes;
    const objectPuts = store.puts - store.putKeys.filter((k) => k.includes('/_state/')).length;
    return {
      restate_after_minutes: restateAfterMinutes,
      runs,
      windows_collected: windows,
      windows_restated: restated,
      s3_puts_per_window: round(objectPuts / windows, 3),
      checkpoint_puts_per_run: round(checkpointPuts / runs, 3),
      s3_gets_per_run: round((store.gets + leases.reads) / runs, 3),
      s3_lists_per_run: round(store.lists / runs, 3),
      day_refresh_requests_per_run: round((refreshStore.puts + refreshStore.gets + refreshStore.lists) / runs, 3),
      api_calls_per_window: round(apiCalls / windows, 3),
      bytes_per_window: Math.round(store.bytes / windows),
    };
  } finally {
    await sim.close();
  }
}

/** Counts the lease's S3 requests (a GET and a conditional PUT to take it, the same to give it back). */
class CountedLeases implements LeaseStore {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: LeaseStore) {}
  getVersioned(key: string) {
    this.reads += 1;
    return this.inner.getVersioned(key);
  }
  createIfAbsent(key: string, body: string, type: string) {
    this.writes += 1;
    return this.inner.createIfAbsent(key, body, type);
  }
  replaceIfMatch(key: string, body: string, type: string, version: string) {
    this.writes += 1;
    return this.inner.replaceIfMatch(key, body, type, version);
  }
  describe(key: string) {
    return this.inner.describe(key);
  }
}
