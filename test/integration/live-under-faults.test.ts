/**
 * The scheduled path as a stormy night leaves it: a run every 20 minutes through a business
 * weekday and past its verification, 5% of calls 5xx, 1% bad JSON, 0.2% hanging, a maintenance
 * half hour answering 403 to 70% of calls, and every 7th run killed mid-way. Every window of the
 * day must end with its object, equal to the vendor's, and the day verified.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLive } from '../../lambda/collector/runs.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { dataKey } from '../../lambda/domain/layout.ts';
import { daySpan, windowsOf } from '../../lambda/domain/span.ts';
import { toWallClock, WALL } from '../../lambda/domain/wall-clock.ts';
import type { Fault } from '../simulator/index.ts';
import { prng } from '../simulator/synthetic-calls.ts';
import { instantOfWall } from '../support/clock.ts';
import { windowsOffTruth } from '../support/phase-run.ts';
import { OP, openOperation, verificationRows, type Operation } from '../support/scheduled-operation.ts';

const DAY = '2026-11-18'; // a Wednesday
const HOUR = WALL.HOUR_MS;

describe('Scheduled path under faults and kills', () => {
  let op: Operation | undefined;
  afterEach(async () => {
    await op?.close();
    op = undefined;
  });

  it.each([1, 2])('stores all 288 windows of the day exactly and verifies it when runs every 20 minutes meet 5xx, bad JSON, hangs, maintenance and kills (seed %i)', async (seed) => {
    // Prepare
    const rnd = prng(seed);
    let clockMs = 0;
    const inMaintenance = () => {
      const wall = toWallClock(clockMs, OP.timeZone) % (24 * HOUR);
      return wall >= 3 * HOUR && wall < 3.5 * HOUR;
    };
    const faultFor = (): Fault | undefined => {
      if (inMaintenance() && rnd() < 0.7) return { kind: 'maintenance' };
      const r = rnd();
      if (r < 0.05) return { kind: rnd() < 0.5 ? 'http500' : 'http503' };
      if (r < 0.06) return { kind: 'badJson' };
      if (r < 0.062) return { kind: 'hang' };
      return undefined;
    };
    op = await openOperation('2026-11-17 23:00', { traffic: { kind: 'business-hours' }, seed, faultFor });
    const o = op;
    // A killed run is dead: none of its later writes lands, its lease is never given back.
    let dead = false;
    // When each window of the day first got its object (clock time): the live path's, or a later repair's.
    const firstWritten = new Map<string, number>();
    const store = o.store.put.bind(o.store);
    const put: typeof store = async (key, body, type) => {
      await store(key, body, type);
      if (!firstWritten.has(key)) firstWritten.set(key, o.clock.ms);
    };
    const settings = { ...OP, requestTimeoutMs: 200 };
    const until = instantOfWall('2026-11-19 06:00', OP.timeZone);
    let run = 0;
    let killed = 0;

    // Act
    while (o.clock.ms < until) {
      clockMs = o.clock.ms;
      run += 1;
      const started = o.clock.ms;
      const killAfter = run % 7 === 0 ? Math.floor(rnd() * 20) : -1;
      let puts = 0;
      if (killAfter >= 0) {
        o.store.put = async (key, body, type) => {
          if (dead || puts++ >= killAfter) {
            dead = true;
            throw new StorageError('the process was killed', { key });
          }
          return put(key, body, type);
        };
      }
      await runLive(o.deps, settings).catch(() => {
        killed += dead ? 1 : 0;
      });
      dead = false;
      o.store.put = put;
      o.clock.set(Math.max(o.clock.ms, started + 20 * WALL.MINUTE_MS));
    }

    // Assess
    const windows = windowsOf(daySpan(DAY, OP.timeZone));
    expect(killed).toBeGreaterThan(0);
    expect(windows.filter((w) => !o.store.objects.has(dataKey(OP.prefix, OP.operation, w)))).toEqual([]);
    // The live path stored every window itself: none was left for the day's check (from 04:00 the next day) to fill.
    const checkFrom = instantOfWall('2026-11-19 04:00', OP.timeZone);
    expect(windows.filter((w) => (firstWritten.get(dataKey(OP.prefix, OP.operation, w)) ?? Number.POSITIVE_INFINITY) >= checkFrom)).toEqual([]);
    expect(windowsOffTruth(o, windows)).toEqual([]);
    expect(verificationRows(o, DAY).map((r) => r.status)).toContain('verified');
    expect(o.sim.stats.maxInFlight).toBe(1);
  });
});
