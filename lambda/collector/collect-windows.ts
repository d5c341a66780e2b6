import { randomBytes } from 'node:crypto';
import { parseCdr4Response, type ParsedReport } from '../domain/cdr4-report.ts';
import {
  CollectorError,
  StorageError,
  WolkvoxAuthError,
  WolkvoxBadJsonError,
  WolkvoxConcurrencyError,
  WolkvoxResponseError,
  WolkvoxTimeoutError,
  WolkvoxTokenBusyError,
  WolkvoxTokenLimitError,
  WolkvoxTransportError,
  errorClass,
} from '../domain/errors.ts';
import { dataKey, fetchLogKey } from '../domain/layout.ts';
import { METRIC } from '../domain/metrics.ts';
import { buildDataRows, buildFetchRecord, toNdjson, type FetchMeta } from '../domain/rows.ts';
import { spanDates, spanOf, type Span } from '../domain/span.ts';
import { totalsOfRows } from '../domain/totals.ts';
import { describeWindow, type Window } from '../domain/window.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { NDJSON } from '../storage/object-store.ts';
import type { Cdr4Client, RawAnswer } from '../wolkvox/cdr4-client.ts';
import type { TokenProvider } from '../wolkvox/token-provider.ts';
import type { Log, MetricsPort } from './ports.ts';

export interface CollectorDeps {
  readonly client: Cdr4Client;
  readonly token: TokenProvider;
  readonly store: ObjectStore;
  readonly log: Log;
  readonly metrics: MetricsPort;
  readonly clock: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly newFetchId?: (now: number) => string;
}

export interface CollectOptions {
  readonly operation: string;
  readonly prefix: string;
  readonly requestTimeoutMs: number;
  /** Epoch ms by which the run must have finished writing (Lambda's end minus a margin). */
  readonly deadline: number;
  /** Attempts per window for transient failures within one run. */
  readonly maxAttempts?: number;
  readonly backoffMs?: readonly number[];
  readonly revision?: number;
  /** Asked when a window failed non-transiently: true skips it (quarantine) instead of stopping. */
  readonly quarantine?: (w: Window, error: CollectorError) => boolean;
  /** Stop before a window once this many API calls were made (the daily cap's share). */
  readonly maxApiCalls?: number;
  /** Told about each window once its objects are durable (progress bars). */
  readonly onCollected?: (c: CollectedWindow) => void;
  /**
   * Awaited after each window is handled (collected or quarantined), in order: where the
   * caller records progress, so a killed run loses only what came after its last save.
   */
  readonly afterHandled?: (w: Window, outcome: 'collected' | 'quarantined') => Promise<void>;
  /** Checked before each window: true stops the run there (Ctrl-C), after the window in flight. */
  readonly shouldStop?: () => boolean;
  /** Told about each API call as it is made (the daily budget). */
  readonly onApiCall?: () => void;
  /** Revision of a window's rows when it differs per window (a refetch of stored windows: 2). */
  readonly revisionOf?: (w: Window) => number;
  /** Return without waiting for the last window's writes (they overlap the caller's next call): see CollectResult.tail. */
  readonly leaveLastWrite?: boolean;
  /**
   * What must be durable before a window's objects are written (its day marked in the
   * checkpoint): started as the window's call goes out, so that it lands while the call is
   * out, and awaited before the objects are written.
   */
  readonly beforeWrite?: (w: Window) => Promise<void>;
}

export type StopReason = 'done' | 'deadline' | 'budget' | 'transient-error' | 'token-limit' | 'failed' | 'interrupted';

export interface CollectedWindow {
  readonly window: Window;
  readonly rows: number;
  readonly callsByInterval: Readonly<Record<string, number>>;
}

/**
 * What was durably written, summed as it goes: a run over a year of windows holds no more
 * than a run over one (memory does not grow with the number of windows).
 */
export interface CollectedSummary {
  count: number;
  rows: number;
  readonly callsByInterval: Record<string, number>;
  first?: Window;
  last?: Window;
}

export function emptySummary(): CollectedSummary {
  return { count: 0, rows: 0, callsByInterval: {} };
}

/** A result with nothing handled yet (or nothing to do). */
export function emptyResult(): CollectResult {
  return { collected: emptySummary(), quarantined: [], handledCount: 0, stopReason: 'done', apiCalls: 0 };
}

/** Adds what `add` summed up to `into` (windows in any order: first and last are the extremes). */
export function mergeSummary(into: CollectedSummary, add: CollectedSummary): void {
  into.count += add.count;
  into.rows += add.rows;
  for (const [k, v] of Object.entries(add.callsByInterval)) into.callsByInterval[k] = (into.callsByInterval[k] ?? 0) + v;
  if (add.first && (!into.first || add.first.startWall < into.first.startWall)) into.first = add.first;
  if (add.last && (!into.last || add.last.startWall > into.last.startWall)) into.last = add.last;
}

/** Adds one window, durably written, to a summary. */
export function addCollected(into: CollectedSummary, c: CollectedWindow): void {
  mergeSummary(into, { count: 1, rows: c.rows, callsByInterval: c.callsByInterval, first: c.window, last: c.window });
}

export interface CollectResult {
  /** Windows durably written (in order, so `first`/`last` bound them). */
  readonly collected: CollectedSummary;
  /** Windows given up on this run (quarantined), in order. */
  readonly quarantined: Window[];
  /** Every window handled (collected or quarantined): always a prefix of the requested list. */
  handledCount: number;
  stopReason: StopReason;
  /** The window the run stopped at and why, unless it finished. */
  stoppedAt?: { window: Window; error: CollectorError };
  /** First window not handled when the run stopped early (for any reason): where a resumed job starts. */
  resumeAt?: Window;
  apiCalls: number;
  /** With `leaveLastWrite`: the last window's writes and its afterHandled, still landing. */
  tail?: Promise<void>;
}

/** Reserve kept after a request for writing its objects and the checkpoint. */
const WRITE_RESERVE_MS = 3_000;
/** A request given less than this is not worth starting. */
const MIN_REQUEST_MS = 2_000;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function newFetchId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

function asCollectorError(error: unknown): CollectorError {
  if (error instanceof CollectorError) return error;
  return new WolkvoxTransportError(`unexpected failure: ${errorClass(error)}`, { cause: error });
}

/** Non-transient answers for one window: retrying now gives the same answer. */
export function isWindowPoison(error: CollectorError): boolean {
  return error instanceof WolkvoxResponseError || error instanceof WolkvoxBadJsonError;
}

function retriesNow(error: CollectorError): boolean {
  if (error instanceof WolkvoxTimeoutError) return false;
  return error instanceof WolkvoxTransportError || error instanceof WolkvoxBadJsonError || error instanceof WolkvoxConcurrencyError;
}

/**
 * Collects the windows in order, one API call at a time. Writing a window's objects
 * overlaps the request for the next one, but a window counts as collected only once its
 * objects are durable, and the run stops at the first window it cannot collect, so the
 * collected windows are always a prefix of the list.
 */
export type Attempt = { ok: true; report: ParsedReport; meta: FetchMeta } | { ok: false; error: CollectorError; meta: FetchMeta };

export interface VendorCaller {
  /** One call (with the retries that may succeed now); the last failure's fetch record is not yet written. */
  attempt(target: Span, revision: number): Promise<Attempt>;
  /** Writes the fetch-log line of a call. */
  record(target: Window | Span, meta: FetchMeta, outcome: Parameters<typeof buildFetchRecord>[2]): Promise<void>;
  /** Calls made through this caller. */
  readonly calls: number;
}

/**
 * Makes calls the way every phase must: counted as they start (budget, metrics), a rejected
 * token re-read once, transient failures retried with backoff while time allows, each failed
 * attempt recorded in the fetch log at once.
 */
export function vendorCaller(deps: CollectorDeps, opts: Pick<CollectOptions, 'operation' | 'prefix' | 'requestTimeoutMs' | 'deadline' | 'maxAttempts' | 'backoffMs' | 'onApiCall'>): VendorCaller {
  const sleep = deps.sleep ?? defaultSleep;
  const makeId = deps.newFetchId ?? newFetchId;
  const maxAttempts = opts.maxAttempts ?? 3;
  const backoff = opts.backoffMs ?? [1_000, 4_000];
  let tokenRefreshed = false;
  let calls = 0;
  const timeLeft = () => opts.deadline - deps.clock();

  const record = (target: Window | Span, meta: FetchMeta, outcome: Parameters<typeof buildFetchRecord>[2]) =>
    deps.store.put(fetchLogKey(opts.prefix, opts.operation, target, meta.fetchId), toNdjson([buildFetchRecord(target, meta, outcome)]), NDJSON);

  const attemptOnce = async (span: Span, revision: number): Promise<Attempt> => {
    const requestTimeout = Math.min(opts.requestTimeoutMs, timeLeft() - WRITE_RESERVE_MS);
    const startedAt = deps.clock();
    const dates = spanDates(span);
    let answer: RawAnswer | undefined;
    let outcome: Attempt;
    calls += 1;
    opts.onApiCall?.();
    deps.metrics.count(METRIC.apiCalls, 1);
    deps.log.debug('cdr_4 request', { ...dates, timeout_ms: requestTimeout });
    try {
      answer = await deps.client.fetchSpan(span, requestTimeout);
      const report = parseCdr4Response(answer.status, answer.body, dates);
      outcome = { ok: true, report, meta: metaOf(answer) };
    } catch (error) {
      outcome = { ok: false, error: asCollectorError(error), meta: metaOf(answer) };
    }
    if (!outcome.ok) {
      deps.metrics.count(METRIC.fetchFailures, 1);
      deps.log.warn('cdr_4 request failed', { ...dates, error_class: errorClass(outcome.error), retryable: outcome.error.retryable, message: outcome.error.message, http_status: outcome.meta.httpStatus });
    }
    return outcome;

    function metaOf(a: RawAnswer | undefined): FetchMeta {
      const now = deps.clock();
      return {
        fetchId: makeId(a?.requestedAt ?? startedAt),
        requestedAt: a?.requestedAt ?? startedAt,
        latencyMs: a?.latencyMs ?? now - startedAt,
        httpStatus: a?.status ?? null,
        body: a?.body ?? null,
        revision,
        collectedAt: now,
      };
    }
  };

  return {
    get calls() {
      return calls;
    },
    record,
    async attempt(span, revision) {
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await attemptOnce(span, revision);
        if (outcome.ok) return outcome;
        const error = outcome.error;
        if (error instanceof WolkvoxAuthError && !tokenRefreshed) {
          // The secret may have been rotated since this container read it. The same token again
          // (a CLI token, a secret not rotated) would only get the same answer: no second call.
          tokenRefreshed = true;
          const before = await deps.token.get();
          if ((await deps.token.refresh()) === before) return outcome;
          await record(span, outcome.meta, { error });
          continue;
        }
        const wait = backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 0;
        if (!(retriesNow(error) && attempt < maxAttempts && timeLeft() - wait >= MIN_REQUEST_MS + WRITE_RESERVE_MS)) return outcome;
        // A failed call is recorded at once: if the run dies later, the log still says why.
        await record(span, outcome.meta, { error });
        await sleep(wait);
      }
    },
  };
}

/** Whether a run may start another call now; the stop reason when not. */
export function mayCall(deps: CollectorDeps, opts: Pick<CollectOptions, 'deadline' | 'shouldStop'>, callsMade: number, maxApiCalls: number): StopReason | undefined {
  if (opts.shouldStop?.()) return 'interrupted';
  if (opts.deadline - deps.clock() < MIN_REQUEST_MS + WRITE_RESERVE_MS) return 'deadline';
  if (callsMade >= maxApiCalls) return 'budget';
  return undefined;
}

export async function collectWindows(deps: CollectorDeps, opts: CollectOptions, windows: Iterable<Window> | AsyncIterable<Window>): Promise<CollectResult> {
  const revision = opts.revision ?? 1;
  const result = emptyResult();
  const caller = vendorCaller(deps, opts);
  let pending: { window: Window; promise: Promise<void>; done: () => void } | undefined;
  let current: Window | undefined;

  const timeLeft = () => opts.deadline - deps.clock();
  const writeFetchRecord = caller.record;

  /** Waits for the previous window's writes; false when they failed (the run must stop there). */
  const settlePending = async (): Promise<boolean> => {
    if (!pending) return true;
    const previous = pending;
    pending = undefined;
    try {
      await previous.promise;
    } catch (error) {
      result.stopReason = 'transient-error';
      result.stoppedAt = { window: previous.window, error: asCollectorError(error) };
      return false;
    }
    previous.done();
    await opts.afterHandled?.(previous.window, 'collected');
    return true;
  };

  const attemptWithRetries = async (w: Window): Promise<Attempt> => {
    try {
      return await caller.attempt(spanOf(w), opts.revisionOf?.(w) ?? revision);
    } finally {
      result.apiCalls = caller.calls;
    }
  };

  try {
    for await (const w of windows) {
      current = w;
      if (opts.shouldStop?.()) {
        result.stopReason = 'interrupted';
        break;
      }
      if (timeLeft() < MIN_REQUEST_MS + WRITE_RESERVE_MS) {
        result.stopReason = 'deadline';
        break;
      }
      if (result.apiCalls >= (opts.maxApiCalls ?? Number.POSITIVE_INFINITY)) {
        result.stopReason = 'budget';
        break;
      }
      const busyUntil = deps.client.busyUntil();
      if (busyUntil > deps.clock()) {
        if (!(await settlePending())) break;
        result.stopReason = 'transient-error';
        result.stoppedAt = { window: w, error: new WolkvoxTokenBusyError(`an earlier request timed out and may still hold the token until ${new Date(busyUntil).toISOString()}`, {}) };
        break;
      }
      const ready = opts.beforeWrite?.(w).then(
        () => undefined,
        (error: unknown) => asCollectorError(error),
      );
      // A throw here is not a failed call (a failed write or secret read): nothing to record for it.
      const outcome: Attempt | { ok: false; error: CollectorError; meta?: undefined } = await attemptWithRetries(w).catch((error: unknown) => ({ ok: false as const, error: asCollectorError(error) }));
      // Awaited on every path: nothing this window started is left running when the loop ends.
      const notReady = await ready;
      if (!(await settlePending())) break;
      if (notReady && outcome.ok) {
        // Its day could not be marked: the answer is not written (a run that died after writing
        // it would leave the day unmarked). The next run asks for the window again.
        result.stoppedAt = { window: w, error: notReady };
        result.stopReason = notReady.retryable ? 'transient-error' : 'failed';
        break;
      }

      if (!outcome.ok) {
        const error = outcome.error;
        const quarantine = isWindowPoison(error) && (opts.quarantine?.(w, error) ?? false);
        if (outcome.meta) await writeFetchRecord(w, outcome.meta, { error, quarantined: quarantine });
        if (quarantine) {
          result.quarantined.push(w);
          result.handledCount += 1;
          await opts.afterHandled?.(w, 'quarantined');
          continue;
        }
        result.stoppedAt = { window: w, error };
        result.stopReason = error instanceof WolkvoxTokenLimitError ? 'token-limit' : error.retryable ? 'transient-error' : 'failed';
        break;
      }

      const { report, meta } = outcome;
      const rows = buildDataRows(w, report, meta);
      const callsByInterval = totalsOfRows(rows);
      const key = dataKey(opts.prefix, opts.operation, w);
      const writeStarted = deps.clock();
      const promise = Promise.all([deps.store.put(key, toNdjson(rows), NDJSON), writeFetchRecord(w, meta, { report, rowCount: rows.length })]).then(() => {
        deps.log.debug('window stored', { window_start: describeWindow(w).window_start, http_status: meta.httpStatus, latency_ms: Math.round(meta.latencyMs), rows: rows.length, write_ms: deps.clock() - writeStarted, key: deps.store.describe(key) });
      });
      // Keep an unobserved rejection from crashing the process while the next request runs.
      promise.catch(() => undefined);
      pending = {
        window: w,
        promise,
        done: () => {
          const collected = { window: w, rows: rows.length, callsByInterval };
          addCollected(result.collected, collected);
          opts.onCollected?.(collected);
          result.handledCount += 1;
          deps.metrics.count(METRIC.windowsCollected, 1);
          deps.metrics.count(METRIC.rowsWritten, rows.length);
        },
      };
    }
    if (opts.leaveLastWrite && pending && result.stopReason === 'done') {
      // The caller goes on while the last window's objects land; it must await `tail` before
      // anything that reads them, and before saving progress past them.
      const tail = settlePending().then((ok) => {
        if (!ok) throw result.stoppedAt?.error ?? new StorageError('the last window could not be written', {});
      });
      tail.catch(() => undefined);
      result.tail = tail;
    } else await settlePending();
  } catch (error) {
    // Failed calls and writes are outcomes above; this is for the unexpected (a callback, a bug).
    if (await settlePending()) {
      const e = asCollectorError(error);
      result.stopReason = e.retryable ? 'transient-error' : 'failed';
      if (current) result.stoppedAt = { window: current, error: e };
    }
  }
  if (result.stopReason !== 'done') result.resumeAt = result.stoppedAt?.window ?? current;
  return result;
}
