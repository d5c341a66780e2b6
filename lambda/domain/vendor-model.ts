/**
 * Our reading of the vendor, checked against its own answers: a call counts in the range that
 * holds its start, once it has ended; `date_end` is inclusive; "no records" means no calls. Under
 * that reading a range's calls per interval only grow, and equal the sum over the ranges that
 * tile it. What the answers can prove otherwise, and what the collector then does, are decided
 * here, as pure functions of totals, counts and instants.
 */
import { callCount, subtractTotals, sumTotals, type Totals } from './totals.ts';

/** Where the vendor's totals were seen not to add up: a span, its total, and its parts' total. */
export interface Witness {
  readonly fromWall: number;
  readonly toWall: number;
  /** The span's calls per interval, from a call made before its parts were asked. */
  readonly vendor: Totals;
  /** The sum of its parts' answers, each asked after the span's. */
  readonly parts: Totals;
}

/**
 * Whether a span's total and its parts' answers prove the vendor's totals are not additive
 * there. Parts asked after the span can only have gained calls since (calls are counted once
 * ended, and only ever added), so, additive, they sum to at least the span's total in every
 * interval. An interval where they sum to less is a witness: one is enough. Parts asked
 * earlier prove nothing (calls may have ended between), and neither does a sum above.
 */
export function nonAdditive(span: { readonly fromWall: number; readonly toWall: number }, spanTotals: Totals, partsAskedLater: readonly Totals[]): Witness | undefined {
  const parts = sumTotals(partsAskedLater);
  const short = Object.values(subtractTotals(spanTotals, parts)).some((v) => v > 0);
  return short ? { fromWall: span.fromWall, toWall: span.toWall, vendor: spanTotals, parts } : undefined;
}

/** How the collector treats the vendor's totals. */
export type VendorMode = 'additive' | 'non-additive';

/** Days found not to add up before the operation stops relying on additivity. */
export const VERDICTS_TO_SWITCH = 2;

/** The mode the verdicts call for: two days that do not add up are a vendor that does not, not a fluke. */
export function modeAfterVerdicts(current: VendorMode, verdictDays: number): VendorMode {
  return current === 'non-additive' || verdictDays >= VERDICTS_TO_SWITCH ? 'non-additive' : 'additive';
}

/** At most this much checking per day: past it the day is left unverified, with the reason. */
export const DAY_CHECK_LIMITS = { checks: 3, calls: 120 } as const;

/** Why a day may not be checked again, or undefined while it may. */
export function dayCheckSpent(spent: { readonly checks: number; readonly calls: number }, limits: { readonly checks: number; readonly calls: number } = DAY_CHECK_LIMITS): string | undefined {
  if (spent.checks >= limits.checks) return `checked ${spent.checks} times (at most ${limits.checks} a day), ${spent.calls} calls in all, and it still differed`;
  if (spent.calls >= limits.calls) return `${spent.calls} calls spent checking it (at most ${limits.calls} a day)`;
  return undefined;
}

/** Checking (verification and reconciliation) may take at most this share of an operation day's calls, unless set otherwise. */
export const DEFAULT_CHECK_SHARE = 0.5;
/** A token's daily allowance when nothing says otherwise: one license (the vendor gives 1,000 calls a day per license). */
export const ONE_LICENSE_CALLS = 1_000;

/** What is kept of the token's daily limit for other integrations: a share of the limit, or a number of calls. */
export type Reserve = { readonly share: number } | { readonly calls: number };

export const DEFAULT_RESERVE: Reserve = { share: 0.2 };

export function reserveCalls(reserve: Reserve, limit: number): number {
  return 'calls' in reserve ? reserve.calls : Math.ceil(reserve.share * limit);
}

/** The token's allowance as last read, and our calls on that day since. */
export interface Allowance {
  readonly limit: number;
  /** The token's calls on the day, every integration's, when read. */
  readonly usedAtRead: number;
  /** Our calls counted on the day when it was read. */
  readonly oursAtRead: number;
}

/** The token's calls today as best known: what it said, plus ours since (others' since are seen at the next reading). */
export function usedNow(a: Allowance, oursToday: number): number {
  return a.usedAtRead + Math.max(0, oursToday - a.oursAtRead);
}

/** Calls history may still make today without taking the token below the reserve. */
export function roomAboveReserve(a: Allowance, oursToday: number, reserve: Reserve): number {
  return a.limit - usedNow(a, oursToday) - reserveCalls(reserve, a.limit);
}

/** After this long without any call in any answer, the report is suspicious, unless set otherwise. */
export const DEFAULT_SILENT_DAYS = 7;
/** How far a new store looks back, once, for any call at all. */
export const LOOK_BACK_DAYS = 31;

/**
 * Since when the report has shown no call, when that is longer than `boundDays` (else
 * undefined): `lastCall` is the latest instant a call was seen at or before, `watchedSince`
 * when the store started looking.
 */
export function silentSince(lastCall: number | null, watchedSince: number, now: number, boundDays: number): number | undefined {
  const since = lastCall ?? watchedSince;
  return now - since > boundDays * 24 * 3_600_000 ? since : undefined;
}

/** Whether a span's answer shows any call. */
export function hasCalls(t: Totals): boolean {
  return callCount(t) > 0;
}
