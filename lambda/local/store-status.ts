/**
 * Where a store stands, per operation, read from the store alone (no API call): the days by
 * the latest record of their completeness (cdr_4_verifications, read from the object names),
 * the last window stored, the calls of the day, the queued backfills and the quarantined
 * windows (the checkpoint). A few LISTs and GETs, whatever the size of the history: the
 * window objects are listed for one day only.
 */
import { jobWindowsLeft } from '../domain/backfill-left.ts';
import { parseCheckpoint, type Checkpoint } from '../domain/checkpoint.ts';
import { checkpointKey, DATA_TABLE, dayPrefix, STATE_DIR, tableRoot, VERIFICATION_TABLE } from '../domain/layout.ts';
import { DEFAULT_SILENT_DAYS, silentSince } from '../domain/vendor-model.ts';
import { formatDate, formatWall, parseWall, toWallClock } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { dayRanges, windowRanges, type LabelRange } from './day-ranges.ts';

/**
 * A day's standing: the status of its latest verification record, except `pending`, which
 * is `waiting` while the checkpoint still owes the day a check and `partial` once it gave up
 * on it (collected only in part). Any other status a later version writes is shown as is.
 */
export type DayStatus = 'verified' | 'changed' | 'waiting' | 'partial' | (string & {});

export interface DayRun extends LabelRange {
  readonly status: DayStatus;
}

export interface BackfillStatus {
  readonly from: string;
  readonly to: string;
  /** Where the job goes on (its top-down search, when `searching`, has spans before it too). */
  readonly next: string;
  readonly refetch: boolean;
  readonly searching: boolean;
  readonly windowsLeft: number;
}

export interface OperationStatus {
  readonly operation: string;
  readonly timeZone: string | null;
  /** Why the checkpoint could not be read, when it could not (the rest comes from the records). */
  readonly checkpointError?: string;
  readonly updatedAt: string | null;
  /** Days in date order, consecutive days of one status as one run. */
  readonly days: readonly DayRun[];
  /** Days per status. */
  readonly dayCounts: Readonly<Record<string, number>>;
  /** Start of the latest window whose data object is stored (`YYYY-MM-DD HH:mm:ss`, operation wall clock). */
  readonly lastWindowStored: string | null;
  /** The schedule's next window, null when no scheduled run has run. */
  readonly nextScheduledWindow: string | null;
  readonly callsToday: { readonly day: string; readonly calls: number; readonly cap: number | null };
  /** The token's allowance as token_info told it today (every integration's use at the reading), null when not read today. */
  readonly allowance: { readonly readAt: string; readonly limit: number | null; readonly usedAtRead: number | null } | null;
  /** 'non-additive' once days were found not to add up. */
  readonly vendorMode: 'additive' | 'non-additive';
  /** Since when (`YYYY-MM-DD HH:mm:ss`, wall clock) no answer has shown a call, when that is longer than `silentDays` (the ReportSilent alarm), as the last run judged it; null otherwise. */
  readonly silence: { readonly since: string; readonly silentDays: number } | null;
  /** No API call before this instant (the vendor said TOKEN LIMIT EXCEEDED). */
  readonly tokenLimitUntil: string | null;
  readonly backfills: readonly BackfillStatus[];
  readonly quarantined: readonly LabelRange[];
  /** Windows that failed non-transiently, with the runs in a row they did (quarantined at 3). */
  readonly failing: Readonly<Record<string, number>>;
}

export interface StoreStatus {
  readonly where: string;
  readonly operations: readonly OperationStatus[];
}

/** `{status}-{YYYYMMDDTHHMMSSZ}-{id}.json` under `operation=X/dt=D/`. */
const RECORD_KEY = /operation=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/(.+)-(\d{8}T\d{6}Z)-[^/-]+\.json$/;
const CHECKPOINT_KEY = /operation=([^/]+)\/checkpoint\.json$/;

interface LatestRecord {
  status: string;
  stamp: string;
  key: string;
  /** Other records of the same second: their order needs the checked_at inside. */
  ties: string[];
}

/** The latest record per operation and day, by the compact time in its name. */
async function latestRecords(store: ObjectStore, prefix: string): Promise<Map<string, Map<string, LatestRecord>>> {
  const byOperation = new Map<string, Map<string, LatestRecord>>();
  for (const { key } of await store.list(tableRoot(prefix, VERIFICATION_TABLE))) {
    const m = RECORD_KEY.exec(key);
    if (!m) continue;
    const [, operation, day, status, stamp] = m as unknown as [string, string, string, string, string];
    const days = byOperation.get(operation) ?? new Map<string, LatestRecord>();
    byOperation.set(operation, days);
    const seen = days.get(day);
    if (!seen || stamp > seen.stamp) days.set(day, { status, stamp, key, ties: [] });
    else if (stamp === seen.stamp) seen.ties.push(key);
  }
  // Two records of one second (a day found complete in the run that stored it): the one made later wins.
  for (const days of byOperation.values()) {
    for (const latest of days.values()) {
      if (latest.ties.length === 0) continue;
      const stamped = await Promise.all([latest.key, ...latest.ties].map(async (key) => ({ key, at: checkedAt(await store.get(key)) })));
      const last = stamped.reduce((a, b) => (b.at > a.at ? b : a));
      latest.status = RECORD_KEY.exec(last.key)![3]!;
    }
  }
  return byOperation;
}

function checkedAt(body: string | null): string {
  try {
    return String((JSON.parse(body ?? '') as { checked_at?: unknown }).checked_at ?? '');
  } catch {
    return '';
  }
}

async function operationsWithState(store: ObjectStore, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { key } of await store.list(`${tableRoot(prefix, STATE_DIR)}${DATA_TABLE}/`)) {
    const m = CHECKPOINT_KEY.exec(key);
    if (m) out.set(m[1]!, key);
  }
  return out;
}

async function readCheckpoint(store: ObjectStore, prefix: string, operation: string): Promise<{ cp?: Checkpoint; error?: string }> {
  const key = checkpointKey(prefix, operation);
  const text = await store.get(key);
  if (text === null) return {};
  try {
    // Its own zone is the one to read it in: status compares it with nothing.
    const zone = (JSON.parse(text) as { timezone?: unknown }).timezone;
    return { cp: parseCheckpoint(text, store.describe(key), { operation, timeZone: typeof zone === 'string' ? zone : '' }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function dayStatusOf(record: LatestRecord | undefined, owed: boolean): DayStatus {
  if (!record) return 'waiting';
  if (record.status === 'pending') return owed ? 'waiting' : 'partial';
  return record.status;
}

/** Consecutive days of one status, in date order. */
export function dayRuns(statusByDay: ReadonlyMap<string, DayStatus>): DayRun[] {
  const byStatus = new Map<DayStatus, string[]>();
  for (const [day, status] of statusByDay) byStatus.set(status, [...(byStatus.get(status) ?? []), day]);
  const runs = [...byStatus].flatMap(([status, days]) => dayRanges(days).map((r) => ({ ...r, status })));
  return runs.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** The window starts (`YYYY-MM-DD HH:mm:ss`) of the data objects stored for one day. */
async function storedWindowsOf(store: ObjectStore, prefix: string, operation: string, day: string): Promise<string[]> {
  const starts: string[] = [];
  for (const o of await store.list(dayPrefix(prefix, DATA_TABLE, operation, day))) {
    const m = /\/(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-\d{14}\.json$/.exec(o.key);
    if (m) starts.push(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`);
  }
  return starts;
}

/** The latest window stored: the window objects of the latest day that has any (one LIST per day tried). */
async function lastWindowStored(store: ObjectStore, prefix: string, operation: string, candidateDays: Iterable<string>): Promise<string | null> {
  for (const day of [...new Set(candidateDays)].sort().reverse()) {
    const starts = await storedWindowsOf(store, prefix, operation, day);
    if (starts.length > 0) return starts.sort().at(-1)!;
  }
  return null;
}

/** Backfill jobs with the windows left, counting stored windows of a search cut short as done (as the range's summary does). */
async function backfillsOf(store: ObjectStore, prefix: string, cp: Checkpoint): Promise<BackfillStatus[]> {
  const out: BackfillStatus[] = [];
  for (const job of cp.backfills) {
    const saved = cp.searches[`job:${job.from}|${job.to}`] ?? [];
    const search = saved.map((n) => ({ fromWall: parseWall(n.from)!, toWall: parseWall(n.to)! }));
    const stored = new Set<number>();
    for (const day of new Set(search.flatMap((s) => daysOf(s.fromWall, s.toWall)))) {
      for (const start of await storedWindowsOf(store, prefix, cp.operation, day)) stored.add(parseWall(start)!);
    }
    out.push({ from: job.from, to: job.to, next: job.next, refetch: job.refetch, searching: search.length > 0, windowsLeft: jobWindowsLeft({ nextWall: parseWall(job.next)!, toWall: parseWall(job.to)!, refetch: job.refetch }, search, (t) => stored.has(t)) });
  }
  return out;
}

function daysOf(fromWall: number, toWall: number): string[] {
  const days: string[] = [];
  for (let t = fromWall - (fromWall % (24 * 3_600_000)); t < toWall; t += 24 * 3_600_000) days.push(formatDate(t));
  return days;
}

export interface StatusOptions {
  readonly prefix: string;
  /** DAILY_CALL_CAP as set where status runs. */
  readonly cap: number | undefined;
  /** SILENT_DAYS as set where status runs (default 7). */
  readonly silentDays?: number;
  readonly now: number;
}

/** A silence longer than `silentDays`, judged as a run judges it: up to the last answer the checkpoint knows of. */
function silenceOf(cp: Checkpoint | undefined, silentDays: number): OperationStatus['silence'] {
  if (!cp || cp.watched_from === null || cp.looked_until === null) return null;
  const lastCall = cp.last_call_seen === null ? null : parseWall(cp.last_call_seen)!;
  const since = silentSince(lastCall, parseWall(cp.watched_from)!, parseWall(cp.looked_until)!, silentDays);
  return since === undefined ? null : { since: formatWall(since), silentDays };
}

/** Reads where every operation of the store stands. */
export async function readStoreStatus(store: ObjectStore, o: StatusOptions): Promise<StoreStatus> {
  const [records, states] = await Promise.all([latestRecords(store, o.prefix), operationsWithState(store, o.prefix)]);
  const operations = [...new Set([...states.keys(), ...records.keys()])].sort();
  const out: OperationStatus[] = [];
  for (const operation of operations) {
    const { cp, error } = states.has(operation) ? await readCheckpoint(store, o.prefix, operation) : {};
    const latest = records.get(operation) ?? new Map<string, LatestRecord>();
    const owed = new Set(Object.keys(cp?.verify_days ?? {}));
    const statusByDay = new Map<string, DayStatus>();
    for (const day of new Set([...latest.keys(), ...owed])) statusByDay.set(day, dayStatusOf(latest.get(day), owed.has(day)));
    const dayCounts: Record<string, number> = {};
    for (const status of statusByDay.values()) dayCounts[status] = (dayCounts[status] ?? 0) + 1;
    const nextWindow = cp?.next_window ?? null;
    const candidates = [...statusByDay.keys(), ...(cp?.days_dirty ?? []), ...(nextWindow ? [formatDate(parseWall(nextWindow)! - WINDOW_MS)] : [])];
    const today = cp ? formatDate(toWallClock(o.now, cp.timezone)) : formatDate(o.now);
    out.push({
      operation,
      timeZone: cp?.timezone ?? null,
      ...(error ? { checkpointError: error } : {}),
      updatedAt: cp?.updated_at ?? null,
      days: dayRuns(new Map([...statusByDay].sort())),
      dayCounts,
      lastWindowStored: await lastWindowStored(store, o.prefix, operation, candidates),
      nextScheduledWindow: nextWindow,
      callsToday: { day: today, calls: cp?.budget?.day === today ? cp.budget.calls : 0, cap: o.cap ?? null },
      allowance: cp?.allowance?.day === today ? { readAt: cp.allowance.read_at, limit: cp.allowance.limit, usedAtRead: cp.allowance.used } : null,
      vendorMode: cp?.vendor_mode ?? 'additive',
      silence: silenceOf(cp, o.silentDays ?? DEFAULT_SILENT_DAYS),
      tokenLimitUntil: cp?.token_limit_until && Date.parse(cp.token_limit_until) > o.now ? cp.token_limit_until : null,
      backfills: cp ? await backfillsOf(store, o.prefix, cp) : [],
      quarantined: windowRanges(cp?.quarantined ?? []),
      failing: cp?.failures ?? {},
    });
  }
  return { where: store.describe(o.prefix), operations: out };
}
