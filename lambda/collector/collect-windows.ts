/**
 * Collects windows in order, one API call at a time. Writing a window's objects overlaps the
 * request for the next one, but a window counts as collected only once its objects are
 * durable, and the run stops at the first window it cannot collect, so the collected windows
 * are always a prefix of the list.
 */
import { StorageError, WolkvoxTokenBusyError, type CollectorError } from '../domain/errors.ts';
import { dataKey } from '../domain/layout.ts';
import { METRIC } from '../domain/metrics.ts';
import { buildDataRows, toNdjson } from '../domain/rows.ts';
import { spanOf } from '../domain/span.ts';
import { totalsOfRows } from '../domain/totals.ts';
import { describeWindow, type Window } from '../domain/window.ts';
import { NDJSON } from '../storage/object-store.ts';
import { addCollected, emptyOutcome, stopAt, type CollectedWindow, type Outcome } from './outcome.ts';
import type { Run } from './run.ts';
import { asCollectorError, isWindowPoison, type Attempt } from './vendor-caller.ts';

export interface CollectOptions {
  /** Revision of the rows written (1 first collection, 2 collected again). Default 1. */
  readonly revision?: number;
  /** Revision of a window's rows when it differs per window (a refetch of stored windows: 2). */
  readonly revisionOf?: (w: Window) => number;
  /** Asked when a window failed non-transiently: true skips it (quarantine) instead of stopping. */
  readonly quarantine?: (w: Window, error: CollectorError) => boolean;
  /** Told about each window once its objects are durable. */
  readonly onCollected?: (c: CollectedWindow) => void;
  /**
   * Awaited after each window is handled (collected or quarantined), in order: where the
   * caller records progress, so a killed run loses only what came after its last save.
   */
  readonly afterHandled?: (w: Window, outcome: 'collected' | 'quarantined') => Promise<void>;
  /** Return without waiting for the last window's writes (they overlap the caller's next call): see CollectOutcome.tail. */
  readonly leaveLastWrite?: boolean;
  /**
   * What must be durable before a window's objects are written: started as the window's call
   * goes out, so that it lands while the call is out, and awaited before the objects are
   * written. Default: the run marks the window's day in its state.
   */
  readonly beforeWrite?: (w: Window) => Promise<void>;
}

export interface CollectOutcome extends Outcome {
  /** First window not handled when the run stopped early (for any reason): where a resumed job starts. */
  resumeAt?: Window;
  /** With `leaveLastWrite`: the last window's writes and its afterHandled, still landing. */
  tail?: Promise<void>;
}

export async function collectWindows(run: Run, windows: Iterable<Window> | AsyncIterable<Window>, opts: CollectOptions = {}): Promise<CollectOutcome> {
  return new WindowCollector(run, opts).collect(windows);
}

interface PendingWrite {
  readonly window: Window;
  readonly promise: Promise<void>;
  readonly done: () => void;
}

type Answer = Attempt | { ok: false; error: CollectorError; meta?: undefined };

class WindowCollector {
  private readonly out: CollectOutcome = emptyOutcome();
  private pending: PendingWrite | undefined;
  private current: Window | undefined;
  private readonly run: Run;
  private readonly opts: CollectOptions;
  private readonly callsBefore: number;

  constructor(run: Run, opts: CollectOptions) {
    this.run = run;
    this.opts = opts;
    this.callsBefore = run.calls;
  }

  async collect(windows: Iterable<Window> | AsyncIterable<Window>): Promise<CollectOutcome> {
    try {
      for await (const w of windows) {
        this.current = w;
        if (!(await this.step(w))) break;
      }
      await this.finishWrites();
    } catch (error) {
      // Failed calls and writes are outcomes; this is for the unexpected (a callback, a bug).
      if (await this.settlePending()) {
        const e = asCollectorError(error);
        stopAt(this.out, this.run.budget.stopFor(e), this.current ? { window: this.current, error: e } : undefined);
      }
    }
    this.out.calls = this.run.calls - this.callsBefore;
    if (this.out.stop !== 'done') {
      const resumeAt = this.out.stoppedAt?.window ?? this.current;
      if (resumeAt) this.out.resumeAt = resumeAt;
    }
    return this.out;
  }

  /** One window: false when the run stops there. */
  private async step(w: Window): Promise<boolean> {
    const stop = await this.run.budget.mayCall();
    if (stop) {
      stopAt(this.out, stop);
      return false;
    }
    if (!(await this.tokenFree(w))) return false;
    const beforeWrite = this.opts.beforeWrite ?? ((x: Window) => this.run.state.markDay(x));
    const ready = beforeWrite(w).then(
      () => undefined,
      (error: unknown) => asCollectorError(error),
    );
    // A throw here is not a failed call (a failed write or secret read): nothing to record for it.
    const answer: Answer = await this.call(w).catch((error: unknown) => ({ ok: false as const, error: asCollectorError(error) }));
    // Awaited on every path: nothing this window started is left running when the loop ends.
    const notReady = await ready;
    if (!(await this.settlePending())) return false;
    if (notReady && answer.ok) {
      // Its day could not be marked: the answer is not written (a run that died after writing
      // it would leave the day unmarked). The next run asks for the window again.
      stopAt(this.out, this.run.budget.stopFor(notReady), { window: w, error: notReady });
      return false;
    }
    if (!answer.ok) return this.failed(w, answer);
    this.write(w, answer);
    return true;
  }

  /** False when an earlier request that timed out may still hold the token. */
  private async tokenFree(w: Window): Promise<boolean> {
    const busyUntil = this.run.deps.client.busyUntil();
    if (busyUntil <= this.run.now()) return true;
    if (await this.settlePending()) {
      stopAt(this.out, 'transient-error', { window: w, error: new WolkvoxTokenBusyError(`an earlier request timed out and may still hold the token until ${new Date(busyUntil).toISOString()}`, {}) });
    }
    return false;
  }

  private call(w: Window): Promise<Attempt> {
    return this.run.vendor.attempt(spanOf(w), this.opts.revisionOf?.(w) ?? this.opts.revision ?? 1);
  }

  /** A window whose call failed: quarantined (true: go on) or where the run stops. */
  private async failed(w: Window, answer: Extract<Answer, { ok: false }>): Promise<boolean> {
    const error = answer.error;
    const quarantine = isWindowPoison(error) && (this.opts.quarantine?.(w, error) ?? false);
    if (answer.meta) await this.run.vendor.record(w, answer.meta, { error, quarantined: quarantine });
    if (!quarantine) {
      stopAt(this.out, this.run.budget.stopFor(error), { window: w, error });
      return false;
    }
    this.out.quarantined.push(w);
    this.out.notes.handled += 1;
    await this.opts.afterHandled?.(w, 'quarantined');
    return true;
  }

  /** Starts writing the window's objects; it counts as collected once they have landed. */
  private write(w: Window, answer: Extract<Attempt, { ok: true }>): void {
    const { deps, settings } = this.run;
    const { report, meta } = answer;
    const rows = buildDataRows(w, report, meta);
    const key = dataKey(settings.prefix, settings.operation, w);
    const writeStarted = deps.clock();
    const promise = Promise.all([deps.store.put(key, toNdjson(rows), NDJSON), this.run.vendor.record(w, meta, { report, rowCount: rows.length })]).then(() => {
      deps.log.debug('window stored', { window_start: describeWindow(w).window_start, http_status: meta.httpStatus, latency_ms: Math.round(meta.latencyMs), rows: rows.length, write_ms: deps.clock() - writeStarted, key: deps.store.describe(key) });
    });
    // Keep an unobserved rejection from crashing the process while the next request runs.
    promise.catch(() => undefined);
    const collected = { window: w, rows: rows.length, callsByInterval: totalsOfRows(rows) };
    this.pending = {
      window: w,
      promise,
      done: () => {
        this.run.state.windowLanded(w);
        addCollected(this.out.collected, collected);
        this.opts.onCollected?.(collected);
        this.out.notes.handled += 1;
        deps.metrics.count(METRIC.windowsCollected, 1);
        deps.metrics.count(METRIC.rowsWritten, rows.length);
      },
    };
  }

  /** Waits for the previous window's writes; false when they failed (the run must stop there). */
  private async settlePending(): Promise<boolean> {
    if (!this.pending) return true;
    const previous = this.pending;
    this.pending = undefined;
    try {
      await previous.promise;
    } catch (error) {
      stopAt(this.out, 'transient-error', { window: previous.window, error: asCollectorError(error) });
      return false;
    }
    previous.done();
    await this.opts.afterHandled?.(previous.window, 'collected');
    return true;
  }

  private async finishWrites(): Promise<void> {
    if (!(this.opts.leaveLastWrite && this.pending && this.out.stop === 'done')) {
      await this.settlePending();
      return;
    }
    // The caller goes on while the last window's objects land; it must await `tail` before
    // anything that reads them, and before saving progress past them.
    const tail = this.settlePending().then((ok) => {
      if (!ok) throw this.out.stoppedAt?.error ?? new StorageError('the last window could not be written', {});
    });
    tail.catch(() => undefined);
    this.out.tail = tail;
  }
}

/**
 * Stored windows collected again (revision 2), for late calls: a window that keeps failing is
 * passed over (quarantined) rather than stopping the run, and progress is kept after each;
 * `afterEach` is told each window handled. The count is in `out.notes.recollected` too.
 */
export async function collectAgain(run: Run, windows: readonly Window[], afterEach?: (w: Window) => void): Promise<CollectOutcome> {
  const { state, stored } = run;
  const restated = await collectWindows(run, windows, {
    revision: 2,
    quarantine: () => true,
    onCollected: (c) => stored.set(c.window, c.callsByInterval),
    afterHandled: async (w, outcome) => {
      state.noteHandled(w, outcome);
      afterEach?.(w);
      await state.progress();
    },
  });
  restated.notes.recollected += restated.collected.count;
  return restated;
}
