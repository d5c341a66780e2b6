/**
 * Day objects kept current by the engine itself: random histories of scheduled runs,
 * ranges, Lambda backfills and refetches, with API faults, failed writes and runs killed
 * between their window writes and their day writes, across a DST day. After one clean run,
 * every day object holds exactly the rows of its day's window objects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLive, runRange, type EngineDeps } from '../../lambda/collector/runs.ts';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { decodeDay } from '../../lambda/domain/daily-parquet.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { dailyKey } from '../../lambda/domain/layout.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { WINDOW_MS } from '../../lambda/domain/window.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { prng } from '../simulator/synthetic-calls.ts';

const TZ = 'America/Santiago';
const TOKEN = 'tok-DAYS-SECRET-0b9d';
const MINUTE = 60_000;
// Chile springs forward at 2026-09-06 00:00 (the day has 276 windows).
const DAYS = ['2026-09-04', '2026-09-05', '2026-09-06', '2026-09-07'];


/** A row as the day object must hold it: every cdr_4 field, order-free. */
const canon = (r: object) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'hour').sort(([a], [b]) => a.localeCompare(b))));

describe('Property: day objects equal their window objects after any run history', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it.each([1, 2, 3, 4, 5])('holds for history %i', async (seed) => {
    // Prepare
    const rnd = prng(seed);
    const clock = new ManualClock(instantOfWall('2026-09-05 20:00', TZ));
    let faultRate = 0.08;
    sim = await startSimulator({
      token: TOKEN,
      server: '0032',
      timeZone: TZ,
      now: clock.now,
      reportDelayMs: 3 * MINUTE,
      faultFor: (): Fault | undefined => (rnd() < faultRate ? ([{ kind: 'http503' }, { kind: 'badJson' }, { kind: 'maintenance' }] as const)[Math.floor(rnd() * 3)] : undefined),
    });
    const memory = new MemoryStore();
    let killDayWrites = false;
    let writeFailureRate = 0.01;
    const store = {
      put: async (key: string, body: string | Uint8Array, type: string) => {
        // A run killed between its window writes and its day writes.
        if (killDayWrites && key.includes('/cdr_4_daily/')) throw new StorageError('injected: killed before the day object');
        if (rnd() < writeFailureRate) throw new StorageError(`injected: write of ${key} failed`);
        return memory.put(key, body, type);
      },
      get: (key: string) => memory.get(key),
      getBytes: (key: string) => memory.getBytes(key),
      list: (prefix: string) => memory.list(prefix),
      describe: (key: string) => memory.describe(key),
    };
    const token = staticToken(TOKEN);
    const leases = new MemoryLeaseStore();
    const deps: EngineDeps = {
      client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }),
      token,
      store,
      leases,
      holder: { kind: 'lambda', host: 'h', pid: 1, run: 'r' },
      log: silentLog,
      metrics: new MetricsTally(),
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      refreshDays: (days) => refreshDays(store, { prefix: 'p', operation: '0032' }, days),
    };
    const settings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 2_000, deadline: Number.POSITIVE_INFINITY, maxAttempts: 2, backoffMs: [0] };
    const randomRange = () => {
      const day = DAYS[Math.floor(rnd() * 3)]!;
      const from = parseWall(`${day} 00:00`)! + Math.floor(rnd() * 200) * WINDOW_MS;
      return { fromWall: from, toWall: from + (20 + Math.floor(rnd() * 300)) * WINDOW_MS };
    };

    // Act: a history of runs, each a scheduled run, a range, a refetch or a Lambda backfill.
    let kills = 0;
    for (let i = 0; i < 30; i += 1) {
      killDayWrites = rnd() < 0.25;
      if (killDayWrites) kills += 1;
      const kind = rnd();
      const run =
        kind < 0.5
          ? runLive(deps, { ...settings, firstRunWindows: 24, restateAfterMinutes: 30, deadline: clock.ms + 60_000 })
          : kind < 0.7
            ? ((r) => runRange(deps, settings, r.fromWall, r.toWall))(randomRange())
            : kind < 0.8
              ? ((r) => runRange(deps, { ...settings, refetch: true }, r.fromWall, r.toWall))(randomRange())
              : runLive(deps, { ...settings, restateAfterMinutes: 30, deadline: clock.ms + 60_000, backfill: randomRange() });
      await run.catch(() => undefined);
      clock.advance((5 + Math.floor(rnd() * 90)) * MINUTE);
    }
    // Last, a range killed before its day write, on a day nothing else in the history touches.
    faultRate = 0;
    writeFailureRate = 0;
    killDayWrites = true;
    await runRange(deps, { ...settings, refetch: true }, parseWall('2026-09-02 10:00')!, parseWall('2026-09-02 11:00')!).catch(() => undefined);
    // The next clean run: no faults, no kills.
    faultRate = 0;
    writeFailureRate = 0;
    killDayWrites = false;
    await runLive(deps, { ...settings, restateAfterMinutes: 30, deadline: clock.ms + 60_000 });

    // Assess
    expect(kills).toBeGreaterThan(0);
    let checked = 0;
    for (const day of ['2026-09-02', ...DAYS]) {
      const windowKeys = memory.keys(`p/cdr_4/operation=0032/dt=${day}/`);
      const bytes = await memory.getBytes(dailyKey('p', '0032', day));
      if (windowKeys.length === 0) {
        expect(bytes, day).toBeNull();
        continue;
      }
      expect(bytes, `${day} has window objects but no day object`).not.toBeNull();
      const decoded = await decodeDay(bytes!);
      const expected: string[] = [];
      for (const key of windowKeys) for (const line of (await memory.get(key))!.split('\n').filter(Boolean)) expected.push(canon(JSON.parse(line)));
      // The manifest names window objects relative to their day's folder.
      const dayFolder = `p/cdr_4/operation=0032/dt=${day}/`;
      expect(decoded.manifest.windows.map((w) => w.key).sort(), day).toEqual(windowKeys.map((k) => k.slice(dayFolder.length)));
      expect(decoded.rows.map(canon).sort(), day).toEqual(expected.sort());
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    const state = JSON.parse((await memory.get('p/_state/cdr_4/operation=0032/checkpoint.json'))!);
    // Only the live cursor's day stays marked (the next run writes into it); every other is level.
    expect(state.days_dirty).toEqual([state.next_window.slice(0, 10)]);
  }, 60_000);
});
