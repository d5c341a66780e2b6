import { afterEach, describe, expect, it } from 'vitest';
import { formatVendor } from '../../lambda/domain/wall-clock.ts';
import {
  BUSINESS_RATE,
  HOURLY_RATE,
  INTERVAL_KEYS,
  startSimulator,
  trueTotalsOf,
  type IntervalTotals,
  type Simulator,
  type SimulatorOptions,
  type TrafficProfile,
} from '../simulator/index.ts';
import { CallSource, callsOfMinute, minuteHash, prng, type PlacedCall } from '../simulator/synthetic-calls.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOW = 5 * MINUTE;
/** A fixed clock well after the ranges below: every call, even a 2.5-hour one, has ended. */
const LATER = Date.UTC(2026, 5, 1);
const BOGOTA = 'America/Bogota';
/** Monday 9 March 2026 (wall clock); the week runs to Sunday 15 March. */
const MONDAY = Date.UTC(2026, 2, 9);
const SATURDAY = MONDAY + 5 * DAY;
const SUNDAY = MONDAY + 6 * DAY;
const BUSINESS: TrafficProfile = { kind: 'business-hours' };
const BUSY: TrafficProfile = { kind: 'busy' };

const started: Simulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function sim(options: SimulatorOptions): Promise<Simulator> {
  const s = await startSimulator(options);
  started.push(s);
  return s;
}

/** Every generated call starting on one wall-clock day, exactly-121 s ones included. */
function callsOfDay(source: CallSource, dayWall: number): PlacedCall[] {
  const calls: PlacedCall[] = [];
  source.forEachCallInWallRange(dayWall, dayWall + DAY - 1000, (c) => calls.push(c));
  return calls;
}

const hourOf = (c: PlacedCall): number => new Date(c.startWall).getUTCHours();

/** A Poisson count's mean plus or minus four standard deviations: wide enough for any seed in practice, narrow enough to catch a wrong rate. */
function band(mean: number): [number, number] {
  return [Math.floor(mean - 4 * Math.sqrt(mean)), Math.ceil(mean + 4 * Math.sqrt(mean))];
}

function callsPerKey(t: Record<string, IntervalTotals>): Record<string, number> {
  return Object.fromEntries(INTERVAL_KEYS.map((k) => [k, t[k]?.calls ?? 0]));
}

function sumCalls(t: Record<string, IntervalTotals>): number {
  return INTERVAL_KEYS.reduce((n, k) => n + (t[k]?.calls ?? 0), 0);
}

/**
 * The office generator restated from the code before profiles existed (same hash, PRNG and
 * order of draws), so that a change to the default's calls shows here and not only in a
 * bench's numbers months later.
 */
function officeCallsOfMinute(seed: number, minuteIndex: number, wallHour: number): Array<{ second: number; durationS: number }> {
  const rnd = prng(minuteHash(seed, minuteIndex));
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const limit = Math.exp(-(HOURLY_RATE[wallHour] ?? 1));
  let count = 0;
  for (let p = rnd(); p > limit; p *= rnd()) count += 1;
  const calls: Array<{ second: number; durationS: number }> = [];
  for (let i = 0; i < count; i += 1) {
    const second = Math.floor(rnd() * 60);
    const u = rnd();
    const durationS =
      u < 0.15 ? between(0, 5) : u < 0.35 ? between(6, 20) : u < 0.6 ? between(21, 60) : u < 0.8 ? between(61, 120) : u < 0.81 ? 121 : u < 0.97 ? between(122, 600) : between(601, 3600);
    calls.push({ second, durationS });
  }
  return calls;
}

/** Calls and seconds per key of a Bogota (UTC-5 all year) wall range from the restated office generator. */
function officeTotals(seed: number, iniWall: number, endWall: number): Record<string, IntervalTotals> {
  const totals: Record<string, IntervalTotals> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, { calls: 0, seconds: 0 }]));
  for (let wallMinute = iniWall; wallMinute <= endWall; wallMinute += MINUTE) {
    const minuteIndex = (wallMinute + 5 * HOUR) / MINUTE;
    for (const c of officeCallsOfMinute(seed, minuteIndex, new Date(wallMinute).getUTCHours())) {
      const d = c.durationS;
      if (d === 121) continue;
      const key = d <= 5 ? '0_5_seg' : d <= 20 ? '6_20_seg' : d <= 60 ? '21_60_seg' : d <= 120 ? '61_120_seg' : 'greater_than_121';
      const t = totals[key];
      if (t === undefined) throw new Error(`no key ${key}`);
      t.calls += 1;
      t.seconds += d;
    }
  }
  return totals;
}

describe('Simulator traffic profiles', () => {
  describe('default (office)', () => {
    it('gives the same calls and totals as before profiles existed, with no traffic option and with { kind: office }', async () => {
      // Prepare
      const seed = 7;
      const ini = Date.UTC(2026, 2, 10, 6, 0, 0);
      const end = Date.UTC(2026, 2, 11, 21, 59, 59);
      const expected = officeTotals(seed, ini, end);
      const s = await sim({ seed, now: () => LATER });
      // Act
      const viaServer = s.trueTotals(formatVendor(ini), formatVendor(end));
      const viaHelper = trueTotalsOf({ seed }, formatVendor(ini), formatVendor(end), LATER);
      const viaOffice = trueTotalsOf({ seed, traffic: { kind: 'office' } }, formatVendor(ini), formatVendor(end), LATER);
      // Assess
      expect(sumCalls(expected)).toBeGreaterThan(3000);
      expect(viaServer).toEqual(expected);
      expect(viaHelper).toEqual(expected);
      expect(viaOffice).toEqual(expected);
      for (let m = 29_550_000; m < 29_550_000 + 2_000; m += 1) {
        const hour = m % 24;
        const legacy = callsOfMinute(seed, m, hour);
        expect(legacy).toEqual(officeCallsOfMinute(seed, m, hour));
        expect(callsOfMinute(seed, m, hour, { kind: 'office' }, m % 7)).toEqual(legacy);
      }
    });
  });

  describe('business-hours', () => {
    it('has about 2.4 calls a minute on a weekday (1,440 expected, 4 sd band), and none from 18:00 to 08:00', () => {
      // Prepare
      const [lo, hi] = band(BUSINESS_RATE * 10 * 60);
      // Act
      const perSeed = [1, 2, 3].map((seed) => {
        const source = new CallSource(seed, BOGOTA, BUSINESS);
        return [0, 1, 2, 3, 4].map((d) => callsOfDay(source, MONDAY + d * DAY));
      });
      // Assess
      expect([lo, hi]).toEqual([1288, 1592]);
      for (const weekdays of perSeed) {
        for (const calls of weekdays) {
          expect(calls.length).toBeGreaterThanOrEqual(lo);
          expect(calls.length).toBeLessThanOrEqual(hi);
          expect(calls.filter((c) => hourOf(c) < 8 || hourOf(c) >= 18)).toEqual([]);
          expect(new Set(calls.map(hourOf))).toEqual(new Set([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
        }
      }
    });

    it('takes calls on Saturday only from 08:00 to 13:00 and none on Sunday', () => {
      // Prepare
      const [lo, hi] = band(BUSINESS_RATE * 5 * 60);
      // Act
      const days = [1, 2, 3].map((seed) => {
        const source = new CallSource(seed, BOGOTA, BUSINESS);
        return { saturday: callsOfDay(source, SATURDAY), sunday: callsOfDay(source, SUNDAY) };
      });
      // Assess
      for (const { saturday, sunday } of days) {
        expect(saturday.length).toBeGreaterThanOrEqual(lo);
        expect(saturday.length).toBeLessThanOrEqual(hi);
        expect(new Set(saturday.map(hourOf))).toEqual(new Set([8, 9, 10, 11, 12]));
        expect(sunday).toEqual([]);
      }
    });

    it('reads the weekday from the wall-clock date, not the UTC date (Tokyo Monday 08:00 is Sunday 23:00 UTC)', () => {
      // Prepare
      const source = new CallSource(1, 'Asia/Tokyo', BUSINESS);
      // Act
      const monday = callsOfDay(source, MONDAY);
      const sunday = callsOfDay(source, SUNDAY);
      const saturday = callsOfDay(source, SATURDAY);
      // Assess
      expect(monday.filter((c) => hourOf(c) === 8).length).toBeGreaterThan(50);
      expect(sunday).toEqual([]);
      expect(new Set(saturday.map(hourOf))).toEqual(new Set([8, 9, 10, 11, 12]));
    });

    it('makes about 1% of calls last 3600-9000 s, uniformly, and longCallShare changes that share', () => {
      // Prepare
      const week = (traffic: TrafficProfile): PlacedCall[] => {
        const source = new CallSource(1, BOGOTA, traffic);
        return [0, 1, 2, 3, 4, 5].flatMap((d) => callsOfDay(source, MONDAY + d * DAY));
      };
      // Act
      const calls = week(BUSINESS);
      const long = calls.filter((c) => c.durationS >= 3600);
      const none = week({ kind: 'business-hours', longCallShare: 0 }).filter((c) => c.durationS > 3600);
      const fifth = week({ kind: 'business-hours', longCallShare: 0.2 });
      // Assess
      // The share issue 13 measures on, stated here rather than read from the simulator.
      const [lo, hi] = band(calls.length * 0.01);
      expect(long.length).toBeGreaterThanOrEqual(lo);
      expect(long.length).toBeLessThanOrEqual(hi);
      expect(Math.max(...long.map((c) => c.durationS))).toBeLessThanOrEqual(9000);
      expect(long.filter((c) => c.durationS > 6300).length).toBeGreaterThan(long.length / 4);
      expect(none).toEqual([]);
      const [lo5, hi5] = band(fifth.length * 0.2);
      const longOfFifth = fifth.filter((c) => c.durationS >= 3600).length;
      expect(longOfFifth).toBeGreaterThanOrEqual(lo5);
      expect(longOfFifth).toBeLessThanOrEqual(hi5);
    });

    it('keeps a long call out of every answer until it ends (+ report delay), then counts it in the window of its start', async () => {
      // Prepare: a long call whose end instant no other call of the day shares, so one step of the clock shows it alone.
      const delay = 2 * MINUTE;
      const calls = callsOfDay(new CallSource(1, BOGOTA, BUSINESS), MONDAY + DAY);
      const endOf = (c: PlacedCall): number => c.startInstant + c.durationS * 1000;
      const long = calls.find((c) => c.durationS > 3600 && calls.filter((o) => endOf(o) === endOf(c)).length === 1);
      if (long === undefined) throw new Error('no long call on that day');
      let now = 0;
      const s = await sim({ seed: 1, traffic: BUSINESS, reportDelayMs: delay, now: () => now });
      const windowIni = long.startWall - (long.startWall % WINDOW);
      const window = [formatVendor(windowIni), formatVendor(windowIni + WINDOW - 1000)] as const;
      const day = [formatVendor(MONDAY + DAY), formatVendor(MONDAY + 2 * DAY - 1000)] as const;
      const answer = async (): Promise<number> => {
        const res = await fetch(`${s.origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=${window[0]}&date_end=${window[1]}`, { headers: { 'wolkvox-token': 'sim-token-0001' } });
        const body = (await res.json()) as { data?: Record<string, { calls: string }> | null };
        return Number(body.data?.greater_than_121?.calls ?? 0);
      };
      // Act
      now = endOf(long) + delay - 1000;
      const beforeWindow = s.trueTotals(...window);
      const beforeDay = s.trueTotals(...day);
      const beforeAnswer = await answer();
      now = endOf(long) + delay;
      const afterWindow = s.trueTotals(...window);
      const afterDay = s.trueTotals(...day);
      const afterAnswer = await answer();
      // Assess
      expect(afterWindow.greater_than_121?.calls).toBe((beforeWindow.greater_than_121?.calls ?? 0) + 1);
      expect(afterWindow.greater_than_121?.seconds).toBe((beforeWindow.greater_than_121?.seconds ?? 0) + long.durationS);
      expect(sumCalls(afterDay)).toBe(sumCalls(beforeDay) + 1);
      expect(afterAnswer).toBe(beforeAnswer + 1);
    });
  });

  describe('busy', () => {
    it('has calls in every hour of every day of a week, about 3 a minute 07:00-20:00 and 0.3-0.6 outside, none longer than 60 minutes', () => {
      // Prepare: bands from the stated rates, not from the simulator's table.
      const [busyLo, busyHi] = band(3 * 13 * 60);
      const [lightLo] = band(0.3 * 60);
      const [, lightHi] = band(0.6 * 60);
      const source = new CallSource(1, BOGOTA, BUSY);
      // Act
      const days = [0, 1, 2, 3, 4, 5, 6].map((d) => callsOfDay(source, MONDAY + d * DAY));
      // Assess
      for (const calls of days) {
        const perHour = Array.from({ length: 24 }, (_, h) => calls.filter((c) => hourOf(c) === h).length);
        expect(perHour.filter((n) => n === 0)).toEqual([]);
        const busy = perHour.slice(7, 20).reduce((a, b) => a + b, 0);
        expect(busy).toBeGreaterThanOrEqual(busyLo);
        expect(busy).toBeLessThanOrEqual(busyHi);
        for (const n of [...perHour.slice(0, 7), ...perHour.slice(20)]) {
          expect(n).toBeGreaterThanOrEqual(lightLo);
          expect(n).toBeLessThanOrEqual(lightHi);
        }
        expect(busy / calls.length).toBeGreaterThan(0.8);
        expect(Math.max(...calls.map((c) => c.durationS))).toBeLessThanOrEqual(3600);
      }
    });
  });

  describe('determinism', () => {
    const cases: Array<{ name: string; traffic: TrafficProfile | undefined; timeZone: string; day: number }> = [
      { name: 'default', traffic: undefined, timeZone: BOGOTA, day: MONDAY },
      { name: 'business-hours weekday', traffic: BUSINESS, timeZone: BOGOTA, day: MONDAY + 2 * DAY },
      { name: 'business-hours Saturday', traffic: BUSINESS, timeZone: BOGOTA, day: SATURDAY },
      { name: 'busy', traffic: BUSY, timeZone: BOGOTA, day: MONDAY },
      { name: 'busy on the New York spring-forward day', traffic: BUSY, timeZone: 'America/New_York', day: Date.UTC(2026, 2, 8) },
    ];
    for (const { name, traffic, timeZone, day } of cases) {
      it(`gives a day the sum of its 288 window totals (${name})`, () => {
        // Prepare
        const options: SimulatorOptions = { seed: 2, timeZone, ...(traffic ? { traffic } : {}) };
        const sum: Record<string, IntervalTotals> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, { calls: 0, seconds: 0 }]));
        // Act
        const whole = trueTotalsOf(options, formatVendor(day), formatVendor(day + DAY - 1000), LATER);
        for (let w = day; w < day + DAY; w += WINDOW) {
          const t = trueTotalsOf(options, formatVendor(w), formatVendor(w + WINDOW - 1000), LATER);
          for (const k of INTERVAL_KEYS) {
            const acc = sum[k];
            if (acc === undefined) throw new Error(`no key ${k}`);
            acc.calls += t[k].calls;
            acc.seconds += t[k].seconds;
          }
        }
        // Assess
        expect(sumCalls(whole)).toBeGreaterThan(500);
        expect(whole).toEqual(sum);
      });
    }

    it('answers the same totals from a running simulator as from trueTotalsOf, and the profile changes them', async () => {
      // Prepare
      const ini = formatVendor(MONDAY);
      const end = formatVendor(MONDAY + DAY - 1000);
      const s = await sim({ seed: 3, traffic: BUSINESS, now: () => LATER });
      // Act
      const served = s.trueTotals(ini, end);
      const pure = trueTotalsOf({ seed: 3, traffic: BUSINESS }, ini, end, LATER);
      const office = trueTotalsOf({ seed: 3 }, ini, end, LATER);
      // Assess
      expect(served).toEqual(pure);
      expect(callsPerKey(pure)).not.toEqual(callsPerKey(office));
    });

    it('rejects a longCallShare outside [0, 1] and an unknown kind', () => {
      // Act / Assess
      expect(() => trueTotalsOf({ traffic: { kind: 'business-hours', longCallShare: 1.5 } }, '20260309000000', '20260309235959', LATER)).toThrow(RangeError);
      expect(() => trueTotalsOf({ traffic: { kind: 'business-hours', longCallShare: Number.NaN } }, '20260309000000', '20260309235959', LATER)).toThrow(RangeError);
      expect(() => trueTotalsOf({ traffic: { kind: 'night' } as unknown as TrafficProfile }, '20260309000000', '20260309235959', LATER)).toThrow(RangeError);
    });
  });
});
