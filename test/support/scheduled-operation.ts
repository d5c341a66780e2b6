/**
 * Drives the scheduled path (a run every 5 minutes) or a range against the simulator with a
 * traffic profile, on a hand-moved clock, and reads back what a user would check: the API
 * calls the simulator logged per day, each window stored against the simulator's truth, and
 * the day's verification rows. Shared by the verification tests and bench 9.
 */
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { runLive, runRange, type EngineDeps, type LiveRunSettings, type RunReport } from '../../lambda/collector/runs.ts';
import { decodeDay } from '../../lambda/domain/daily-parquet.ts';
import { dailyKey, DATA_TABLE, dayPrefix, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';
import { daySpan, spanDates, spanOf, windowsOf } from '../../lambda/domain/span.ts';
import { formatVendor, parseWall, WALL } from '../../lambda/domain/wall-clock.ts';
import type { Window } from '../../lambda/domain/window.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from './clock.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';
import { MemoryStore } from './memory-store.ts';

export const OP = {
  operation: '0032',
  prefix: 'wolkvox',
  timeZone: 'America/Bogota',
  settleMinutes: 5,
  requestTimeoutMs: 30_000,
  deadline: Number.POSITIVE_INFINITY,
} as const;

const TOKEN = 'tok-SCHEDULED-0c1d2e';

export interface Operation {
  readonly sim: Simulator;
  readonly clock: ManualClock;
  readonly store: MemoryStore;
  readonly deps: EngineDeps;
  close(): Promise<void>;
}

export async function openOperation(startWall: string, simOptions: Omit<SimulatorOptions, 'token' | 'now' | 'timeZone'> = {}, deps: Partial<EngineDeps> = {}): Promise<Operation> {
  const clock = new ManualClock(instantOfWall(startWall, OP.timeZone));
  const sim = await startSimulator({ ...simOptions, token: TOKEN, server: OP.operation, timeZone: OP.timeZone, now: clock.now });
  const store = new MemoryStore();
  const token = staticToken(TOKEN);
  const engine: EngineDeps = {
    client: createCdr4Client({ baseUrl: sim.origin, server: OP.operation, token, clock: clock.now }),
    token,
    store,
    log: silentLog,
    metrics: new MetricsTally(),
    clock: clock.now,
    sleep: async (ms) => clock.advance(ms),
    leases: new MemoryLeaseStore(),
    holder: { kind: 'lambda', host: 'test', pid: 1, run: 'scheduled' },
    refreshDays: (days) => refreshDays(store, { prefix: OP.prefix, operation: OP.operation }, days),
    ...deps,
  };
  return { sim, clock, store, deps: engine, close: () => sim.close() };
}

/** Scheduled runs every 5 minutes until `untilWall` (exclusive); the reports, in order. */
export async function runScheduleUntil(op: Operation, untilWall: string, settings: Partial<LiveRunSettings> = {}): Promise<RunReport[]> {
  const until = instantOfWall(untilWall, OP.timeZone);
  const reports: RunReport[] = [];
  while (op.clock.ms < until) {
    const started = op.clock.ms;
    reports.push(await runLive(op.deps, { ...OP, ...settings }));
    // The schedule fires every 5 minutes whatever a run took (its sleeps moved the clock).
    op.clock.set(Math.max(op.clock.ms, started + 5 * WALL.MINUTE_MS));
  }
  return reports;
}

export async function runRangeOnce(op: Operation, fromWall: string, toWall: string): Promise<RunReport> {
  return runRange(op.deps, { ...OP, waitForTransientMs: 0 }, parseWall(fromWall)!, parseWall(toWall)!);
}

/** API calls in the simulator's own log whose range covers any part of the day. */
export function callsCoveringDay(sim: Simulator, day: string): number {
  const span = daySpan(day, OP.timeZone);
  const ini = formatVendor(span.fromWall);
  const end = formatVendor(span.toWall - 1000);
  return sim.stats.log.filter((e) => e.dateIni !== null && e.dateEnd !== null && e.dateIni <= end && e.dateEnd >= ini).length;
}

/** Windows whose stored calls per interval differ from the simulator's truth now, and the calls missing or extra in all. */
export function compareWithTruth(op: Operation, day: string): { windows: number; stored: number; wrongWindows: Window[]; truthCalls: number; storedCalls: number } {
  const wrong: Window[] = [];
  let truthCalls = 0;
  let storedCalls = 0;
  let stored = 0;
  const prefix = dayPrefix(OP.prefix, DATA_TABLE, OP.operation, day);
  const keys = [...op.store.objects.keys()].filter((k) => k.startsWith(prefix));
  const byStart = new Map<string, string>();
  for (const k of keys) byStart.set(k.slice(k.lastIndexOf('/') + 1, k.lastIndexOf('/') + 15), op.store.objects.get(k)!);
  const windows = windowsOf(daySpan(day, OP.timeZone));
  for (const w of windows) {
    const { date_ini, date_end } = spanDates(spanOf(w));
    const truth = op.sim.trueTotals(date_ini, date_end);
    const body = byStart.get(date_ini);
    if (body !== undefined) stored += 1;
    const got: Record<string, number> = {};
    for (const line of (body ?? '').split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { interval: string; calls: number | null };
      got[row.interval] = (got[row.interval] ?? 0) + (row.calls ?? 0);
    }
    let same = body !== undefined;
    for (const [k, v] of Object.entries(truth)) {
      truthCalls += v.calls;
      if ((got[k] ?? 0) !== v.calls) same = false;
    }
    storedCalls += Object.values(got).reduce((n, v) => n + v, 0);
    if (!same) wrong.push(w);
  }
  return { windows: windows.length, stored, wrongWindows: wrong, truthCalls, storedCalls };
}

/** The day's verification rows as written, oldest first. */
export function verificationRows(op: Operation, day: string): Array<{ key: string; status: string; vendor_calls: number | null; stored_calls: number | null; api_calls: number; checked_at: string }> {
  const prefix = `${OP.prefix}/${VERIFICATION_TABLE}/operation=${OP.operation}/dt=${day}/`;
  return [...op.store.objects.entries()]
    .filter(([k]) => k.startsWith(prefix))
    .map(([key, body]) => ({ key, ...(JSON.parse(body.trim()) as { status: string; vendor_calls: number | null; stored_calls: number | null; api_calls: number; checked_at: string }) }))
    .sort((a, b) => a.checked_at.localeCompare(b.checked_at));
}

/**
 * Whether the day's object (cdr_4_daily) holds exactly the day's window objects as stored now:
 * the same window keys in its manifest, the same rows. A day with no window has no object.
 */
export async function dayObjectLevel(store: MemoryStore, day: string): Promise<boolean> {
  const folder = `${dayPrefix(OP.prefix, DATA_TABLE, OP.operation, day)}`;
  const windowKeys = store.keys(folder);
  const bytes = await store.getBytes(dailyKey(OP.prefix, OP.operation, day));
  if (windowKeys.length === 0) return bytes === null;
  if (bytes === null) return false;
  const decoded = await decodeDay(bytes);
  const canon = (r: object) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'hour').sort(([a], [b]) => a.localeCompare(b))));
  const expected: string[] = [];
  for (const key of windowKeys) for (const line of (await store.get(key))!.split('\n').filter(Boolean)) expected.push(canon(JSON.parse(line) as object));
  const sameKeys = JSON.stringify(decoded.manifest.windows.map((w) => w.key).sort()) === JSON.stringify(windowKeys.map((k) => k.slice(folder.length)));
  return sameKeys && JSON.stringify(decoded.rows.map(canon).sort()) === JSON.stringify(expected.sort());
}
