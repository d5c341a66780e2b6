/**
 * Keeps the `cdr_4_daily` objects level with the window objects. The window objects are
 * the source of truth; a day object is a copy of one day of them, rewritten whole at its
 * fixed key. Each day object's manifest names the window objects and store versions it
 * holds, so a refresh reads only what changed since: per touched day 1 LIST + 1 GET +
 * one GET per new or rewritten window + at most 1 PUT, and no vendor call.
 *
 * A run that dies before (or during) a refresh leaves the day object as it was: behind,
 * still a faithful copy of the windows it names; the next refresh of that day catches up.
 */
// zod/mini, as everywhere in the Lambda: the classic API adds ~400 KB to the bundle.
import * as z from 'zod/mini';
import { DATA_TABLE, dailyKey, dayPrefix } from '../domain/layout.ts';
import type { DataRow } from '../domain/columns.ts';
import { DayObjectError, decodeDay, encodeDay, type DayWindow } from '../domain/daily-parquet.ts';
import { CollectorError } from '../domain/errors.ts';
import { totalsOfRows, type Totals } from '../domain/totals.ts';
import { parseWall } from '../domain/wall-clock.ts';
import { PARQUET, type ObjectStore } from '../storage/object-store.ts';
import { silentLog, type Log } from './ports.ts';

export interface DayScope {
  readonly prefix: string;
  readonly operation: string;
}

export interface DayRefreshSummary {
  /** Distinct days looked at. */
  readonly days: number;
  /** Day objects written (new, or changed since the last refresh). */
  readonly daysRewritten: number;
  /** Window objects read (GET) because they were new or rewritten. */
  readonly windowsRead: number;
  /** Rows in the day objects written. */
  readonly rows: number;
  /** Days left as they were because of an error (logged); refresh them again later. */
  readonly failedDays: readonly string[];
  /** Days not started because `shouldStop` said so; refresh them again later. */
  readonly skippedDays: readonly string[];
}

export interface RefreshOptions {
  readonly log?: Log;
  /** Asked before each day: true leaves the remaining days for a later run (the Lambda's deadline). */
  readonly shouldStop?: () => boolean;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** A window object's key below its day's folder, as layout.dataKey writes it. */
const WINDOW_KEY = /^hour=\d{2}\/(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-\d{14}\.json$/;
/**
 * GETs in flight while a day's windows are read (S3 latency, not bandwidth, bounds a day): a
 * day read back for its verification takes about as long as the day's call when 48 are out.
 * Below the SDK's 50 sockets, so the writes that overlap it do not queue.
 */
const READ_CONCURRENCY = 48;
/**
 * Days refreshed at once: a run's closing refresh is mostly days its verification already
 * levelled (a LIST and the day object read) and today's; two at once keep reads under twice the sockets.
 */
const DAYS_AT_ONCE = 2;

const rowSchema = z.object({
  window_start: z.string(),
  window_end: z.string(),
  window_start_utc: z.string(),
  window_end_utc: z.string(),
  timezone: z.string(),
  interval: z.string(),
  interval_min_seconds: z.nullable(z.int()),
  interval_max_seconds: z.nullable(z.int()),
  calls: z.nullable(z.int()),
  minutes: z.nullable(z.number()),
  cost: z.nullable(z.number()),
  percentage: z.nullable(z.number()),
  revision: z.int(),
  fetch_id: z.string(),
  collected_at: z.string(),
}) satisfies z.ZodMiniType<DataRow>;

/** A window object that cannot become day rows (not NDJSON of cdr_4 rows of its window): the day is left as it was. */
export class WindowObjectError extends CollectorError {
  readonly retryable = false;
}

/** `{prefix}/cdr_4/operation={op}/dt={day}/`: where a day's window objects live. */
export function dayWindowsPrefix(scope: DayScope, day: string): string {
  return dayPrefix(scope.prefix, DATA_TABLE, scope.operation, day);
}

export async function refreshDays(store: ObjectStore, scope: DayScope, days: Iterable<string>, options: RefreshOptions = {}): Promise<DayRefreshSummary> {
  const log = options.log ?? silentLog;
  const unique = [...new Set(days)].sort();
  for (const day of unique) if (!DAY_PATTERN.test(day)) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  let daysRewritten = 0;
  let windowsRead = 0;
  let rows = 0;
  const failedDays: string[] = [];
  const skippedDays: string[] = [];
  await mapPool(unique, DAYS_AT_ONCE, async (day) => {
    if (skippedDays.length > 0 || options.shouldStop?.()) {
      skippedDays.push(day);
      return;
    }
    try {
      const out = await refreshDay(store, scope, day, log);
      windowsRead += out.windowsRead;
      if (out.rewritten) {
        daysRewritten += 1;
        rows += out.rows;
      }
    } catch (error) {
      failedDays.push(day);
      log.error('day object not refreshed; it stays as it was until a later refresh', { day, operation: scope.operation, error: (error as Error).message, errorClass: (error as Error).name });
    }
  });
  failedDays.sort();
  skippedDays.sort();
  if (skippedDays.length) log.info('day objects left for a later run (out of time)', { operation: scope.operation, days: skippedDays.length, first: skippedDays[0] });
  return { days: unique.length, daysRewritten, windowsRead, rows, failedDays, skippedDays };
}

/**
 * Calls per interval of every stored window of a day, read back from the store (never from
 * what the collector remembers writing): the day object for the windows it holds at their
 * listed version, a GET for each window object newer than it. Keys: window start (wall ms).
 */
export async function readDayTotals(store: ObjectStore, scope: DayScope, day: string, log: Log = silentLog): Promise<Map<number, Totals>> {
  return totalsByStart((await dayWindows(store, scope, day, log)).windows);
}

/**
 * The same, bringing the day object level on the way (what a verification reads: the windows
 * it reads back are then in the day object, so the run's closing refresh has nothing to read).
 * The totals come as soon as the windows are read; `written` lands with the day object.
 */
export async function levelDayTotals(store: ObjectStore, scope: DayScope, day: string, log: Log = silentLog): Promise<{ totals: Map<number, Totals>; written: Promise<void> }> {
  const read = await dayWindows(store, scope, day, log);
  // Encoded on a later turn: the caller acts on the totals (its own writes go out) first.
  const written = new Promise<void>((resolve) => setImmediate(resolve)).then(() => writeIfChanged(store, scope, day, read, log)).then(() => undefined);
  written.catch(() => undefined);
  return { totals: totalsByStart(read.windows), written };
}

/** Which windows of a day are stored (one LIST, nothing read). */
export async function storedWindowStarts(store: ObjectStore, scope: DayScope, day: string, log: Log = silentLog): Promise<Set<number>> {
  return new Set((await listWindows(store, dayWindowsPrefix(scope, day), log)).map((o) => parseWall(o.start)!));
}

function totalsByStart(windows: readonly DayWindow[]): Map<number, Totals> {
  const out = new Map<number, Totals>();
  for (const w of windows) {
    const m = WINDOW_KEY.exec(w.key);
    if (m) out.set(parseWall(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`)!, totalsOfRows(w.rows));
  }
  return out;
}

/** The day's window objects as stored now: from the day object where it is current, read where not. */
async function dayWindows(store: ObjectStore, scope: DayScope, day: string, log: Log) {
  const prefix = dayWindowsPrefix(scope, day);
  const dayKey = dailyKey(scope.prefix, scope.operation, day);
  const [listed, held] = await Promise.all([listWindows(store, prefix, log), readDayObject(store, dayKey, log)]);
  const heldByKey = new Map((held.windows ?? []).map((w) => [w.key, w]));
  const stale = listed.filter((o) => heldByKey.get(o.key)?.version !== o.version);
  const fresh = new Map((await mapPool(stale, READ_CONCURRENCY, (o) => readWindow(store, o))).map((w, i) => [stale[i]!.key, w]));
  const windows: DayWindow[] = [];
  for (const o of listed) {
    // A stale window read as null was listed, then removed before its GET: no longer a window of the day.
    const w = fresh.has(o.key) ? fresh.get(o.key) : heldByKey.get(o.key);
    if (w) windows.push(w);
  }
  return { dayKey, held, heldByKey, stale, windows };
}

async function refreshDay(store: ObjectStore, scope: DayScope, day: string, log: Log): Promise<{ rewritten: boolean; windowsRead: number; rows: number }> {
  return writeIfChanged(store, scope, day, await dayWindows(store, scope, day, log), log);
}

/** Writes the day object from the day's windows as read, unless it already holds exactly them. */
async function writeIfChanged(store: ObjectStore, scope: DayScope, day: string, read: Awaited<ReturnType<typeof dayWindows>>, log: Log): Promise<{ rewritten: boolean; windowsRead: number; rows: number }> {
  const { dayKey, held, heldByKey, stale, windows } = read;
  const kept = new Set(windows.map((w) => w.key));
  const gone = [...heldByKey.keys()].some((k) => !kept.has(k));
  // Without a usable day object, write one when there are windows, or to replace an unusable one.
  const changed = held.windows === null ? windows.length > 0 || held.existed : stale.length > 0 || gone;
  if (!changed) return { rewritten: false, windowsRead: stale.length, rows: 0 };

  const bytes = encodeDay(windows);
  await store.put(dayKey, bytes, PARQUET);
  const rowCount = windows.reduce((n, w) => n + w.rows.length, 0);
  log.debug('day object written', { day, operation: scope.operation, windows: windows.length, windowsRead: stale.length, rows: rowCount, bytes: bytes.byteLength });
  return { rewritten: true, windowsRead: stale.length, rows: rowCount };
}

/** A window object of the day: its key below the day's folder, as the manifest records it. */
interface ListedWindow {
  readonly fullKey: string;
  readonly key: string;
  readonly version: string;
  /** The window start its key names (`YYYY-MM-DD HH:mm:ss`); its rows must all carry it. */
  readonly start: string;
}

async function listWindows(store: ObjectStore, prefix: string, log: Log): Promise<ListedWindow[]> {
  const windows: ListedWindow[] = [];
  const ignored: string[] = [];
  for (const o of await store.list(prefix)) {
    const key = o.key.slice(prefix.length);
    const m = WINDOW_KEY.exec(key);
    if (!m) {
      ignored.push(o.key);
      continue;
    }
    const [, y, mo, d, h, mi, s] = m;
    windows.push({ fullKey: o.key, key, version: o.version, start: `${y}-${mo}-${d} ${h}:${mi}:${s}` });
  }
  if (ignored.length) log.warn('objects that are not window objects ignored', { prefix, ignored: ignored.length, examples: ignored.slice(0, 3) });
  return windows;
}

/**
 * The windows the current day object holds, or null to rebuild the day from its windows:
 * no object yet, or one this collector cannot use (unreadable, older format).
 */
async function readDayObject(store: ObjectStore, key: string, log: Log): Promise<{ windows: readonly DayWindow[] | null; existed: boolean }> {
  const bytes = await store.getBytes(key);
  if (bytes === null) return { windows: null, existed: false };
  try {
    return { windows: (await decodeDay(bytes)).windows, existed: true };
  } catch (error) {
    if (!(error instanceof DayObjectError)) throw error;
    log.warn('day object unusable; rebuilding it from its window objects', { key: store.describe(key), reason: error.message });
    return { windows: null, existed: true };
  }
}

async function readWindow(store: ObjectStore, listed: ListedWindow): Promise<DayWindow | null> {
  const text = await store.get(listed.fullKey);
  if (text === null) return null;
  const where = store.describe(listed.fullKey);
  const rows: DataRow[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new WindowObjectError(`${where} line ${i + 1} is not JSON: ${(cause as Error).message}`, { key: listed.fullKey });
    }
    const parsed = rowSchema.safeParse(json);
    if (!parsed.success) throw new WindowObjectError(`${where} line ${i + 1} is not a cdr_4 row: ${parsed.error.message}`, { key: listed.fullKey });
    if (parsed.data.window_start !== listed.start) throw new WindowObjectError(`${where} line ${i + 1} is a row of window ${parsed.data.window_start}, not ${listed.start}`, { key: listed.fullKey });
    rows.push(parsed.data);
  }
  // The listed version, not a newer one: if the object changed after the LIST, the next
  // refresh sees another version and reads it again (never the reverse).
  return { key: listed.key, version: listed.version, rows };
}

async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
