/**
 * Calls per interval: what the vendor's totals and the stored windows are compared on.
 * `minutes` and `cost` are rounded strings at the vendor, so only call counts add up exactly.
 *
 * The keys are the vendor's interval keys, so a totals object has no prototype: on a plain
 * object `out['__proto__'] = n` would set its prototype (and drop the count), and
 * `out['constructor'] ?? 0` would read Object's constructor, so those keys would not be counted.
 */
import type { ParsedReport } from './cdr4-report.ts';

export type Totals = Readonly<Record<string, number>>;

/** An empty, writable totals object: no prototype, so every key is an own key. */
export function emptyTotals(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** Totals holding the own keys of `t` (a plain object read from JSON, say), without prototype. */
export function totalsOf(t: Readonly<Record<string, number>>): Record<string, number> {
  // Object.assign sets keys on the target, which has no `__proto__` setter to call.
  return Object.assign(emptyTotals(), t);
}

export const NO_CALLS: Totals = Object.freeze(emptyTotals());

/** Calls per interval of an answer; a blank count is taken as 0 (the parser has warned). */
export function totalsOfReport(report: ParsedReport): Totals {
  const out = emptyTotals();
  for (const i of report.intervals) out[i.key] = (out[i.key] ?? 0) + (i.calls ?? 0);
  return out;
}

/** Calls per interval of stored rows. */
export function totalsOfRows(rows: Iterable<{ readonly interval: string; readonly calls: number | null }>): Totals {
  const out = emptyTotals();
  for (const r of rows) out[r.interval] = (out[r.interval] ?? 0) + (r.calls ?? 0);
  return out;
}

export function addTotals(a: Totals, b: Totals): Totals {
  const out = totalsOf(a);
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function sumTotals(all: Iterable<Totals>): Totals {
  let out: Totals = NO_CALLS;
  for (const t of all) out = addTotals(out, t);
  return out;
}

/** a - b per interval (keys of both). */
export function subtractTotals(a: Totals, b: Totals): Totals {
  const out = totalsOf(a);
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) - v;
  return out;
}

export function callCount(t: Totals): number {
  return Object.values(t).reduce((n, v) => n + v, 0);
}

export function isZero(t: Totals): boolean {
  return Object.values(t).every((v) => v === 0);
}

export function hasNegative(t: Totals): boolean {
  return Object.values(t).some((v) => v < 0);
}

export function sameTotals(a: Totals, b: Totals): boolean {
  return isZero(subtractTotals(a, b));
}

/** Sum of absolute differences: how many calls are unaccounted for, either way. */
export function distance(a: Totals, b: Totals): number {
  return Object.values(subtractTotals(a, b)).reduce((n, v) => n + Math.abs(v), 0);
}

/** Keys sorted, zeros dropped: one spelling of equal totals (records, checkpoint). */
export function canonicalTotals(t: Totals): Record<string, number> {
  return totalsOf(Object.fromEntries(Object.entries(t).filter(([, v]) => v !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
