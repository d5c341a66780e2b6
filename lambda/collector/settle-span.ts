/**
 * Carries out the settle planner's decisions (domain/settle.ts): one call per span asked, a
 * call per window fetched, empty objects for windows a span proved empty. The search's
 * stack lives in the run state and is saved after each aggregate call, so a killed run
 * resumes it where it stood.
 */
import { dayOf } from '../domain/day.ts';
import { dataKey, fetchLogKey } from '../domain/layout.ts';
import { buildEstablishedRecord, toNdjson } from '../domain/rows.ts';
import { decide, DEFAULT_SETTLE_POLICY, nodeSpan, SettleStack, storedSum, type Decision, type SettleMode, type SettleNode, type SettlePolicy } from '../domain/settle.ts';
import { coversWholeDays, DAY_MS, describeSpan, splitSpan, windowsOf, type Span } from '../domain/span.ts';
import { callCount, emptyTotals, isZero, totalsOfReport, type Totals } from '../domain/totals.ts';
import { describeWindow, type Window } from '../domain/window.ts';
import { nonAdditive } from '../domain/vendor-model.ts';
import { NDJSON } from '../storage/object-store.ts';
import { collectWindows } from './collect-windows.ts';
import { addCollected, emptyOutcome, stopAt, type CollectedWindow, type Outcome } from './outcome.ts';
import type { Run } from './run.ts';
import type { DayAnswer } from './stored-days.ts';
import { isWindowPoison } from './vendor-caller.ts';

/** Writes of empty windows in flight at once (S3 latency, not bandwidth, bounds a month of them). */
const EMPTY_WRITES_AT_ONCE = 32;

export interface SearchSpec {
  readonly mode: SettleMode;
  /** Where the stack is kept in the run state (`searches`). */
  readonly key: string;
  /** Windows that fail non-transiently are passed over (quarantined) instead of stopping the search. */
  readonly quarantine: boolean;
  readonly policy?: SettlePolicy;
  readonly onCollected?: (c: CollectedWindow) => void;
  /** Told about windows passed over because they are stored (fill). */
  readonly onSkipped?: (windows: readonly Window[]) => void;
}

/**
 * Works the search `spec.key` (started with `root` unless one is saved) until it is done or
 * must stop. A fill search also tells the run what its calls over whole days said
 * (run.answers), for a verification later in the run to use without another call.
 */
export async function settleSearch(run: Run, spec: SearchSpec, root: Span | readonly Span[]): Promise<Outcome> {
  return new Search(run, spec, Array.isArray(root) ? root : [root]).work();
}

class Search {
  private readonly out = emptyOutcome();
  private readonly stack: SettleStack;
  private readonly run: Run;
  private readonly spec: SearchSpec;
  private readonly callsBefore: number;
  /** What the last window fetched held: a window asked on its own is also what its sibling derives from. */
  private lastFetched: Totals | undefined;

  constructor(run: Run, spec: SearchSpec, roots: readonly Span[]) {
    this.run = run;
    this.spec = spec;
    this.callsBefore = run.calls;
    let nodes = run.state.searches.get(spec.key);
    if (!nodes || nodes.length === 0) {
      // The first root on top: worked in time order.
      nodes = roots.map((root) => ({ fromWall: root.fromWall, toWall: root.toWall })).reverse();
      run.state.searches.set(spec.key, nodes);
    }
    // A vendor whose totals do not add up: nothing derived, nothing compared (domain/settle.ts).
    this.additive = run.state.vendorMode === 'additive';
    this.stack = new SettleStack(nodes, this.additive);
  }

  private readonly additive: boolean;

  async work(): Promise<Outcome> {
    const { state, stored } = this.run;
    for (let top = this.stack.top(); top; top = this.stack.top()) {
      state.throwIfFailed();
      const span = nodeSpan(top, this.run.timeZone);
      await stored.ensure(span);
      const decision = decide(top, this.run.timeZone, stored.lookup, this.spec.mode, { ...(this.spec.policy ?? DEFAULT_SETTLE_POLICY), additive: this.additive });
      if (!(await this.carryOut(decision, top, span))) {
        await state.flush();
        return this.finish();
      }
    }
    // Every window counted as collected has landed; the save that says the search is done
    // overlaps whatever comes next (a day's verification call), and the next save reports it failing.
    await state.landed();
    state.saveSoon();
    return this.finish();
  }

  /** False when the search must stop here. */
  private async carryOut(d: Decision, top: SettleNode, span: Span): Promise<boolean> {
    switch (d.kind) {
      case 'skip':
        this.skip(windowsOf(span));
        this.stack.pop(storedSum(span, this.run.stored.lookup));
        return true;
      case 'complete':
        this.stack.pop();
        return true;
      case 'split':
        this.stack.split(d.halves);
        return true;
      case 'empty':
        await this.storeEmpty(top, d.windows);
        this.stack.pop();
        await this.run.state.progress();
        return true;
      case 'ask':
        return this.ask(span);
      case 'fetch':
        return this.fetch(top, span, d);
    }
  }

  private finish(): Outcome {
    if (this.stack.empty) this.run.state.searches.delete(this.spec.key);
    this.out.calls = this.run.calls - this.callsBefore;
    return this.out;
  }

  private skip(windows: readonly Window[]): void {
    this.out.notes.skipped += windows.length;
    this.spec.onSkipped?.(windows);
  }

  private note(c: CollectedWindow): void {
    addCollected(this.out.collected, c);
    this.spec.onCollected?.(c);
  }

  /** One call over the span: its totals become the top node's. */
  private async ask(span: Span): Promise<boolean> {
    const { run } = this;
    const stop = await run.budget.mayCall();
    if (stop) {
      stopAt(this.out, stop);
      return false;
    }
    const outcome = await run.vendor.attempt(span, 1);
    if (!outcome.ok) {
      await run.vendor.record(span, outcome.meta, { error: outcome.error });
      if (!isWindowPoison(outcome.error)) {
        stopAt(this.out, run.budget.stopFor(outcome.error), { window: run.windowAt(span.fromWall), error: outcome.error });
        return false;
      }
      // An answer over this span that cannot be read: ask its halves instead.
      run.deps.log.warn('span answer unusable; asking its halves', { span: describeSpan(span), error_message: outcome.error.message });
      this.unlinkSibling();
      this.stack.split(splitSpan(span));
      return true;
    }
    const totals = totalsOfReport(outcome.report);
    this.stack.resolveTop(totals, outcome.meta.fetchId);
    if (this.spec.mode === 'fill') noteDayAnswers(run, span, { totals, fetchId: outcome.meta.fetchId, at: outcome.meta.requestedAt, noRecords: outcome.report.kind === 'empty' });
    run.deps.log.debug('span asked', { span: describeSpan(span), calls: callCount(totals), fetch_id: outcome.meta.fetchId });
    // The answer is the one thing a kill would lose: keep it, while the next call goes out
    // (the token is what is scarce; the store keeps up).
    run.state.track(run.vendor.record(span, outcome.meta, { report: outcome.report, rowCount: 0 }));
    run.state.saveSoon();
    return true;
  }

  /** A call per window; the windows are stored as fetched. */
  private async fetch(top: SettleNode, span: Span, d: Extract<Decision, { kind: 'fetch' }>): Promise<boolean> {
    // A check cut short while fetching goes on after the last window it fetched again.
    const todo = top.fetched === undefined ? d.windows : d.windows.filter((w) => w.startWall > top.fetched!);
    this.lastFetched = undefined;
    const result = await this.fetchWindows(top, todo, d.all && !(top.vendor === undefined && d.windows.length === 1) && this.spec.mode === 'fill');
    if (result.tail) this.run.state.track(result.tail, { beforeSave: true });
    this.out.quarantined.push(...result.quarantined);
    if (result.stop !== 'done') {
      stopAt(this.out, result.stop, result.stoppedAt);
      return false;
    }
    delete top.fetched;
    // Not when a stopped run's fetch is resumed: the windows it passed over may be ones that
    // fetch did not ask for (stored before the span's total), and older than the total.
    if (this.additive && this.spec.mode === 'check' && d.all && todo.length === d.windows.length && top.vendor !== undefined && result.quarantined.length === 0) {
      // Every window of the span asked after the span's total: they can only have gained calls
      // since, so a total above their sum means the vendor's totals do not add up here.
      const witness = nonAdditive(span, top.vendor, windowsOf(span).map((w) => this.run.stored.lookup(w) ?? {}));
      if (witness) {
        this.out.notes.witness = witness;
        this.stack.nodes.length = 0;
        return false;
      }
    }
    this.afterFetch(top, span, d, result.quarantined.length > 0);
    return true;
  }

  private async fetchWindows(top: SettleNode, todo: readonly Window[], leaveLastWrite: boolean) {
    const { run, spec } = this;
    const previously = new Set(todo.filter((w) => run.stored.has(w.startWall)).map((w) => w.startWall));
    return collectWindows(run, todo, {
      revisionOf: (w) => (previously.has(w.startWall) ? 2 : 1),
      // A span whose windows are all fetched is done once they land: its last write overlaps the next call.
      leaveLastWrite,
      quarantine: () => spec.quarantine,
      onCollected: (c) => {
        const before = run.stored.lookup(c.window);
        run.stored.set(c.window, c.callsByInterval);
        if (spec.mode === 'fill') run.answers.fetched(dayOf(c.window.startWall));
        if (before !== undefined) this.out.notes.recollected += 1;
        this.lastFetched = c.callsByInterval;
        this.note(c);
      },
      afterHandled: async (w, outcome) => {
        run.state.noteHandled(w, outcome);
        if (spec.mode !== 'check') return run.state.progress();
        // A check re-collects a handful of windows: each is kept, so a kill costs at most the call in flight.
        top.fetched = w.startWall;
        await run.state.flush();
      },
    });
  }

  private afterFetch(top: SettleNode, span: Span, d: Extract<Decision, { kind: 'fetch' }>, gaveUp: boolean): void {
    if (top.vendor === undefined && d.windows.length === 1 && d.all) {
      // A window asked on its own: its answer is also what its sibling derives from (when this
      // run has it: not when it was passed over, or fetched by a run that stopped after it).
      if (this.lastFetched === undefined) this.unlinkSibling();
      else this.stack.resolveTop(this.lastFetched);
      this.stack.pop();
    } else if (d.all || gaveUp) {
      // Windows given up on stay missing: a later pass (a rerun, the day's verification) tries them again.
      this.stack.pop();
    } else if (top.vendor === undefined) {
      // A gap of a window or two filled without asking: the span's other windows were stored already.
      const fetched = new Set(d.windows.map((w) => w.startWall));
      this.skip(windowsOf(span).filter((w) => !fetched.has(w.startWall)));
      this.stack.pop(storedSum(span, this.run.stored.lookup));
    } else this.stack.markFilled();
  }

  /**
   * The top span's totals will not be known whole: a right sibling waiting to derive its own
   * from them (its parent's less these) is asked instead. Derived from part of the span, or from
   * nothing, it would take the rest of the span's calls for its own, and a check would then find
   * it above its windows: a false witness that the vendor's totals do not add up.
   */
  private unlinkSibling(): void {
    const top = this.stack.top();
    const below = this.stack.nodes[this.stack.nodes.length - 2];
    if (top && below?.parent && below.fromWall === top.toWall) delete below.parent;
  }

  /** Empty objects for windows the span's totals proved empty, each with a fetch-log line naming that call. */
  private async storeEmpty(node: SettleNode, windows: readonly Window[]): Promise<void> {
    const { run } = this;
    const { prefix, operation } = run.settings;
    const span = nodeSpan(node, run.timeZone);
    const meta = { fetchId: node.by ?? 'unknown', requestedAt: run.now(), revision: 1 };
    let batch: Promise<unknown>[] = [];
    try {
      for (const w of windows) {
        await run.state.markDay(w);
        batch.push(run.deps.store.put(dataKey(prefix, operation, w), '', NDJSON), run.deps.store.put(fetchLogKey(prefix, operation, w, meta.fetchId), toNdjson([buildEstablishedRecord(w, span, meta)]), NDJSON));
        if (batch.length < EMPTY_WRITES_AT_ONCE) continue;
        await Promise.all(batch);
        batch = [];
      }
      await Promise.all(batch);
    } finally {
      // A mark that failed leaves writes in flight: they land (or fail, observed) before the run goes on to fail.
      await Promise.allSettled(batch);
    }
    for (const w of windows) {
      run.state.windowLanded(w);
      run.stored.set(w, {});
      this.note({ window: w, rows: 0, callsByInterval: emptyTotals() });
    }
    this.out.notes.emptied += windows.length;
    run.deps.log.debug('windows proved empty by one call', { span: describeSpan(span), windows: windows.length, first: windows[0] && describeWindow(windows[0]).window_start, fetch_id: meta.fetchId });
  }
}

/** A call over whole days says what each day holds when it says "no calls", or when it is one day. */
function noteDayAnswers(run: Run, span: Span, answer: DayAnswer): void {
  if (!coversWholeDays(span)) return;
  const days = (span.toWall - span.fromWall) / DAY_MS;
  if (days !== 1 && !isZero(answer.totals)) return;
  for (let d = span.fromWall; d < span.toWall; d += DAY_MS) run.answers.answered(dayOf(d), answer);
}

