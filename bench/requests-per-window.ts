/**
 * 2. S3 requests and API calls per collected window in steady state (scheduled runs every
 * 5 min), wired as the handler is: with the lease and the day-object refresh. Requests of the
 * refresh itself are counted apart (bench 7 prices them); its checkpoint mark is state.
 * 2c: what the Lambda handler prints per run, and the custom metrics it sends.
 */
import { ALLOWANCE_DEFAULTS, type LambdaConfig } from '../lambda/config.ts';
import { refreshDays } from '../lambda/collector/day-objects.ts';
import { runLive, type EngineDeps } from '../lambda/collector/runs.ts';
import { createHandler } from '../lambda/runtime/collector-handler.ts';
import { lambdaTelemetry } from '../lambda/runtime/telemetry.ts';
import type { LeaseStore } from '../lambda/storage/lease-store.ts';
import { createCdr4Client } from '../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../lambda/wolkvox/token-provider.ts';
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
  private readonly inner: LeaseStore;
  constructor(inner: LeaseStore) {
    this.inner = inner;
  }
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

/**
 * 2c. What the Lambda prints per scheduled run, through createHandler wired as lambda/handler.ts
 * wires it (Powertools Logger and Metrics of lambdaTelemetry, writing to stdout and stderr as in
 * Lambda): log bytes per run, and the hours in which each custom metric was sent (CloudWatch
 * bills a custom metric per hour in which it receives data).
 */
export async function benchHandlerTelemetry(restateAfterMinutes: number, hours = 24) {
  const clock = new ManualClock(instantOfWall('2026-11-10 00:05', baseSettings.timeZone));
  const sim = await startSimulator({ token: BENCH_TOKEN, server: '0032', now: clock.now });
  const token = staticToken(BENCH_TOKEN);
  const config: LambdaConfig = {
    server: baseSettings.operation,
    timeZone: baseSettings.timeZone,
    baseUrl: sim.origin,
    prefix: baseSettings.prefix,
    settleMinutes: baseSettings.settleMinutes,
    requestTimeoutMs: baseSettings.requestTimeoutMs,
    restateAfterMinutes,
    dailyCallCap: undefined,
    verifyAfterMinutes: 240,
    quietFreshnessMinutes: 30,
    ...ALLOWANCE_DEFAULTS,
    tokenSecretId: 'bench',
    bucket: 'bench',
    firstDay: '2026-10-01',
  };
  // Lambda sets a trace id for every invocation and Powertools logs it on every line.
  const saved = process.env._X_AMZN_TRACE_ID;
  process.env._X_AMZN_TRACE_ID = 'Root=1-6745f3a1-0c1d2e3f4a5b6c7d8e9f0a1b;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=1:a2b3c4d5:0';
  const telemetry = lambdaTelemetry(config.server);
  const handler = createHandler({
    config,
    store: new MemoryStore(),
    leases: new MemoryLeaseStore(),
    token,
    client: createCdr4Client({ baseUrl: sim.origin, server: config.server, token, clock: clock.now }),
    ...telemetry,
    clock: clock.now,
    sleep: async () => {},
  });
  const context = { getRemainingTimeInMillis: () => 240_000 };
  const metricsByHour = new Map<number, Set<string>>();
  let bytes = 0;
  let lines = 0;
  let runs = 0;
  try {
    const end = clock.ms + hours * WALL.HOUR_MS;
    while (clock.ms < end) {
      const printed = await printedBy(() => handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context));
      runs += 1;
      bytes += printed.reduce((n, l) => n + Buffer.byteLength(l), 0);
      lines += printed.length;
      const hour = Math.floor(clock.ms / WALL.HOUR_MS);
      const names = metricsByHour.get(hour) ?? new Set<string>();
      for (const line of printed) for (const name of emfMetricNames(line)) names.add(name);
      metricsByHour.set(hour, names);
      clock.advance(5 * WALL.MINUTE_MS);
    }
    const hoursOf: Record<string, number> = {};
    for (const names of metricsByHour.values()) for (const n of names) hoursOf[n] = (hoursOf[n] ?? 0) + 1;
    const perMonth = (h: number) => round((h / metricsByHour.size) * 24 * 30, 1);
    return {
      restate_after_minutes: restateAfterMinutes,
      runs,
      log_lines_per_run: round(lines / runs, 2),
      log_bytes_per_run: Math.round(bytes / runs),
      metric_hours_measured: hoursOf,
      hours_measured: metricsByHour.size,
      metric_hours_per_month: Object.fromEntries(Object.entries(hoursOf).map(([n, h]) => [n, perMonth(h)])),
    };
  } finally {
    if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = saved;
    await sim.close();
  }
}

/** Lines written to stdout and stderr while `run` runs (Powertools writes there, as in Lambda), newline included. */
async function printedBy(run: () => Promise<unknown>): Promise<string[]> {
  const printed: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return printed;
}

/** Metric names of an EMF document; none for any other line. */
function emfMetricNames(line: string): string[] {
  if (!line.includes('"_aws"')) return [];
  const doc = JSON.parse(line) as { _aws?: { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } };
  return (doc._aws?.CloudWatchMetrics ?? []).flatMap((d) => d.Metrics.map((m) => m.Name));
}
