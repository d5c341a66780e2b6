/**
 * Carries out the settle planner's decisions (domain/settle.ts): one call per span asked, a
 * call per window fetched, empty objects for windows a span proved empty. The search's
 * stack lives in the run state and is saved after each aggregate call, so a killed run
 * resumes it where it stood.
 */
import { labelOf } from '../domain/checkpoint.ts';
import { CollectorError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { dataKey, fetchLogKey } from '../domain/layout.ts';
import { buildEstablishedRecord, toNdjson } from '../domain/rows.ts';
import { decide, nodeSpan, SettleStack, storedSum, type SettleMode, type SettleNode, type SettlePolicy } from '../domain/settle.ts';
import { DAY_MS, describeSpan, splitSpan, windowsOf, type Span } from '../domain/span.ts';
import { callCount, isZero, totalsOfReport, type Totals } from '../domain/totals.ts';
import { formatDate } from '../domain/wall-clock.ts';
import type { Window } from '../domain/window.ts';
import { NDJSON } from '../storage/object-store.ts';
import { addCollected, collectWindows, emptySummary, isWindowPoison, mayCall, vendorCaller, type CollectedSummary, type CollectedWindow, type CollectorDeps, type StopReason } from './collect-windows.ts';
import { levelDayTotals, readDayTotals, storedWindowStarts } from './day-objects.ts';
import type { RunState } from './run-state.ts';

/** Writes of empty windows in flight at once (S3 latency, not bandwidth, bounds a month of them). */
const EMPTY_WRITES_AT_ONCE = 32;

/** Stored calls per window, read back from the store a day at a time, kept level with this run's writes. */
export class StoredDays {
  private readonly days = new Map<string, Map<number, Totals>>();

  private readonly deps: Pick<CollectorDeps, 'store' | 'log'>;
  private readonly scope: { prefix: string; operation: string };

  constructor(deps: Pick<CollectorDeps, 'store' | 'log'>, scope: { prefix: string; operation: string }) {
    this.deps = deps;
    this.scope = scope;
  }

  async ensure(span: Span): Promise<void> {
    for (let day = Math.floor(span.fromWall / DAY_MS) * DAY_MS; day < span.toWall; day += DAY_MS) {
      const dt = formatDate(day);
      if (!this.days.has(dt)) this.days.set(dt, await readDayTotals(this.deps.store, this.scope, dt, this.deps.log));
    }
  }

  /**
   * Reads the day again from the store (a verification compares with what is there, not with
   * what we wrote), bringing its day object level on the way: `written` lands with it.
   */
  async reread(day: string): Promise<{ totals: Map<number, Totals>; written: Promise<void> }> {
    const fresh = await levelDayTotals(this.deps.store, this.scope, day, this.deps.log);
    this.days.set(day, fresh.totals);
    return fresh;
  }

  /** Which windows of the day are stored now (one LIST). */
  storedStarts(day: string): Promise<Set<number>> {
    return storedWindowStarts(this.deps.store, this.scope, day, this.deps.log);
  }

  readonly lookup = (w: Window): Totals | undefined => this.days.get(formatDate(w.startWall))?.get(w.startWall);

  /** Whether the window starting at this wall time is known to be stored (its day was read in this run). */
  readonly has = (startWall: number): boolean => this.days.get(formatDate(startWall))?.has(startWall) === true;

  set(w: Window, totals: Totals): void {
    this.days.get(formatDate(w.startWall))?.set(w.startWall, totals);
  }
}

export interface SettleDeps extends CollectorDeps {
  readonly shouldStop?: () => boolean;
}

export interface SettleSettings {
  readonly operation: string;
  readonly prefix: string;
  readonly timeZone: string;
  readonly requestTimeoutMs: number;
  readonly deadline: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: readonly number[];
}

export interface SettleRun {
  readonly mode: SettleMode;
  /** Where the stack is kept in the run state (`searches`). */
  readonly key: string;
  readonly maxApiCalls: number;
  /** Windows that fail non-transiently are passed over (quarantined) instead of stopping the search. */
  readonly quarantine: boolean;
  readonly policy?: SettlePolicy;
  readonly onCollected?: (c: CollectedWindow) => void;
  /** Told about windows passed over because they are stored (fill). */
  readonly onSkipped?: (windows: readonly Window[]) => void;
}

/** A call that covered whole days: what the vendor said of each (for verification without another call). */
export interface DayAnswer {
  readonly totals: Totals;
  readonly fetchId: string;
  readonly at: number;
}

export interface SettleOutcome {
  readonly stopReason: StopReason;
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
  readonly apiCalls: number;
  /** Windows stored by this search (fetched, or proved empty). */
  readonly collected: CollectedSummary;
  readonly quarantined: Window[];
  /** Windows stored again because their totals changed. */
  readonly recollected: number;
  readonly emptied: number;
  readonly skipped: number;
  /** Real calls over whole days, by day, made by this search (those without calls: every day of the span). */
  readonly dayAnswers: Map<string, DayAnswer>;
  /** Days whose windows this search fetched (their day answers from before no longer prove anything). */
  readonly fetchedDays: Set<string>;
}

/** What calls over whole days said in this run, and which days got windows fetched since. */
export class DayAnswers {
  readonly answers = new Map<string, DayAnswer>();
  readonly fetchedDays = new Set<string>();
  /** Top down, a day is asked before any of its windows is fetched: a fetch into it makes its answer stale. */
  merge(o: { dayAnswers: ReadonlyMap<string, DayAnswer>; fetchedDays: ReadonlySet<string> }): void {
    for (const [d, a] of o.dayAnswers) this.answers.set(d, a);
    for (const d of o.fetchedDays) this.fetchedDays.add(d);
  }
}


/** Works the search `run.key` (started with `root` unless one is saved) until it is done or must stop. */
export async function settleSearch(deps: SettleDeps, s: SettleSettings, state: RunState, stored: StoredDays, run: SettleRun, root: Span): Promise<SettleOutcome> {
  let nodes = state.searches.get(run.key);
  if (!nodes || nodes.length === 0) {
    nodes = [{ fromWall: root.fromWall, toWall: root.toWall }];
    state.searches.set(run.key, nodes);
  }
  const stack = new SettleStack(nodes);
  const caller = vendorCaller(deps, { ...s, onApiCall: () => state.countCall() });
  const out = { stopReason: 'done' as StopReason, stoppedAt: undefined as SettleOutcome['stoppedAt'], collected: emptySummary(), quarantined: [] as Window[], recollected: 0, emptied: 0, skipped: 0, dayAnswers: new Map<string, DayAnswer>(), fetchedDays: new Set<string>() };
  let windowCalls = 0;
  const callsMade = () => caller.calls + windowCalls;
  const finish = (): SettleOutcome => {
    if (stack.empty) state.searches.delete(run.key);
    return { ...out, apiCalls: callsMade() };
  };

  const note = (c: CollectedWindow) => {
    addCollected(out.collected, c);
    run.onCollected?.(c);
  };

  while (!stack.empty) {
    state.throwIfFailed();
    const top = stack.top()!;
    const span = nodeSpan(top, s.timeZone);
    await stored.ensure(span);
    const decision = decide(top, s.timeZone, stored.lookup, run.mode, run.policy);
    switch (decision.kind) {
      case 'skip': {
        const windows = windowsOf(span);
        out.skipped += windows.length;
        run.onSkipped?.(windows);
        stack.pop(storedSum(span, stored.lookup));
        break;
      }
      case 'complete':
        stack.pop();
        break;
      case 'split':
        stack.split(decision.halves);
        break;
      case 'empty': {
        await storeEmpty(deps, s, state, stored, top, decision.windows, note);
        out.emptied += decision.windows.length;
        stack.pop();
        await state.progress();
        break;
      }
      case 'ask': {
        const stop = mayCall(deps, { deadline: s.deadline, ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}) }, callsMade(), run.maxApiCalls);
        if (stop) {
          out.stopReason = stop;
          await state.flush();
          return finish();
        }
        const outcome = await caller.attempt(span, 1);
        if (!outcome.ok) {
          await caller.record(span, outcome.meta, { error: outcome.error });
          if (isWindowPoison(outcome.error)) {
            // An answer over this span that cannot be read: ask its halves instead.
            deps.log.warn('span answer unusable; asking its halves', { span: describeSpan(span), message: outcome.error.message });
            stack.split(splitSpan(span));
            break;
          }
          out.stopReason = outcome.error instanceof WolkvoxTokenLimitError ? 'token-limit' : outcome.error.retryable ? 'transient-error' : 'failed';
          out.stoppedAt = { window: { startWall: span.fromWall, timeZone: s.timeZone }, error: outcome.error };
          await state.flush();
          return finish();
        }
        const totals = totalsOfReport(outcome.report);
        stack.resolveTop(totals, outcome.meta.fetchId);
        noteDayAnswers(out.dayAnswers, span, totals, outcome.meta.fetchId, outcome.meta.requestedAt);
        deps.log.debug('span asked', { span: describeSpan(span), calls: callCount(totals), fetch_id: outcome.meta.fetchId });
        // The answer is the one thing a kill would lose: keep it, while the next call goes out
        // (the token is what is scarce; the store keeps up).
        state.track(caller.record(span, outcome.meta, { report: outcome.report, rowCount: 0 }));
        state.saveSoon();
        break;
      }
      case 'fetch': {
        // A check cut short while fetching goes on after the last window it fetched again.
        const todo = top.fetched === undefined ? decision.windows : decision.windows.filter((w) => w.startWall > top.fetched!);
        const previously = new Set(todo.filter((w) => stored.has(w.startWall)).map((w) => w.startWall));
        let last: Totals | undefined;
        const result = await collectWindows(
          deps,
          {
            ...s,
            revision: 1,
            revisionOf: (w) => (previously.has(w.startWall) ? 2 : 1),
            // A span whose windows are all fetched is done once they land: its last write overlaps the next call.
            leaveLastWrite: decision.all && !(top.vendor === undefined && decision.windows.length === 1) && run.mode === 'fill',
            beforeWrite: (w) => state.markDay(w),
            maxApiCalls: run.maxApiCalls - callsMade(),
            quarantine: () => run.quarantine,
            onApiCall: () => state.countCall(),
            ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
            onCollected: (c) => {
              const before = stored.lookup(c.window);
              stored.set(c.window, c.callsByInterval);
              out.fetchedDays.add(formatDate(c.window.startWall));
              if (before !== undefined) out.recollected += 1;
              last = c.callsByInterval;
              note(c);
            },
            afterHandled: async (w, outcome) => {
              state.noteHandled(w, outcome);
              if (run.mode === 'check') {
                // A check re-collects a handful of windows: each is kept, so a kill costs at most the call in flight.
                top.fetched = w.startWall;
                await state.flush();
              } else await state.progress();
            },
          },
          todo,
        );
        windowCalls += result.apiCalls;
        if (result.tail) state.track(result.tail, { beforeSave: true });
        out.quarantined.push(...result.quarantined);
        if (result.stopReason !== 'done') {
          out.stopReason = result.stopReason;
          out.stoppedAt = result.stoppedAt;
          await state.flush();
          return finish();
        }
        delete top.fetched;
        if (top.vendor === undefined && decision.windows.length === 1 && decision.all) {
          // A window asked on its own: its answer is also what its sibling derives from.
          stack.resolveTop(last ?? {});
          stack.pop();
        } else if (decision.all || result.quarantined.length > 0) {
          // Windows given up on stay missing: a later pass (a rerun, the day's verification) tries them again.
          stack.pop();
        } else if (top.vendor === undefined) {
          // A gap of a window or two filled without asking: the span's other windows were stored already.
          const fetched = new Set(decision.windows.map((w) => w.startWall));
          const others = windowsOf(span).filter((w) => !fetched.has(w.startWall));
          out.skipped += others.length;
          run.onSkipped?.(others);
          stack.pop(storedSum(span, stored.lookup));
        } else stack.markFilled();
        break;
      }
    }
  }
  // Every window counted as collected has landed; the save that says the search is done
  // overlaps whatever comes next (a day's verification call), and the next save reports it failing.
  await state.landed();
  state.saveSoon();
  return finish();
}

/** A call over whole days says what each day holds when it says "no calls", or when it is one day. */
function noteDayAnswers(into: Map<string, DayAnswer>, span: Span, totals: Totals, fetchId: string, at: number): void {
  if (span.fromWall % DAY_MS !== 0 || span.toWall % DAY_MS !== 0) return;
  const days = (span.toWall - span.fromWall) / DAY_MS;
  if (days !== 1 && !isZero(totals)) return;
  for (let d = span.fromWall; d < span.toWall; d += DAY_MS) into.set(formatDate(d), { totals, fetchId, at });
}

/** Empty objects for windows the span's totals proved empty, each with a fetch-log line naming that call. */
async function storeEmpty(deps: SettleDeps, s: SettleSettings, state: RunState, stored: StoredDays, node: SettleNode, windows: readonly Window[], note: (c: CollectedWindow) => void): Promise<void> {
  const span = nodeSpan(node, s.timeZone);
  const meta = { fetchId: node.by ?? 'unknown', requestedAt: deps.clock(), revision: 1 };
  let batch: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(batch);
    batch = [];
  };
  for (const w of windows) {
    await state.markDay(w);
    batch.push(deps.store.put(dataKey(s.prefix, s.operation, w), '', NDJSON), deps.store.put(fetchLogKey(s.prefix, s.operation, w, meta.fetchId), toNdjson([buildEstablishedRecord(w, span, meta)]), NDJSON));
    if (batch.length >= EMPTY_WRITES_AT_ONCE) await flush();
  }
  await flush();
  for (const w of windows) {
    stored.set(w, {});
    note({ window: w, rows: 0, callsByInterval: {} });
  }
  deps.log.debug('windows proved empty by one call', { span: describeSpan(span), windows: windows.length, first: windows[0] && labelOf(windows[0]), fetch_id: meta.fetchId });
}
