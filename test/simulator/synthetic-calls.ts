/**
 * Deterministic synthetic calls and their bucketing by duration (pure: no I/O, no Math.random).
 *
 * Calls are generated per real UTC minute from a hash of (seed, minute index), so any range
 * can be regenerated at will and always agrees with its sub-ranges. A call belongs to a
 * report range by its START instant read on the operation's wall clock; a wall-clock label
 * in a DST repeated hour therefore covers both passes, and a skipped hour holds no calls.
 * How many calls a minute holds, and how long they last, depends on the traffic profile and
 * the wall clock only, so every profile keeps those properties.
 */
import { firstInstantOf, lastInstantOf, offsetAt, WALL } from '../../lambda/domain/wall-clock.ts';
import type { TrafficProfile } from './types.ts';

const { MINUTE_MS, HOUR_MS } = WALL;

/** The five interval keys of cdr_4, in the vendor's order. */
export const INTERVAL_KEYS = ['0_5_seg', '6_20_seg', '21_60_seg', '61_120_seg', 'greater_than_121'] as const;
export type IntervalKey = (typeof INTERVAL_KEYS)[number];

/**
 * Interval of a call duration in whole seconds. The vendor's prose says "61 - 121 sec" and
 * "more than 121 sec" while the key says 61_120: exactly 121 s falls in no bucket (a guess
 * from the notes), so it is undefined and such a call is left out of every total.
 */
export function intervalKeyOf(durationS: number): IntervalKey | undefined {
  if (durationS <= 5) return '0_5_seg';
  if (durationS <= 20) return '6_20_seg';
  if (durationS <= 60) return '21_60_seg';
  if (durationS <= 120) return '61_120_seg';
  if (durationS === 121) return undefined;
  return 'greater_than_121';
}

/** One synthetic call inside its UTC minute. */
export interface MinuteCall {
  /** Second of the minute the call starts at (0-59). */
  readonly second: number;
  /** Whole seconds the call lasts. */
  readonly durationS: number;
}

/** Mean calls per minute by wall-clock hour of the operation: quiet nights, busy office hours (about 1.6 a minute over a day). */
export const HOURLY_RATE: readonly number[] = [
  0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 1.8, 2.6, 3.0, 3.2, 3.0, 2.6, 2.8, 3.0, 3.0, 2.8, 2.4, 1.8, 1.3, 1.0, 0.8, 0.6, 0.4,
];

/** The historical traffic: every seed's calls under it are pinned by tests and benches. */
export const OFFICE: TrafficProfile = { kind: 'office' };

/** Calls per minute of the business-hours profile while open (600 open minutes make about 1,440 a weekday). */
export const BUSINESS_RATE = 2.4;

/** Share of business-hours calls lasting 3600-9000 s unless the profile says otherwise. */
export const DEFAULT_LONG_CALL_SHARE = 0.01;

/**
 * Mean calls per minute of the busy profile by wall-clock hour: about 3 from 07:00 to 20:00,
 * and never below 0.3 outside, so that no hour is empty in practice (P(0 calls) ~ e^-18).
 */
export const BUSY_HOURLY_RATE: readonly number[] = [
  0.4, 0.3, 0.3, 0.3, 0.3, 0.4, 0.6, 2.6, 3.0, 3.2, 3.4, 3.2, 2.8, 2.8, 3.2, 3.4, 3.2, 3.0, 2.8, 2.4, 0.6, 0.5, 0.5, 0.4,
];

/** Whether a business-hours operation takes calls at a wall-clock hour and weekday (0 = Sunday, as Date.getUTCDay). */
export function isBusinessOpen(wallHour: number, wallWeekday: number): boolean {
  if (wallWeekday >= 1 && wallWeekday <= 5) return wallHour >= 8 && wallHour < 18;
  if (wallWeekday === 6) return wallHour >= 8 && wallHour < 13;
  return false;
}

/** Mean calls per minute of a profile at a wall-clock hour and weekday (0 = Sunday). */
export function ratePerMinute(traffic: TrafficProfile, wallHour: number, wallWeekday: number): number {
  switch (traffic.kind) {
    case 'office':
      return HOURLY_RATE[wallHour] ?? 1;
    case 'business-hours':
      return isBusinessOpen(wallHour, wallWeekday) ? BUSINESS_RATE : 0;
    case 'busy':
      return BUSY_HOURLY_RATE[wallHour] ?? 1;
  }
}

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeded 32-bit hash of (seed, minute index). */
export function minuteHash(seed: number, minuteIndex: number): number {
  return mix32(Math.imul(mix32(seed) ^ 0x9e3779b9, 0x27d4eb2d) ^ mix32(minuteIndex ^ 0x5bd1e995));
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(lambda: number, rnd: () => number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rnd();
  while (p > limit) {
    k += 1;
    p *= rnd();
  }
  return k;
}

function between(lo: number, hi: number, rnd: () => number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** A duration spread over every bucket, with some exactly-121 s calls and some long ones. */
function duration(rnd: () => number): number {
  const u = rnd();
  if (u < 0.15) return between(0, 5, rnd);
  if (u < 0.35) return between(6, 20, rnd);
  if (u < 0.6) return between(21, 60, rnd);
  if (u < 0.8) return between(61, 120, rnd);
  if (u < 0.81) return 121;
  if (u < 0.97) return between(122, 600, rnd);
  return between(601, 3600, rnd);
}

/** Today's distribution, except that a share of calls outlast any hourly restatement. */
function businessDuration(longCallShare: number, rnd: () => number): number {
  return rnd() < longCallShare ? between(3600, 9000, rnd) : duration(rnd);
}

/**
 * The calls starting in one real UTC minute (`minuteIndex` = floor(epoch ms / 60 000)).
 * `wallHour` (0-23) and `wallWeekday` (0 = Sunday) are the operation's wall clock at that
 * minute and only shape how many calls there are; without a profile the traffic is OFFICE.
 */
export function callsOfMinute(seed: number, minuteIndex: number, wallHour: number): MinuteCall[];
export function callsOfMinute(seed: number, minuteIndex: number, wallHour: number, traffic: TrafficProfile, wallWeekday: number): MinuteCall[];
export function callsOfMinute(seed: number, minuteIndex: number, wallHour: number, traffic: TrafficProfile = OFFICE, wallWeekday?: number): MinuteCall[] {
  if (traffic.kind === 'business-hours' && wallWeekday === undefined) throw new RangeError('business-hours traffic needs the wall-clock weekday');
  const rate = ratePerMinute(traffic, wallHour, wallWeekday ?? 0);
  const calls: MinuteCall[] = [];
  if (rate === 0) return calls;
  // The draws below must stay in this order for OFFICE: every seed's calls are pinned.
  const rnd = prng(minuteHash(seed, minuteIndex));
  const count = poisson(rate, rnd);
  const longCallShare = traffic.kind === 'business-hours' ? (traffic.longCallShare ?? DEFAULT_LONG_CALL_SHARE) : 0;
  for (let i = 0; i < count; i += 1) {
    const second = Math.floor(rnd() * 60);
    const durationS = traffic.kind === 'business-hours' ? businessDuration(longCallShare, rnd) : duration(rnd);
    calls.push({ second, durationS });
  }
  return calls;
}

export type Totals = Record<IntervalKey, { calls: number; seconds: number }>;

export function emptyTotals(): Totals {
  const t = {} as Totals;
  for (const key of INTERVAL_KEYS) t[key] = { calls: 0, seconds: 0 };
  return t;
}

export function totalCalls(t: Totals): number {
  return INTERVAL_KEYS.reduce((sum, key) => sum + t[key].calls, 0);
}

/** A call placed in real time and on the operation's wall clock. */
export interface PlacedCall {
  readonly startInstant: number;
  readonly startWall: number;
  readonly durationS: number;
}

/**
 * The synthetic calls of one seed in one zone. Zone offsets are looked up once per UTC
 * hour (Intl is the slow part) and per minute only in an hour where the offset changes.
 */
export class CallSource {
  private readonly hourOffsets = new Map<number, number>();

  readonly seed: number;
  readonly timeZone: string;
  readonly traffic: TrafficProfile;

  constructor(seed: number, timeZone: string, traffic: TrafficProfile = OFFICE) {
    this.seed = seed;
    this.timeZone = timeZone;
    this.traffic = traffic;
  }

  private offsetAtHour(hourIndex: number): number {
    let offset = this.hourOffsets.get(hourIndex);
    if (offset === undefined) {
      if (this.hourOffsets.size > 50_000) this.hourOffsets.clear();
      offset = offsetAt(hourIndex * HOUR_MS, this.timeZone);
      this.hourOffsets.set(hourIndex, offset);
    }
    return offset;
  }

  /** Wall minus UTC at the start of a real minute. */
  offsetOfMinute(minuteIndex: number): number {
    const hourIndex = Math.floor((minuteIndex * MINUTE_MS) / HOUR_MS);
    const here = this.offsetAtHour(hourIndex);
    if (here === this.offsetAtHour(hourIndex + 1)) return here;
    return offsetAt(minuteIndex * MINUTE_MS, this.timeZone);
  }

  /** Every call whose start, read on the wall clock, lies in [iniWall, endWall] (naive wall ms, both inclusive). */
  forEachCallInWallRange(iniWall: number, endWall: number, visit: (call: PlacedCall) => void): void {
    // Real instants showing these labels, padded for an offset change inside the range.
    const lo = firstInstantOf(iniWall, this.timeZone) - 3 * HOUR_MS;
    const hi = lastInstantOf(endWall, this.timeZone) + 3 * HOUR_MS;
    const lastMinute = Math.floor(hi / MINUTE_MS);
    for (let minute = Math.floor(lo / MINUTE_MS); minute <= lastMinute; minute += 1) {
      const instant = minute * MINUTE_MS;
      const wall = instant + this.offsetOfMinute(minute);
      if (wall + MINUTE_MS <= iniWall || wall > endWall) continue;
      const wallDate = new Date(wall);
      for (const call of callsOfMinute(this.seed, minute, wallDate.getUTCHours(), this.traffic, wallDate.getUTCDay())) {
        const startWall = wall + call.second * 1000;
        if (startWall < iniWall || startWall > endWall) continue;
        visit({ startInstant: instant + call.second * 1000, startWall, durationS: call.durationS });
      }
    }
  }

  /**
   * Calls and seconds per interval of a wall-clock range [iniWall, endWall] (both inclusive),
   * counting only calls visible at `nowMs` (ended at least `reportDelayMs` before), each in the
   * range that holds its start (or its end). Exactly-121 s calls are left out.
   */
  totals(iniWall: number, endWall: number, nowMs: number, reportDelayMs: number, countAt: 'start' | 'end' = 'start'): Totals {
    const totals = emptyTotals();
    const count = (call: PlacedCall) => {
      const endInstant = call.startInstant + call.durationS * 1000;
      if (nowMs < endInstant + reportDelayMs) return;
      if (countAt === 'end') {
        const endWallOfCall = endInstant + this.offsetOfMinute(Math.floor(endInstant / MINUTE_MS));
        if (endWallOfCall < iniWall || endWallOfCall > endWall) return;
      }
      const key = intervalKeyOf(call.durationS);
      if (key === undefined) return;
      totals[key].calls += 1;
      totals[key].seconds += call.durationS;
    };
    // Counted at their end, calls that started up to the longest call's length before the range may end in it.
    if (countAt === 'end') this.forEachCallInWallRange(iniWall - MAX_CALL_MS, endWall, count);
    else this.forEachCallInWallRange(iniWall, endWall, count);
    return totals;
  }
}

/** No synthetic call lasts longer (business-hours long calls: at most 9000 s). */
const MAX_CALL_MS = 9_000_000;
