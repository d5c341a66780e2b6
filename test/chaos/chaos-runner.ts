/**
 * Runs simulated days through the real handler (createHandler) against the simulator with
 * injected faults, on a controllable clock, then recovers and measures what a data team
 * cares about. Used by the short chaos test (npm test) and the long soak (npm run soak).
 */
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { ALLOWANCE_DEFAULTS, type LambdaConfig } from '../../lambda/config.ts';
import { labelOf } from '../../lambda/domain/checkpoint.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { checkpointKey, dataKey } from '../../lambda/domain/layout.ts';
import { windowsBetween } from '../../lambda/domain/planner.ts';
import { parseWall, toWallClock, WALL } from '../../lambda/domain/wall-clock.ts';
import { dateEnd, dateIni, WINDOW_MS } from '../../lambda/domain/window.ts';
import { createHandler } from '../../lambda/runtime/collector-handler.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import type { TokenProvider } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Fault } from '../simulator/index.ts';
import { prng } from '../simulator/synthetic-calls.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryStore } from '../support/memory-store.ts';

export interface ChaosOptions {
  readonly days: number;
  /** First simulated day, operation wall clock, YYYY-MM-DD. */
  readonly startDay: string;
  readonly timeZone: string;
  readonly seed: number;
  /** Probability that a request meets a random fault (5xx, hang, bad JSON, concurrency 403). */
  readonly faultRate: number;
  /** Probability that an S3 write fails. */
  readonly writeFailureRate: number;
  /** Probability that a run dies after its data writes, before its checkpoint. */
  readonly killRate: number;
  /** Probability that two invocations overlap. */
  readonly overlapRate: number;
}

export interface ChaosFigures {
  days: number;
  windows_expected: number;
  missing_windows: number;
  mismatched_windows: number;
  simultaneous_requests: number;
  token_leaks: number;
  api_calls: number;
  api_calls_per_window: number;
  runs: number;
  runs_failed: number;
  faults_injected: number;
  write_failures: number;
  kills: number;
  overlaps: number;
  quarantined_then_backfilled: number;
  wall_ms: number;
}

const TOKEN = 'tok-CHAOS-4e5f6a7b8c9d';
const MINUTE = WALL.MINUTE_MS;

/** Requests that started while another one (answered or abandoned) was still open at the server. */
function overlappingRequests(log: ReadonlyArray<{ startedAt: number; endedAt: number }>): number {
  let overlapping = 0;
  let openUntil = 0;
  for (const entry of [...log].sort((a, b) => a.startedAt - b.startedAt)) {
    if (entry.startedAt < openUntil) overlapping += 1;
    openUntil = Math.max(openUntil, entry.endedAt || Number.POSITIVE_INFINITY);
  }
  return overlapping;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  // The same seed gives the same storm.
  const rnd = prng(o.seed);
  const tz = o.timeZone;
  const dayStart = parseWall(`${o.startDay} 00:00`)!;
  const dayEnd = dayStart + o.days * 24 * WALL.HOUR_MS;
  const clock = new ManualClock(instantOfWall(`${o.startDay} 00:10`, tz));
  const counts = { faults: 0, writeFailures: 0, kills: 0, overlaps: 0 };

  // Faults by time: a maintenance half hour each night, the token's daily limit spent for
  // the afternoon of the second day, and one poison window that always answers garbage
  // until an operator backfills it after the storm.
  const poison = labelOf({ startWall: dayStart + 9 * WALL.HOUR_MS + 35 * MINUTE, timeZone: tz });
  let storm = true;
  const sim = await startSimulator({
    token: TOKEN,
    timeZone: tz,
    now: clock.now,
    reportDelayMs: 2 * MINUTE,
    maintenance: (now) => {
      if (!storm) return false;
      const wall = toWallClock(now, tz) % (24 * WALL.HOUR_MS);
      return wall >= 3 * WALL.HOUR_MS && wall < 3 * WALL.HOUR_MS + 30 * MINUTE;
    },
    faultFor: ({ dateIni: ini, nowMs }): Fault | undefined => {
      if (!storm) return undefined;
      if (ini === `${poison.replace(/[-: ]/g, '')}`) return { kind: 'badShape' };
      const wall = toWallClock(nowMs, tz);
      if (o.days > 1 && wall >= dayStart + 24 * WALL.HOUR_MS + 14 * WALL.HOUR_MS && wall < dayStart + 24 * WALL.HOUR_MS + 18 * WALL.HOUR_MS) return { kind: 'tokenLimit' };
      if (rnd() >= o.faultRate) return undefined;
      counts.faults += 1;
      const kinds: Fault[] = [{ kind: 'http500' }, { kind: 'http503' }, { kind: 'badJson' }, { kind: 'hang' }, { kind: 'concurrency' }, { kind: 'maintenance' }];
      return kinds[Math.floor(rnd() * kinds.length)]!;
    },
  });

  const memory = new MemoryStore();
  let killNext = false;
  let wroteData = false;
  const store = {
    put: async (key: string, body: string | Uint8Array, type: string) => {
      if (storm && rnd() < o.writeFailureRate) {
        counts.writeFailures += 1;
        throw new StorageError(`injected S3 failure writing ${key}`);
      }
      // A kill models a run that dies after writing windows and before its checkpoint.
      if (killNext && wroteData && key.includes('/_state/')) {
        killNext = false;
        counts.kills += 1;
        throw new StorageError('injected: run killed before its checkpoint');
      }
      if (key.includes('/cdr_4/')) wroteData = true;
      return memory.put(key, body, type);
    },
    get: (key: string) => memory.get(key),
    getBytes: (key: string) => memory.getBytes(key),
    list: (prefix: string) => memory.list(prefix),
    describe: (key: string) => memory.describe(key),
  };
  const token: TokenProvider = { get: async () => TOKEN, refresh: async () => TOKEN };
  const config: LambdaConfig = {
    server: '0032',
    timeZone: tz,
    baseUrl: sim.origin,
    prefix: 'chaos',
    settleMinutes: 5,
    requestTimeoutMs: 250,
    // Simulated calls last up to an hour and reach the report 2 min after they end.
    restateAfterMinutes: 65,
    dailyCallCap: undefined,
    verifyAfterMinutes: 240,
    quietFreshnessMinutes: 30,
    ...ALLOWANCE_DEFAULTS,
    tokenSecretId: 'unused',
    bucket: 'unused',
    // The operator backfills quarantined windows of the storm: its days are the operation's first.
    firstDay: o.startDay,
  };
  const log = new CaptureLog();
  const errors: string[] = [];
  const handler = createHandler({
    config,
    store,
    leases: new MemoryLeaseStore(),
    token,
    client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }),
    log,
    metrics: Object.assign(new MetricsTally(), { publish: () => {} }),
    clock: clock.now,
    sleep: async () => {},
  });
  const context = { getRemainingTimeInMillis: () => 240_000 };
  const tick = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
  let runs = 0;
  let failed = 0;
  const invoke = async (event: unknown = tick) => {
    runs += 1;
    wroteData = false;
    try {
      return await handler(event, context);
    } catch (e) {
      failed += 1;
      errors.push(`${(e as Error).name}: ${(e as Error).message}`);
      return undefined;
    }
  };

  // The storm: a run every 5 minutes of simulated time, as the schedule does.
  const stormEnd = instantOfWall(`${labelOf({ startWall: dayEnd, timeZone: tz }).slice(0, 10)} 00:10`, tz);
  while (clock.ms < stormEnd) {
    killNext = rnd() < o.killRate;
    if (rnd() < o.overlapRate) {
      counts.overlaps += 1;
      await Promise.all([invoke(), invoke({})]);
    } else {
      await invoke();
    }
    clock.advance(5 * MINUTE);
    // Five minutes pass between runs: let the simulator see sockets the client abandoned.
    await new Promise((r) => setTimeout(r, 1));
  }

  // Recovery: faults end, the operator backfills what was quarantined, runs go on until
  // live, restatement and backfill have all caught up.
  storm = false;
  killNext = false;
  const quarantined: string[] = JSON.parse((await memory.get(checkpointKey('chaos', '0032'))) ?? '{"quarantined":[]}').quarantined;
  for (const label of quarantined) {
    const from = parseWall(label)!;
    await invoke({ backfill: { from: label.slice(0, 16), to: labelOf({ startWall: from + WINDOW_MS, timeZone: tz }).slice(0, 16) } });
  }
  for (let i = 0; i < 40; i += 1) {
    clock.advance(5 * MINUTE);
    const r = await invoke();
    const cp = JSON.parse((await memory.get(checkpointKey('chaos', '0032')))!);
    if (r && r.windowsBehind === 0 && r.backfillRemaining === 0 && cp.restate_next && parseWall(cp.restate_next)! >= dayEnd) break;
  }

  // Measure.
  const windows = windowsBetween({ startWall: dayStart, timeZone: tz }, dayEnd);
  let missing = 0;
  let mismatched = 0;
  for (const w of windows) {
    const body = await memory.get(dataKey('chaos', '0032', w));
    if (body === null) {
      missing += 1;
      continue;
    }
    const stored: Record<string, number> = {};
    for (const line of body.split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as { interval: string; calls: number | null };
      stored[row.interval] = (stored[row.interval] ?? 0) + (row.calls ?? 0);
    }
    const truth = sim.trueTotals(dateIni(w), dateEnd(w));
    if (Object.entries(truth).some(([k, t]) => (stored[k] ?? 0) !== t.calls)) mismatched += 1;
  }
  const texts = [...memory.objects.values(), ...log.lines, ...errors];
  const figures: ChaosFigures = {
    days: o.days,
    windows_expected: windows.length,
    missing_windows: missing,
    mismatched_windows: mismatched,
    simultaneous_requests: overlappingRequests(sim.stats.log) + sim.stats.rejectedConcurrent,
    token_leaks: texts.filter((t) => t.includes(TOKEN)).length,
    api_calls: sim.stats.requests,
    api_calls_per_window: Number((sim.stats.requests / windows.length).toFixed(3)),
    runs,
    runs_failed: failed,
    faults_injected: counts.faults,
    write_failures: counts.writeFailures,
    kills: counts.kills,
    overlaps: counts.overlaps,
    quarantined_then_backfilled: quarantined.length,
    wall_ms: Date.now() - started,
  };
  await sim.close();
  return figures;
}
