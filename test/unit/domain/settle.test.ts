/**
 * The settle planner driven as the engine drives it (lambda/collector/settle-span.ts), against
 * an in-memory vendor (the truth: calls per interval per window) and an in-memory store.
 */
import { describe, expect, it } from 'vitest';
import { decide, SettleStack, storedSum, type Decision, type SettleMode, type SettleNode, type StoredLookup } from '../../../lambda/domain/settle.ts';
import { daySpan, splitSpan, windowsOf, type Span } from '../../../lambda/domain/span.ts';
import { addTotals, NO_CALLS, sameTotals, subtractTotals, sumTotals, type Totals } from '../../../lambda/domain/totals.ts';
import { formatWall, WALL } from '../../../lambda/domain/wall-clock.ts';
import { WINDOW_MS, type Window } from '../../../lambda/domain/window.ts';
import { INTERVAL_KEYS, prng } from '../../simulator/synthetic-calls.ts';

const BOGOTA = 'America/Bogota';
const SANTIAGO = 'America/Santiago';
const DAY = '2026-11-20';
const HOUR = WALL.HOUR_MS;

const wall = (h: number, mi = 0): number => Date.UTC(2026, 10, 20, h, mi);
const label = (ms: number): string => formatWall(ms).slice(11, 16);
const spanLabel = (s: Span): string => `${label(s.fromWall)}-${label(s.toWall)}`;

/** Calls per interval per window start; a window not in the map holds no call. */
type Truth = Map<number, Totals>;
type Store = Map<number, Totals>;

interface Outcome {
  readonly asks: number;
  /** Window starts fetched with their own call, in order (a window may appear twice). */
  readonly fetched: number[];
  /** Window starts stored empty because a span proved them so. */
  readonly emptied: number[];
  readonly steps: number;
  /** Spans asked although they are the right half of a span whose totals were known (no derivation). */
  readonly rightHalvesAsked: string[];
  /** asks + window calls: what the vendor was asked in all. */
  readonly calls: number;
}

interface Options {
  /** Called before each aggregate call is answered (calls ending between two calls). */
  readonly beforeAsk?: (span: Span) => void;
  readonly maxSteps?: number;
}

const sumOver = (span: Span, m: Map<number, Totals>): Totals => sumTotals(windowsOf(span).map((w) => m.get(w.startWall) ?? {}));

/** What settleSearch does with each decision, with the vendor answering from `truth`. */
function settle(root: Span, mode: SettleMode, truth: Truth, store: Store, options: Options = {}): Outcome {
  const tz = root.timeZone;
  const lookup: StoredLookup = (w) => store.get(w.startWall);
  const stack = SettleStack.of(root);
  const fetched: number[] = [];
  const emptied: number[] = [];
  const derivable = new Set<string>();
  const rightHalvesAsked: string[] = [];
  let asks = 0;
  let steps = 0;
  const maxSteps = options.maxSteps ?? 5_000;
  while (!stack.empty) {
    steps += 1;
    if (steps > maxSteps) throw new Error(`no end after ${maxSteps} steps`);
    const top = stack.top()!;
    const span: Span = { fromWall: top.fromWall, toWall: top.toWall, timeZone: tz };
    const decision = decide(top, tz, lookup, mode);
    switch (decision.kind) {
      case 'skip':
        stack.pop(storedSum(span, lookup));
        break;
      case 'complete':
        stack.pop();
        break;
      case 'split':
        if (top.vendor !== undefined) derivable.add(spanLabel(decision.halves[1]));
        stack.split(decision.halves);
        break;
      case 'empty':
        for (const w of decision.windows) {
          store.set(w.startWall, {});
          emptied.push(w.startWall);
        }
        stack.pop();
        break;
      case 'ask':
        options.beforeAsk?.(span);
        if (derivable.has(spanLabel(span))) rightHalvesAsked.push(spanLabel(span));
        asks += 1;
        stack.resolveTop(sumOver(span, truth), `ask-${asks}`);
        break;
      case 'fetch': {
        let last: Totals | undefined;
        for (const w of decision.windows) {
          last = truth.get(w.startWall) ?? {};
          store.set(w.startWall, last);
          fetched.push(w.startWall);
        }
        if (top.vendor === undefined && decision.windows.length === 1 && decision.all) {
          stack.resolveTop(last ?? {});
          stack.pop();
        } else if (decision.all) stack.pop();
        else stack.markFilled();
        break;
      }
    }
  }
  return { asks, fetched, emptied, steps, rightHalvesAsked, calls: asks + fetched.length };
}

/** Windows of the day whose stored totals differ from the truth (missing ones included). */
function wrongWindows(span: Span, truth: Truth, store: Store): string[] {
  return windowsOf(span)
    .filter((w) => {
      const s = store.get(w.startWall);
      return s === undefined || !sameTotals(s, truth.get(w.startWall) ?? {});
    })
    .map((w) => label(w.startWall));
}

/** Random calls per interval of a busy window: 0 to 3 calls in each interval, at least one call. */
function busyWindow(rnd: () => number): Totals {
  const t: Record<string, number> = {};
  for (const k of INTERVAL_KEYS) {
    const n = Math.floor(rnd() * 4);
    if (n > 0) t[k] = n;
  }
  if (Object.keys(t).length === 0) t['21_60_seg'] = 1;
  return t;
}

/** Calls in every window from 08:00 to 18:00 only. */
function businessDay(seed: number): Truth {
  const rnd = prng(seed);
  const truth: Truth = new Map();
  for (let at = wall(8); at < wall(18); at += WINDOW_MS) truth.set(at, busyWindow(rnd));
  return truth;
}

/** Every window of the span stored as the truth has it. */
function storeAll(span: Span, truth: Truth): Store {
  return new Map(windowsOf(span).map((w) => [w.startWall, truth.get(w.startWall) ?? {}]));
}

const node = (s: Span, extra: Partial<SettleNode> = {}): SettleNode => ({ fromWall: s.fromWall, toWall: s.toWall, ...extra });

describe('Function: decide', () => {
  const day = daySpan(DAY, BOGOTA);
  const none: StoredLookup = () => undefined;

  it('returns ask when nothing is known of a span longer than a window', () => {
    // Act & Assess
    expect(decide(node(day), BOGOTA, none, 'fill')).toEqual<Decision>({ kind: 'ask' });
    expect(decide(node(day), BOGOTA, none, 'check')).toEqual<Decision>({ kind: 'ask' });
  });

  it('returns fetch of the window when the span is one window and nothing is known', () => {
    // Prepare
    const w: Window = { startWall: wall(9), timeZone: BOGOTA };

    // Act
    const d = decide({ fromWall: wall(9), toWall: wall(9) + WINDOW_MS }, BOGOTA, none, 'check');

    // Assess
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: [w], all: true });
  });

  it('returns skip when the span holds no existing window (Santiago 2026-09-06 00:00-01:00)', () => {
    // Prepare
    const gap = daySpan('2026-09-06', SANTIAGO);

    // Act
    const d = decide({ fromWall: gap.fromWall, toWall: gap.fromWall + HOUR }, SANTIAGO, none, 'check');

    // Assess
    expect(d).toEqual<Decision>({ kind: 'skip' });
  });

  it('returns empty for every window when the vendor says no call and nothing is stored', () => {
    // Act
    const d = decide(node(day, { vendor: {} }), BOGOTA, none, 'fill');

    // Assess
    expect(d.kind).toBe('empty');
    expect(d.kind === 'empty' && d.windows.length).toBe(288);
  });

  it('returns fetch of the differing windows when a short span differs by at least a call per window', () => {
    // Prepare: 08:00-08:30, vendor 12 calls, nothing stored
    const s: Span = { fromWall: wall(8), toWall: wall(8, 30), timeZone: BOGOTA };

    // Act
    const d = decide(node(s, { vendor: { '0_5_seg': 12 } }), BOGOTA, none, 'fill');

    // Assess: the span held nothing, so the fetched windows are taken as they come (verification checks them later).
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: windowsOf(s), all: true });
  });

  it('returns fetch of the missing windows to be looked at again after when the span held some', () => {
    // Prepare: 08:00-08:30, vendor 12 calls, 08:00 stored without calls, the rest missing
    const s: Span = { fromWall: wall(8), toWall: wall(8, 30), timeZone: BOGOTA };
    const stored: StoredLookup = (w): Totals | undefined => (w.startWall === wall(8) ? NO_CALLS : undefined);

    // Act
    const d = decide(node(s, { vendor: { '0_5_seg': 12 } }), BOGOTA, stored, 'fill');

    // Assess
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: windowsOf(s).slice(1), all: false });
  });

  it('returns fetch of every window, not of the missing ones only, when the vendor has fewer calls than stored in the span', () => {
    // Prepare: 10:00-11:00; 10:20 stored with 2 calls the vendor does not have, 10:40-10:50 missing (4 calls each)
    const s: Span = { fromWall: wall(10), toWall: wall(11), timeZone: BOGOTA };
    const missing = [wall(10, 40), wall(10, 45), wall(10, 50)];
    const stored: StoredLookup = (w): Totals | undefined => (missing.includes(w.startWall) ? undefined : w.startWall === wall(10, 20) ? { '6_20_seg': 2 } : NO_CALLS);

    // Act
    const d = decide(node(s, { vendor: { '0_5_seg': 12 } }), BOGOTA, stored, 'check');

    // Assess
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: windowsOf(s), all: true });
  });

  it('returns fetch of the missing windows only when the vendor has more calls than stored in the span', () => {
    // Prepare: the same without the wrong reading
    const s: Span = { fromWall: wall(10), toWall: wall(11), timeZone: BOGOTA };
    const missing = [wall(10, 40), wall(10, 45), wall(10, 50)];
    const stored: StoredLookup = (w) => (missing.includes(w.startWall) ? undefined : {});

    // Act
    const d = decide(node(s, { vendor: { '0_5_seg': 12 } }), BOGOTA, stored, 'check');

    // Assess
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: missing.map((startWall) => ({ startWall, timeZone: BOGOTA })), all: false });
  });
});

describe('Function: decide (a vendor whose totals do not add up, windows without calls asked again)', () => {
  const empty: StoredLookup = () => NO_CALLS;
  const policy = { directUpTo: 24, denseCallsPerWindow: 1, additive: false };

  it('returns complete when the run of windows still answers no records', () => {
    // Prepare: 20:00-23:00 stored without calls, the vendor still says none
    const s: Span = { fromWall: wall(20), toWall: wall(23), timeZone: BOGOTA };

    // Act
    const d = decide(node(s, { vendor: {} }), BOGOTA, empty, 'check', policy);

    // Assess
    expect(d).toEqual<Decision>({ kind: 'complete' });
  });

  it('returns fetch of every window when a run of at most 4 windows now answers calls', () => {
    // Prepare: 20:00-20:20, a late call the sum cannot place
    const s: Span = { fromWall: wall(20), toWall: wall(20, 20), timeZone: BOGOTA };

    // Act
    const d = decide(node(s, { vendor: { '121_mas_seg': 1 } }), BOGOTA, empty, 'check', policy);

    // Assess
    expect(d).toEqual<Decision>({ kind: 'fetch', windows: windowsOf(s), all: true });
  });

  it('returns halves to ask, never derived from each other, when a longer run now answers calls', () => {
    // Prepare
    const s: Span = { fromWall: wall(20), toWall: wall(23), timeZone: BOGOTA };
    const stack = new SettleStack([node(s, { vendor: { '121_mas_seg': 1 } })], false);

    // Act
    const d = decide(stack.top()!, BOGOTA, empty, 'check', policy);
    if (d.kind === 'split') stack.split(d.halves);
    stack.resolveTop({ '121_mas_seg': 1 });

    // Assess: the right half stays unknown (asked itself), whatever its parent said.
    expect(d).toEqual<Decision>({ kind: 'split', halves: splitSpan(s) });
    expect(stack.nodes.map((n) => n.vendor)).toEqual([undefined, { '121_mas_seg': 1 }]);
  });
});

describe('Class: SettleStack', () => {
  const day = daySpan(DAY, BOGOTA);

  it("returns the right half's vendor totals as parent minus left when the left half is answered", () => {
    // Prepare
    const parent: Totals = { '0_5_seg': 5, '6_20_seg': 3, greater_than_121: 1 };
    const stack = new SettleStack([node(day, { vendor: parent, by: 'day-call' })]);
    const halves = splitSpan(day);
    stack.split(halves);

    // Act
    stack.resolveTop({ '0_5_seg': 2, greater_than_121: 1 }, 'left-call');

    // Assess
    const [right, left] = stack.nodes;
    expect(left?.vendor).toEqual({ '0_5_seg': 2, greater_than_121: 1 });
    expect(left?.by).toBe('left-call');
    expect(right?.fromWall).toBe(halves[1].fromWall);
    expect(right?.parent).toBeUndefined();
    expect(sameTotals(right?.vendor ?? { x: 1 }, { '0_5_seg': 3, '6_20_seg': 3 })).toBe(true);
    expect(right?.by).toBe('day-call');
  });

  it('leaves the right half unknown, to be asked, when parent minus left would be negative', () => {
    // Prepare: a call ended in the left half between the day's call and the left half's
    const stack = new SettleStack([node(day, { vendor: { '0_5_seg': 5 } })]);
    stack.split(splitSpan(day));

    // Act
    stack.resolveTop({ '0_5_seg': 4, greater_than_121: 1 });
    stack.pop();

    // Assess
    const right = stack.top();
    expect(stack.nodes).toHaveLength(1);
    expect(right?.vendor).toBeUndefined();
    expect(right?.parent).toBeUndefined();
    expect(decide(right!, BOGOTA, () => ({}), 'check')).toEqual<Decision>({ kind: 'ask' });
  });

  it("returns the right half's totals as parent minus the left's stored sum when the left half is skipped", () => {
    // Prepare
    const stack = new SettleStack([node(day, { vendor: { '0_5_seg': 5 } })]);
    stack.split(splitSpan(day));

    // Act
    stack.pop({ '0_5_seg': 2 });

    // Assess
    expect(stack.top()?.vendor).toEqual({ '0_5_seg': 3 });
  });

  it('returns halves without a parent when the split span was never asked', () => {
    // Prepare
    const stack = SettleStack.of(day);

    // Act
    stack.split(splitSpan(day));
    stack.resolveTop({ '0_5_seg': 1 });

    // Assess
    expect(stack.nodes[0]?.vendor).toBeUndefined();
    expect(stack.nodes[0]?.parent).toBeUndefined();
  });
});

describe('Function: decide (driven as the engine drives it)', () => {
  const day = daySpan(DAY, BOGOTA);

  it('returns 1 ask and 288 windows stored empty when the day holds no call (fill)', () => {
    // Prepare
    const store: Store = new Map();

    // Act
    const out = settle(day, 'fill', new Map(), store);

    // Assess
    expect(out.asks).toBe(1);
    expect(out.fetched).toEqual([]);
    expect(out.emptied).toHaveLength(288);
    expect(store.size).toBe(288);
    expect([...store.values()].every((t) => sameTotals(t, {}))).toBe(true);
  });

  it('returns no call when every window of the day is stored (fill)', () => {
    // Prepare
    const truth = businessDay(1);
    const store = storeAll(day, truth);

    // Act
    const out = settle(day, 'fill', truth, store);

    // Assess
    expect(out.calls).toBe(0);
  });

  it('returns every window equal to the truth with far fewer calls than a window each when the day is a business day (fill)', () => {
    // Prepare: 120 windows with calls (08:00-18:00), 168 empty
    const truth = businessDay(2);
    const store: Store = new Map();

    // Act
    const out = settle(day, 'fill', truth, store);

    // Assess
    expect(wrongWindows(day, truth, store)).toEqual([]);
    expect(out.fetched.every((at) => at >= wall(8) && at < wall(18))).toBe(true);
    expect(new Set(out.fetched).size).toBe(out.fetched.length);
    expect(out.emptied).toHaveLength(168);
    expect(out.calls).toBeLessThanOrEqual(120 + 20);
  });

  it('returns 1 ask and nothing fetched when the day is stored complete (check)', () => {
    // Prepare
    const truth = businessDay(3);
    const store = storeAll(day, truth);

    // Act
    const out = settle(day, 'check', truth, store);

    // Assess
    expect(out.asks).toBe(1);
    expect(out.fetched).toEqual([]);
    expect(out.emptied).toEqual([]);
  });

  it('returns only the 3 changed windows re-fetched when calls ended late in 3 windows of a stored day (check)', () => {
    // Prepare: the store holds the day as it was; since then a call ended in each of 3 windows
    const before = businessDay(4);
    const store = storeAll(day, before);
    const changed = [wall(9, 10), wall(13, 45), wall(17, 30)];
    const truth: Truth = new Map(before);
    for (const at of changed) truth.set(at, addTotals(truth.get(at) ?? {}, { greater_than_121: 1 }));

    // Act
    const out = settle(day, 'check', truth, store);

    // Assess
    expect([...out.fetched].sort((a, b) => a - b).map(label)).toEqual(changed.map(label));
    expect(out.rightHalvesAsked).toEqual([]);
    expect(wrongWindows(day, truth, store)).toEqual([]);
    expect(out.calls).toBeLessThanOrEqual(Math.floor(3 * (Math.log2(288) + 2)));
  });

  it('returns the window re-fetched when the vendor has fewer calls there than stored (check)', () => {
    // Prepare: the stored reading of 10:20 holds 2 calls too many
    const truth = businessDay(5);
    const store = storeAll(day, truth);
    store.set(wall(10, 20), addTotals(truth.get(wall(10, 20)) ?? {}, { '6_20_seg': 2 }));

    // Act
    const out = settle(day, 'check', truth, store);

    // Assess
    expect(out.fetched.map(label)).toContain('10:20');
    expect(out.fetched.length).toBeLessThanOrEqual(2);
    expect(wrongWindows(day, truth, store)).toEqual([]);
    expect(out.calls).toBeLessThanOrEqual(Math.floor(Math.log2(288) + 2));
  });

  it('returns the window re-fetched as empty when it is stored with a call the vendor does not have (check)', () => {
    // Prepare: 03:00 holds no call, but one is stored there
    const truth = businessDay(6);
    const store = storeAll(day, truth);
    store.set(wall(3), { '0_5_seg': 1 });

    // Act
    const out = settle(day, 'check', truth, store);

    // Assess
    expect(out.fetched.map(label)).toContain('03:00');
    expect(wrongWindows(day, truth, store)).toEqual([]);
  });

  it('returns the right half asked again when a call ended in the left half between the two calls (check)', () => {
    // Prepare: stored as it was; a call ended at 09:00 before the day's call, and another at
    // 10:00 (left half, greater_than_121, which the right half never held) just before the left half's call
    const before = businessDay(7);
    for (const [at, t] of before) if (at >= wall(12)) before.set(at, subtractTotals(t, { greater_than_121: t['greater_than_121'] ?? 0 }));
    const store = storeAll(day, before);
    const truth: Truth = new Map(before);
    truth.set(wall(9), addTotals(truth.get(wall(9)) ?? {}, { '0_5_seg': 1 }));
    const asked: string[] = [];
    const beforeAsk = (s: Span) => {
      asked.push(`${label(s.fromWall)}-${label(s.toWall)}`);
      if (asked.length === 2) truth.set(wall(10), addTotals(truth.get(wall(10)) ?? {}, { greater_than_121: 1 }));
    };

    // Act
    const out = settle(day, 'check', truth, store, { beforeAsk });

    // Assess
    expect(asked.slice(0, 2)).toEqual(['00:00-00:00', '00:00-12:00']);
    expect(out.rightHalvesAsked).toContain('12:00-00:00');
    expect(wrongWindows(day, truth, store)).toEqual([]);
    expect(out.fetched.map(label).sort()).toEqual(['09:00', '10:00']);
  });

  it('returns the right halves derived, never asked, when one call ended late in the afternoon (check)', () => {
    // Prepare
    const before = businessDay(8);
    const store = storeAll(day, before);
    const truth: Truth = new Map(before);
    truth.set(wall(15, 5), addTotals(truth.get(wall(15, 5)) ?? {}, { '0_5_seg': 1 }));
    const asked: string[] = [];

    // Act
    const out = settle(day, 'check', truth, store, { beforeAsk: (s) => asked.push(spanLabel(s)) });

    // Assess: the day, then each time only the half holding 15:05 (the right one is derived)
    expect(out.rightHalvesAsked).toEqual([]);
    expect(asked).toEqual(['00:00-00:00', '00:00-13:00', '13:00-16:00', '13:00-15:00', '15:00-15:30', '15:00-15:20', '15:00-15:15', '15:00-15:10']);
    // 15:00 is the left half of 15:00-15:10: a window is fetched instead of asked (one call either way)
    expect(out.fetched.map(label)).toEqual(['15:00', '15:05']);
    expect(wrongWindows(day, truth, store)).toEqual([]);
  });

  it.each([
    { name: 'one window', missing: [wall(11, 35)] },
    { name: 'two windows', missing: [wall(2, 0), wall(11, 35)] },
  ])('returns $name fetched without an ask when $name of a stored day are missing (fill)', ({ missing }) => {
    // Prepare
    const truth = businessDay(9);
    const store = storeAll(day, truth);
    for (const at of missing) store.delete(at);

    // Act
    const out = settle(day, 'fill', truth, store);

    // Assess
    expect(out.asks).toBe(0);
    expect(out.fetched).toEqual(missing);
    expect(wrongWindows(day, truth, store)).toEqual([]);
  });

  it('returns 1 ask and 276 windows stored empty when a spring-forward day holds no call (fill, Santiago 2026-09-06)', () => {
    // Prepare
    const santiago = daySpan('2026-09-06', SANTIAGO);
    const store: Store = new Map();

    // Act
    const out = settle(santiago, 'fill', new Map(), store);

    // Assess
    expect(out.asks).toBe(1);
    expect(store.size).toBe(276);
  });
});

describe('Property: decide over random days', () => {
  const day = daySpan(DAY, BOGOTA);
  const windows = windowsOf(day);

  /** A random day: each hour empty, quiet or busy; each window stored, missing, or stale (fewer calls than the truth). */
  function randomDay(seed: number): { truth: Truth; store: Store } {
    const rnd = prng(seed);
    const truth: Truth = new Map();
    const kinds = Array.from({ length: 24 }, () => rnd());
    for (const w of windows) {
      const hour = Math.floor((w.startWall - day.fromWall) / HOUR);
      const kind = kinds[hour] ?? 0;
      if (kind < 0.4) continue;
      if (kind < 0.7 && rnd() < 0.8) continue;
      truth.set(w.startWall, busyWindow(rnd));
    }
    const storedShare = rnd();
    const store: Store = new Map();
    for (const w of windows) {
      if (rnd() > storedShare) continue;
      const t = truth.get(w.startWall) ?? {};
      const k = INTERVAL_KEYS.find((key) => (t[key] ?? 0) > 0);
      store.set(w.startWall, k !== undefined && rnd() < 0.1 ? subtractTotals(t, { [k]: 1 }) : t);
    }
    return { truth, store };
  }

  it('returns every window equal to the truth when a random day is checked (30 days)', () => {
    // Prepare
    const results: { seed: number; wrong: string[]; rightHalvesAsked: string[]; calls: number }[] = [];

    // Act
    for (let seed = 1; seed <= 30; seed += 1) {
      const { truth, store } = randomDay(seed);
      const out = settle(day, 'check', truth, store);
      results.push({ seed, wrong: wrongWindows(day, truth, store), rightHalvesAsked: out.rightHalvesAsked, calls: out.calls });
    }

    // Assess
    expect(results.filter((r) => r.wrong.length > 0 || r.rightHalvesAsked.length > 0)).toEqual([]);
    expect(results.filter((r) => r.calls > 2 * 288)).toEqual([]);
  });

  it('returns every missing window stored as the truth has it when a random day is filled (30 days)', () => {
    // Prepare
    const results: { seed: number; unstored: number; wrong: string[] }[] = [];

    // Act
    for (let seed = 101; seed <= 130; seed += 1) {
      const { truth, store } = randomDay(seed);
      const missing = windows.filter((w) => !store.has(w.startWall));
      settle(day, 'fill', truth, store);
      results.push({
        seed,
        unstored: windows.filter((w) => !store.has(w.startWall)).length,
        wrong: missing.filter((w) => !sameTotals(store.get(w.startWall) ?? { x: 1 }, truth.get(w.startWall) ?? {})).map((w) => label(w.startWall)),
      });
    }

    // Assess
    expect(results.filter((r) => r.unstored > 0 || r.wrong.length > 0)).toEqual([]);
  });
});
