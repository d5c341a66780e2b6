/**
 * Deciding what to ask the vendor next, top down. `cdr_4` sums any span, and a span's calls
 * per interval equal the sum over its windows, so one call can prove a whole span empty
 * (zero calls) or complete (equal to its stored windows); only a span that differs is
 * split, and a window is fetched on its own only when it must be (its calls are unknown,
 * or changed). Pure: the engine carries the decisions out and feeds the answers back.
 *
 * The work is a stack of spans, saved with the checkpoint after each aggregate call, so a
 * killed run loses no more than the call in flight.
 */
import { splitSpan, windowsOf, type Span } from './span.ts';
import { callCount, distance, hasNegative, isZero, subtractTotals, sumTotals, type Totals } from './totals.ts';
import { WINDOW_MS, type Window } from './window.ts';

export interface SettleNode {
  readonly fromWall: number;
  readonly toWall: number;
  /** The vendor's calls per interval over the span: asked, or derived from its parent minus its left half. */
  vendor?: Totals;
  /** For a right half: the parent's totals, turned into `vendor` once the left half is known. */
  parent?: Totals;
  /** Its missing windows were fetched: what is stored now is taken as it is. */
  filled?: boolean;
  /** fetch_id of the call `vendor` came from (for a derived half, its parent's call). */
  by?: string;
  /** Check mode: the last window of its fetch already fetched again (a resumed run goes on after it). */
  fetched?: number;
}

/**
 * `fill`: collect what is missing (ranges, backfills, quiet periods): a span whose windows are
 * all stored needs no call. `check`: compare with the vendor and repair (verification,
 * reconciliation): every span is asked.
 */
export type SettleMode = 'fill' | 'check';

export interface SettlePolicy {
  /** A differing span of at most this many windows may be fetched window by window. Default 24 (2 hours). */
  readonly directUpTo: number;
  /** ...when it differs by at least this many calls per candidate window (most of them hold calls). Default 1. */
  readonly denseCallsPerWindow: number;
  /**
   * Whether the vendor's totals add up (a span's equal the sum of its windows'). When they do not,
   * nothing is compared, subtracted or derived: only an answer of no calls proves its windows
   * empty, and windows with calls are fetched one by one (fill mode only). Default true.
   */
  readonly additive?: boolean;
}

export const DEFAULT_SETTLE_POLICY: SettlePolicy = { directUpTo: 24, denseCallsPerWindow: 1 };

/** Without additivity a span with calls is halved until it holds at most this many missing windows, which are fetched. */
const NON_ADDITIVE_FETCH_UP_TO = 4;

/** Stored calls per interval of a window, or undefined when no object of it is stored. */
export type StoredLookup = (w: Window) => Totals | undefined;

export type Decision =
  /** Nothing to ask: no window exists here, or (fill) every window is stored. */
  | { readonly kind: 'skip' }
  /** The vendor's totals equal the stored windows: done. */
  | { readonly kind: 'complete' }
  /** One call over the whole span. */
  | { readonly kind: 'ask' }
  /** One call per window, each stored; `all`: every window of the span (accepted as fetched). */
  | { readonly kind: 'fetch'; readonly windows: readonly Window[]; readonly all: boolean }
  /** The span's totals prove these windows hold no call: store them empty. */
  | { readonly kind: 'empty'; readonly windows: readonly Window[] }
  | { readonly kind: 'split'; readonly halves: readonly [Span, Span] };

export function nodeSpan(node: SettleNode, timeZone: string): Span {
  return { fromWall: node.fromWall, toWall: node.toWall, timeZone };
}

/** What to do with the span on top of the stack, given what is stored. */
export function decide(node: SettleNode, timeZone: string, stored: StoredLookup, mode: SettleMode, policy: SettlePolicy = DEFAULT_SETTLE_POLICY): Decision {
  const span = nodeSpan(node, timeZone);
  const windows = windowsOf(span);
  if (windows.length === 0) return { kind: 'skip' };
  const storedTotals = windows.map(stored);
  const missing = windows.filter((_, i) => storedTotals[i] === undefined);
  const vendor = node.vendor;
  if (vendor === undefined) {
    if (mode === 'fill' && missing.length === 0) return { kind: 'skip' };
    // A gap of a window or two costs less fetched than asked about first.
    if (mode === 'fill' && missing.length <= 2 && !node.filled) return { kind: 'fetch', windows: missing, all: false };
    // A window's own call is its data: no aggregate first.
    if (node.toWall - node.fromWall === WINDOW_MS) return { kind: 'fetch', windows, all: true };
    return { kind: 'ask' };
  }
  if (policy.additive === false) return mode === 'check' ? recheckWithoutSums(span, windows, missing, vendor) : decideWithoutSums(span, windows, missing, vendor);
  const sum = sumTotals(storedTotals.filter((t): t is Totals => t !== undefined));
  const diff = subtractTotals(vendor, sum);
  if (isZero(diff)) return missing.length > 0 ? { kind: 'empty', windows: missing } : { kind: 'complete' };
  // The vendor says no call at all and nothing stored says otherwise.
  if (isZero(vendor) && callCount(sum) === 0) return { kind: 'empty', windows: missing };
  if (node.toWall - node.fromWall === WINDOW_MS) return { kind: 'fetch', windows, all: true };
  // Missing windows explain a shortfall first; stored ones are suspects only when the
  // vendor has fewer calls than stored (our reading of the report is wrong there) or none is missing.
  const fillFirst = missing.length > 0 && !hasNegative(diff) && !node.filled;
  const candidates = fillFirst ? missing : windows;
  const dense = candidates.length <= policy.directUpTo && distance(vendor, sum) / candidates.length >= policy.denseCallsPerWindow;
  // Fetched into a span that held nothing, the windows are taken as they come (the day's
  // verification checks them against the vendor); else the span is looked at again after.
  if (dense) return { kind: 'fetch', windows: candidates, all: !fillFirst || missing.length === windows.length };
  return { kind: 'split', halves: splitSpan(span, fillFirst ? undefined : massMiddle(windows, storedTotals)) };
}

/**
 * A span whose answer is known, for a vendor whose totals do not add up: no calls proves its
 * missing windows empty; with calls, its missing windows are fetched when few, else its halves
 * are asked (their answers say nothing of each other).
 */
function decideWithoutSums(span: Span, windows: readonly Window[], missing: readonly Window[], vendor: Totals): Decision {
  if (missing.length === 0) return { kind: 'complete' };
  if (isZero(vendor)) return { kind: 'empty', windows: missing };
  if (windows.length === 1 || missing.length <= NON_ADDITIVE_FETCH_UP_TO) return { kind: 'fetch', windows: missing, all: true };
  return { kind: 'split', halves: splitSpan(span) };
}

/**
 * Windows stored without calls, asked again after the late-call horizon, for a vendor whose
 * totals do not add up: no calls proves they still hold none; with calls, a few windows are
 * asked again each, more are halved (each half asked: a total that does not add up cannot say
 * which windows gained calls, but "no records" still clears a half).
 */
function recheckWithoutSums(span: Span, windows: readonly Window[], missing: readonly Window[], vendor: Totals): Decision {
  if (isZero(vendor)) return missing.length > 0 ? { kind: 'empty', windows: missing } : { kind: 'complete' };
  if (windows.length <= NON_ADDITIVE_FETCH_UP_TO) return { kind: 'fetch', windows, all: true };
  return { kind: 'split', halves: splitSpan(span) };
}

/**
 * Where half of the stored calls lie behind: windows with more calls are likelier to have
 * changed (more calls that were still running), so halving their mass halves the suspects.
 * Undefined (the middle in time) when nothing is stored with calls.
 */
function massMiddle(windows: readonly Window[], stored: ReadonlyArray<Totals | undefined>): number | undefined {
  const mass = stored.map((t) => (t ? callCount(t) : 0));
  const total = mass.reduce((n, m) => n + m, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (const [i, w] of windows.entries()) {
    seen += mass[i]!;
    if (seen * 2 >= total) return w.startWall + WINDOW_MS;
  }
  return undefined;
}

/** The stack of spans still to settle; the top is worked on first. */
export class SettleStack {
  readonly nodes: SettleNode[];
  /** Whether a right half's totals may be derived from its parent's less its left half's (additive totals only). */
  private readonly derive: boolean;

  constructor(nodes: SettleNode[] = [], derive = true) {
    this.nodes = nodes;
    this.derive = derive;
  }

  static of(span: Span): SettleStack {
    return new SettleStack([{ fromWall: span.fromWall, toWall: span.toWall }]);
  }

  get empty(): boolean {
    return this.nodes.length === 0;
  }

  top(): SettleNode | undefined {
    return this.nodes[this.nodes.length - 1];
  }

  /**
   * The top span's totals are known: keep them, and derive its right sibling's (parent minus
   * this half), unless calls ended between the two calls and made that negative.
   */
  resolveTop(totals: Totals, by?: string): void {
    const top = this.top();
    if (!top) return;
    top.vendor = totals;
    if (by !== undefined) top.by = by;
    const below = this.nodes[this.nodes.length - 2];
    if (this.derive && below?.parent && below.fromWall === top.toWall) {
      const derived = subtractTotals(below.parent, totals);
      if (!hasNegative(derived)) below.vendor = derived;
      delete below.parent;
    }
  }

  /** The top span is done; a right sibling waiting for it derives from `value` (its stored sum when it was skipped). */
  pop(value?: Totals): void {
    const top = this.top();
    if (top && top.vendor === undefined && value !== undefined) this.resolveTop(value);
    this.nodes.pop();
  }

  split(halves: readonly [Span, Span]): void {
    const parent = this.nodes.pop();
    if (!parent) return;
    const [left, right] = halves;
    this.nodes.push({ fromWall: right.fromWall, toWall: right.toWall, ...(this.derive && parent.vendor ? { parent: parent.vendor } : {}), ...(this.derive && parent.by ? { by: parent.by } : {}) }, { fromWall: left.fromWall, toWall: left.toWall });
  }

  markFilled(): void {
    const top = this.top();
    if (top) top.filled = true;
  }
}

/** Stored sum over a span's windows (missing ones count as none): a skipped half's value for its sibling. */
export function storedSum(span: Span, stored: StoredLookup): Totals {
  return sumTotals(windowsOf(span).map((w) => stored(w) ?? {}));
}
