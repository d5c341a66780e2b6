/**
 * The checkpoint as stored (labels and ISO strings, validated in domain/checkpoint.ts) and as a
 * run holds it (windows, days and instants as values): the one place where the engine turns
 * one into the other. Everything else in the engine works on values.
 */
import { type Checkpoint, type SavedSettleNode } from '../domain/checkpoint.ts';
import { dayLabel, parseDay, type Day } from '../domain/day.ts';
import type { SettleNode } from '../domain/settle.ts';
import { formatWall, parseWall } from '../domain/wall-clock.ts';
import type { Window } from '../domain/window.ts';
import type { Job, PendingDay, StateData } from './run-state.ts';

/** Where a job's search in progress is kept in `searches`. */
export function jobSearchKey(job: Pick<Job, 'from' | 'to'>): string {
  return `job:${formatWall(job.from.startWall)}|${formatWall(job.to.startWall)}`;
}

/** Where the search that fills a day's missing windows before its check is kept in `searches`. */
export function fillSearchKey(day: Day): string {
  return `fill:${dayLabel(day)}`;
}

/** Where a day's verification search in progress is kept in `searches`. */
export function verifySearchKey(day: Day): string {
  return `verify:${dayLabel(day)}`;
}

export const RECONCILE_SEARCH = 'reconcile';
export const QUIET_SEARCH = 'quiet';

/** The run's state from a checkpoint read and validated (the zone is the checkpoint's own). */
export function decodeState(cp: Checkpoint): StateData {
  const tz = cp.timezone;
  const win = (label: string): Window => ({ startWall: wall(label), timeZone: tz });
  const maybe = (label: string | null): Window | null => (label === null ? null : win(label));
  return {
    nextWindow: maybe(cp.next_window),
    liveFrom: maybe(cp.live_from),
    tokenLimitUntil: cp.token_limit_until === null ? null : Date.parse(cp.token_limit_until),
    restateNext: maybe(cp.restate_next),
    failures: new Map(Object.entries(cp.failures).map(([label, n]) => [wall(label), n])),
    quarantined: new Set(cp.quarantined.map(wall)),
    backfills: cp.backfills.map((b) => ({ from: win(b.from), to: win(b.to), next: win(b.next), requestedAt: Date.parse(b.requested_at), refetch: b.refetch })),
    budget: cp.budget === null ? null : { day: day(cp.budget.day), calls: cp.budget.calls, checkCalls: cp.check_budget?.day === cp.budget.day ? cp.check_budget.calls : 0 },
    allowance: cp.allowance === null ? null : { readAt: Date.parse(cp.allowance.read_at), day: day(cp.allowance.day), limit: cp.allowance.limit, usedAtRead: cp.allowance.used, oursAtRead: cp.allowance.ours_at_read },
    vendorMode: cp.vendor_mode,
    vendorModeSince: cp.vendor_mode_since === null ? null : Date.parse(cp.vendor_mode_since),
    unreconcilable: new Set(cp.unreconcilable_days.map(day)),
    leftUnverified: new Set(cp.unverified_days.map(day)),
    lastCallSeen: cp.last_call_seen === null ? null : wall(cp.last_call_seen),
    watchedFrom: cp.watched_from === null ? null : wall(cp.watched_from),
    lookedUntil: cp.looked_until === null ? null : wall(cp.looked_until),
    lookedBack: cp.looked_back,
    daysDirty: new Set(cp.days_dirty.map(day)),
    verifyDays: new Map(Object.entries(cp.verify_days).map(([label, p]) => [day(label), pendingOf(p)])),
    searches: new Map(Object.entries(cp.searches).map(([k, nodes]) => [k, nodes.map(nodeFromSaved)])),
    quietSince: maybe(cp.quiet_since),
    lateShare: cp.late_share,
  };
}

/** The checkpoint that records `data` (labels in the operation's zone). */
export function encodeState(data: StateData, meta: { readonly operation: string; readonly timeZone: string; readonly now: number }): Checkpoint {
  const label = (w: Window | null): string | null => (w === null ? null : formatWall(w.startWall));
  const byLabel = <T>(entries: Iterable<[Day, T]>) => [...entries].sort(([a], [b]) => a - b).map(([d, v]) => [dayLabel(d), v] as const);
  return {
    version: 1,
    operation: meta.operation,
    timezone: meta.timeZone,
    next_window: label(data.nextWindow),
    live_from: label(data.liveFrom),
    token_limit_until: data.tokenLimitUntil === null ? null : new Date(data.tokenLimitUntil).toISOString(),
    failures: Object.fromEntries([...data.failures].map(([w, n]) => [formatWall(w), n])),
    quarantined: [...data.quarantined].sort((a, b) => a - b).map(formatWall),
    restate_next: label(data.restateNext),
    backfills: data.backfills.map((b) => ({ from: formatWall(b.from.startWall), to: formatWall(b.to.startWall), next: formatWall(b.next.startWall), requested_at: new Date(b.requestedAt).toISOString(), refetch: b.refetch })),
    budget: data.budget === null ? null : { day: dayLabel(data.budget.day), calls: data.budget.calls },
    check_budget: data.budget === null ? null : { day: dayLabel(data.budget.day), calls: data.budget.checkCalls },
    allowance: data.allowance === null ? null : { read_at: new Date(data.allowance.readAt).toISOString(), day: dayLabel(data.allowance.day), limit: data.allowance.limit, used: data.allowance.usedAtRead, ours_at_read: data.allowance.oursAtRead },
    vendor_mode: data.vendorMode,
    vendor_mode_since: data.vendorModeSince === null ? null : new Date(data.vendorModeSince).toISOString(),
    unreconcilable_days: [...data.unreconcilable].sort((a, b) => a - b).map(dayLabel),
    unverified_days: [...data.leftUnverified].sort((a, b) => a - b).map(dayLabel),
    last_call_seen: data.lastCallSeen === null ? null : formatWall(data.lastCallSeen),
    watched_from: data.watchedFrom === null ? null : formatWall(data.watchedFrom),
    looked_until: data.lookedUntil === null ? null : formatWall(data.lookedUntil),
    looked_back: data.lookedBack,
    days_dirty: [...data.daysDirty].sort((a, b) => a - b).map(dayLabel),
    verify_days: Object.fromEntries(byLabel(data.verifyDays).map(([d, p]) => [d, savedPending(p)])),
    searches: Object.fromEntries([...data.searches].filter(([, nodes]) => nodes.length > 0).map(([k, nodes]) => [k, nodes.map(nodeToSaved)])),
    quiet_since: label(data.quietSince),
    late_share: data.lateShare,
    updated_at: new Date(meta.now).toISOString(),
  };
}

/** Labels were validated with the checkpoint: a window start, a day. */
function wall(label: string): number {
  const ms = parseWall(label);
  if (ms === undefined) throw new RangeError(`not a wall-clock label: ${label}`);
  return ms;
}

function day(label: string): Day {
  const d = parseDay(label);
  if (d === undefined) throw new RangeError(`not a day: ${label}`);
  return d;
}

function pendingOf(p: Checkpoint['verify_days'][string]): PendingDay {
  return {
    since: Date.parse(p.since),
    checks: p.checks,
    calls: p.calls,
    nextCheck: p.next_check === null ? null : Date.parse(p.next_check),
    ...(p.whole ? { whole: true } : {}),
    ...(p.restate_next ? { restateNext: wall(p.restate_next) } : {}),
    ...(p.check ? { check: { vendor: { ...p.check.vendor }, stored: { ...p.check.stored }, fetchId: p.check.fetch_id, calls: p.check.calls } } : {}),
  };
}

function savedPending(p: PendingDay): Checkpoint['verify_days'][string] {
  return {
    since: new Date(p.since).toISOString(),
    checks: p.checks,
    calls: p.calls,
    next_check: p.nextCheck === null ? null : new Date(p.nextCheck).toISOString(),
    ...(p.whole ? { whole: true } : {}),
    ...(p.restateNext !== undefined ? { restate_next: formatWall(p.restateNext) } : {}),
    ...(p.check ? { check: { vendor: p.check.vendor, stored: p.check.stored, fetch_id: p.check.fetchId, calls: p.check.calls } } : {}),
  };
}

function nodeFromSaved(n: SavedSettleNode): SettleNode {
  return { fromWall: wall(n.from), toWall: wall(n.to), ...(n.vendor ? { vendor: n.vendor } : {}), ...(n.parent ? { parent: n.parent } : {}), ...(n.filled ? { filled: true } : {}), ...(n.by ? { by: n.by } : {}), ...(n.fetched ? { fetched: wall(n.fetched) } : {}) };
}

function nodeToSaved(n: SettleNode): SavedSettleNode {
  return { from: formatWall(n.fromWall), to: formatWall(n.toWall), ...(n.vendor ? { vendor: { ...n.vendor } } : {}), ...(n.parent ? { parent: { ...n.parent } } : {}), ...(n.filled ? { filled: true } : {}), ...(n.by ? { by: n.by } : {}), ...(n.fetched !== undefined ? { fetched: formatWall(n.fetched) } : {}) };
}
