/**
 * Property: whatever the history (scheduled runs, ranges, Lambda backfills; calls that end
 * late and long; 5xx, bad JSON and maintenance; failed writes; runs killed part way, across
 * a DST day), a day is only ever recorded verified when every one of its windows equals the
 * simulator's truth at that moment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { runLive, runRange, type EngineDeps } from '../../lambda/collector/runs.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { daySpan, spanDates, spanOf, windowsOf } from '../../lambda/domain/span.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { WINDOW_MS } from '../../lambda/domain/window.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { prng } from '../simulator/synthetic-calls.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';

const TZ = 'America/Santiago';
const TOKEN = 'tok-VERIFY-PROP-5e6f';
const MINUTE = 60_000;
// Chile springs forward at 2026-09-06 00:00 (that day has 276 windows).
const DAYS = ['2026-09-04', '2026-09-05', '2026-09-06', '2026-09-07'];

describe('Property: a verified day equals the truth at the time of its verification', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it.each([1, 2, 3])('holds for history %i', async (seed) => {
    // Prepare
    const rnd = prng(seed * 7919);
    const clock = new ManualClock(instantOfWall('2026-09-04 06:00', TZ));
    let faultRate = 0.05;
    sim = await startSimulator({
      token: TOKEN,
      server: '0032',
      timeZone: TZ,
      seed,
      now: clock.now,
      traffic: { kind: 'business-hours', longCallShare: 0.03 },
      faultFor: (): Fault | undefined => (rnd() < faultRate ? ([{ kind: 'http503' }, { kind: 'badJson' }, { kind: 'maintenance' }] as const)[Math.floor(rnd() * 3)] : undefined),
    });
    const simulator = sim;
    const memory = new MemoryStore();
    let killAfter = Number.POSITIVE_INFINITY;
    let writeFailureRate = 0.005;
    const verifiedWrong: string[] = [];
    let verified = 0;
    const store = {
      put: async (key: string, body: string | Uint8Array, type: string) => {
        // A kill: from some write of this run on, nothing more reaches the store.
        if ((killAfter -= 1) < 0) throw new StorageError('injected: killed');
        if (rnd() < writeFailureRate) throw new StorageError(`injected: write of ${key} failed`);
        if (key.includes('/cdr_4_verifications/') && key.split('/').at(-1)!.startsWith('verified-')) {
          verified += 1;
          const day = /dt=(\d{4}-\d{2}-\d{2})/.exec(key)![1]!;
          for (const w of windowsOf(daySpan(day, TZ))) {
            const { date_ini, date_end } = spanDates(spanOf(w));
            const truth = simulator.trueTotals(date_ini, date_end);
            const dataKey = memory.keys(`p/cdr_4/operation=0032/dt=${day}/`).find((k) => k.endsWith(`/${date_ini}-${date_end}.json`));
            const got: Record<string, number> = {};
            for (const line of (dataKey ? memory.objects.get(dataKey)! : '').split('\n').filter(Boolean)) {
              const row = JSON.parse(line) as { interval: string; calls: number };
              got[row.interval] = (got[row.interval] ?? 0) + row.calls;
            }
            if (!dataKey || Object.entries(truth).some(([k, t]) => (got[k] ?? 0) !== t.calls)) verifiedWrong.push(`${day} ${date_ini}`);
          }
        }
        return memory.put(key, body, type);
      },
      get: (key: string) => memory.get(key),
      getBytes: (key: string) => memory.getBytes(key),
      list: (prefix: string) => memory.list(prefix),
      describe: (key: string) => memory.describe(key),
    };
    const token = staticToken(TOKEN);
    const deps: EngineDeps = {
      client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }),
      token,
      store,
      leases: new MemoryLeaseStore(),
      holder: { kind: 'lambda', host: 'h', pid: 1, run: 'r' },
      log: silentLog,
      metrics: new MetricsTally(),
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      refreshDays: (days) => refreshDays(store, { prefix: 'p', operation: '0032' }, days),
    };
    // A short horizon: long calls may still be running when a day is checked, which is what this property is about.
    const settings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 2_000, deadline: Number.POSITIVE_INFINITY, maxAttempts: 2, backoffMs: [0], verifyAfterMinutes: 30 + Math.floor(rnd() * 120) };
    const randomRange = () => {
      const day = DAYS[Math.floor(rnd() * 3)]!;
      const from = parseWall(`${day} 00:00`)! + Math.floor(rnd() * 150) * WINDOW_MS;
      return { fromWall: from, toWall: from + (30 + Math.floor(rnd() * 400)) * WINDOW_MS };
    };

    // Act: scheduled runs every 5 to 60 minutes, with ranges and backfills between them.
    let kills = 0;
    while (clock.ms < instantOfWall('2026-09-08 12:00', TZ)) {
      killAfter = rnd() < 0.1 ? Math.floor(rnd() * 200) : Number.POSITIVE_INFINITY;
      if (Number.isFinite(killAfter)) kills += 1;
      const kind = rnd();
      const run =
        kind < 0.85
          ? runLive(deps, { ...settings, deadline: clock.ms + 60_000 })
          : kind < 0.95
            ? ((r) => runRange(deps, settings, r.fromWall, r.toWall))(randomRange())
            : runLive(deps, { ...settings, deadline: clock.ms + 60_000, backfill: randomRange() });
      await run.catch(() => undefined);
      clock.advance((5 + Math.floor(rnd() * 55)) * MINUTE);
    }
    // Then clean runs until every due day is checked.
    faultRate = 0;
    writeFailureRate = 0;
    killAfter = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 40; i += 1) {
      await runLive(deps, { ...settings, deadline: clock.ms + 60_000 });
      clock.advance(30 * MINUTE);
    }

    // Assess
    expect(kills).toBeGreaterThan(0);
    expect(verified).toBeGreaterThanOrEqual(3);
    expect(verifiedWrong).toEqual([]);
  }, 120_000);
});
