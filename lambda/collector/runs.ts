/**
 * The one engine. A scheduled run (Lambda, or the CLI without a range) collects the due live
 * windows, restates for late data, then works on queued backfill jobs. A CLI range is such a
 * backfill job, worked on now until done: the same job record, the same skipping of stored
 * windows, the same guards, budget, lease and progress saves. They differ only in who waits.
 */
import { labelOf, type BackfillJob, type Checkpoint } from '../domain/checkpoint.ts';
import { CollectorError, LeaseHeldError, StorageError, WolkvoxTokenBusyError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { dataKey, dayPrefix, DATA_TABLE } from '../domain/layout.ts';
import { METRIC } from '../domain/metrics.ts';
import { iterateWindows, latestDueWindow, planDueWindows } from '../domain/planner.ts';
import { firstInstantOf, formatDate, parseWall, toWallClock, WALL } from '../domain/wall-clock.ts';
import { WINDOW_MS, windowEndInstant, type Window } from '../domain/window.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { LeaseStore } from '../storage/lease-store.ts';
import { collectWindows, emptyResult, emptySummary, isWindowPoison, mergeSummary, type CollectedSummary, type CollectOptions, type CollectorDeps, type CollectResult, type StopReason } from './collect-windows.ts';
import { acquireLease, type Lease, type LeaseHolder } from './lease.ts';
import { DayAnswers, settleSearch, StoredDays } from './settle-span.ts';
import { collectQuiet, noteQuiet, quietPlan } from './quiet-period.ts';
import { reconcileHours } from './reconcile-hours.ts';
import { DEFAULT_VERIFY_AFTER_MINUTES, daysUnverifiedPastBound, verifyDays } from './verify-days.ts';
import { chunkSpan } from '../domain/span.ts';
import type { SettleNode } from '../domain/settle.ts';
import { labelAfter, loadCheckpoint, RunState } from './run-state.ts';

export interface EngineDeps extends CollectorDeps {
  /** Where the lease is taken; without it the run takes none (unit tests of one collector). */
  readonly leases?: LeaseStore;
  readonly holder?: LeaseHolder;
  /** True once the run should stop after the window in flight (Ctrl-C, SIGTERM). */
  readonly shouldStop?: () => boolean;
  /** Brings the day objects (cdr_4_daily) of these days level with their window objects; names the days it could not. */
  readonly refreshDays?: (days: readonly string[]) => Promise<{ readonly failedDays: readonly string[]; readonly skippedDays?: readonly string[] }>;
}

export interface RunSettings {
  readonly operation: string;
  readonly prefix: string;
  readonly timeZone: string;
  readonly settleMinutes: number;
  readonly requestTimeoutMs: number;
  /** Epoch ms by which the run must be done (Infinity for the CLI). */
  readonly deadline: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: readonly number[];
  readonly onCollected?: CollectOptions['onCollected'];
  /** At most this many API calls per operation day, every run and job together; undefined: no cap of our own. */
  readonly dailyCallCap?: number;
  /** A day is verified once this long has passed since it ended (long calls end meanwhile). Default 240. */
  readonly verifyAfterMinutes?: number;
  /** Told as the run turns to work that makes no window of its own show (a progress line names it). */
  readonly onPhase?: (phase: RunPhase) => void;
}

/** Work after (or beside) the windows a user watches: a day's check, the day objects' rewrite. */
export type RunPhase = { readonly name: 'verify'; readonly day: string } | { readonly name: 'day-objects'; readonly days: number };

export interface LiveRunSettings extends RunSettings {
  /** Windows to take on a first run, counting back from the latest due one. Default 1. */
  readonly firstRunWindows?: number;
  /** Upper bound of windows planned per phase in one run. Default 2016 (a week). */
  readonly maxWindowsPerRun?: number;
  /** Runs in a row a window may fail non-transiently before it is quarantined. Default 3. */
  readonly quarantineAfter?: number;
  /** Reconcile each hour (late calls) once its last window ended this long ago; 0 turns it off. Default 90. */
  readonly restateAfterMinutes?: number;
  /**
   * After half an hour without calls, due windows wait up to this long after they end and are
   * then collected with one call over all of them; 0 turns it off. Default 30.
   */
  readonly quietFreshnessMinutes?: number;
  /** Queue this wall-clock range [from, to) for backfill before running. */
  readonly backfill?: { readonly fromWall: number; readonly toWall: number; readonly refetch?: boolean };
}

export interface RangeRunSettings extends RunSettings {
  /** Collect windows again even when their objects are stored (revision 2 for those). */
  readonly refetch?: boolean;
  /**
   * How long one spell of transient trouble (maintenance, 5xx, timeouts, a busy token) is
   * waited out, with growing pauses, before the run stops. 0: stop at once (the Lambda's way).
   */
  readonly waitForTransientMs?: number;
  /** Told the number of due windows the job still covers, before the first call. */
  readonly onPlanned?: (due: number) => void;
  /** Told about each window skipped because its objects are already stored. */
  readonly onSkipped?: (w: Window) => void;
  /** Told before each pause: how long, why, and how long this spell has been waited out so far. */
  readonly onWaiting?: (info: { ms: number; error: CollectorError; waitedMs: number; limitMs: number }) => void;
}

export type RunStopReason = StopReason | 'token-limit-wait';

export interface RunReport {
  readonly planned: number;
  /** Windows durably written by this run (live, or the range's). */
  readonly collected: CollectedSummary;
  readonly quarantined: readonly Window[];
  readonly stopReason: RunStopReason;
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
  /** API calls of every phase. */
  readonly apiCalls: number;
  /** Due live windows still not collected after this run. */
  readonly windowsBehind: number;
  /** Windows of an explicit range that have not ended yet, hence not requested. */
  readonly notYetDue: number;
  /** Windows of a range passed over because their objects were already stored. */
  readonly skipped: number;
  readonly restated: number;
  readonly backfilled: number;
  readonly backfillRemaining: number;
  /** True when the daily cap (ours) or the vendor's limit held back any work this run. */
  readonly budgetExhausted: boolean;
  /** API calls counted on the operation day so far (every run and job). */
  readonly callsToday: number;
  /** No API call before this instant (the vendor's daily limit), when it applies. */
  readonly tokenLimitUntil: string | null;
  /** Time spent waiting out transient trouble (CLI ranges). */
  readonly waitedMs: number;
  /** True when a spell of trouble outlasted `waitForTransientMs`. */
  readonly gaveUpWaiting: boolean;
  /** For a range: where its job stands (null once done). */
  readonly job?: { readonly next: string; readonly to: string; readonly remaining: number; readonly searching: boolean } | null;
  readonly verification: VerificationSummary;
}

export interface VerificationSummary {
  /** Days verified by this run (one call for the whole day equals its stored windows). */
  readonly verified: readonly string[];
  /** Days whose check found changes this run (the windows that changed were re-collected). */
  readonly changed: readonly string[];
  /** Days found collected only in part: not verified, and no longer waited for. */
  readonly partial: readonly string[];
  /** API calls spent on verification (day calls, narrowing, re-collected windows). */
  readonly apiCalls: number;
  /** Days with windows stored that are not verified yet, after this run. */
  readonly pending: number;
  /** ...those days, oldest first. */
  readonly pendingDays: readonly string[];
  /** ...of which unverified past the bound (3 days after the day ended, or after its first window was stored if later): the DaysUnverified alarm. */
  readonly pastBound: number;
  /** Why verification stopped before it was through, if it did. */
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
  /** True when a stop request (Ctrl-C) ended verification early. */
  readonly interrupted?: boolean;
}

const NO_VERIFICATION: VerificationSummary = { verified: [], changed: [], partial: [], apiCalls: 0, pending: 0, pendingDays: [], pastBound: 0 };

const DAY_MS = 24 * WALL.HOUR_MS;
const DEFAULT_RESTATE_MINUTES = 90;
/** Pauses between attempts while waiting out transient trouble (CLI ranges). */
const WAIT_STEPS_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000];
/** Long pauses are cut into slices: a Ctrl-C is answered and the lease renewed meanwhile. */
const WAIT_SLICE_MS = 5_000;

/** The vendor's daily allowance is assumed to reset at the operation's midnight. */
export function nextMidnight(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return firstInstantOf(Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS, timeZone);
}

function countWindows(from: Window, through: Window): number {
  return Math.max(0, Math.round((through.startWall - from.startWall) / WINDOW_MS) + 1);
}

/** Live windows left in today's operation day: what a daily cap must keep for them. */
function liveWindowsLeftToday(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return Math.ceil((Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS - wall) / WINDOW_MS);
}

/**
 * Window labels a job still has to settle: the spans of its search in progress (top down,
 * these are exactly what is left of its current chunk) and everything after that chunk. With
 * `isStored` (what this run knows to be stored), windows of those spans already stored are not
 * counted unless the job refetches: a search cut short mid-span skips them when it resumes.
 */
function backfillRemaining(queue: readonly BackfillJob[], searches: ReadonlyMap<string, readonly SettleNode[]>, isStored?: (startWall: number) => boolean): number {
  return queue.reduce((n, b) => {
    const nodes = searches.get(jobKey(b)) ?? [];
    const chunkEnd = nodes[0]?.toWall ?? parseWall(b.next)!;
    const skips = b.refetch ? undefined : isStored;
    const inSearch = nodes.reduce((m, node) => m + windowsLeftIn(node, skips), 0);
    return n + inSearch + Math.max(0, (parseWall(b.to)! - chunkEnd) / WINDOW_MS);
  }, 0);
}

function windowsLeftIn(node: SettleNode, isStored: ((startWall: number) => boolean) | undefined): number {
  if (!isStored) return (node.toWall - node.fromWall) / WINDOW_MS;
  let left = 0;
  for (let t = node.fromWall; t < node.toWall; t += WINDOW_MS) if (!isStored(t)) left += 1;
  return left;
}

function tokenLimitActive(until: string | null | undefined, now: number): boolean {
  return until != null && now < Date.parse(until);
}

/** Whether the data object of a window is stored: one LIST per day, held for one day at a time. */
function storedWindows(store: ObjectStore, s: RunSettings) {
  let day: string | undefined;
  let keys = new Set<string>();
  return {
    async has(w: Window): Promise<boolean> {
      const dt = formatDate(w.startWall);
      if (dt !== day) {
        keys = new Set((await store.list(dayPrefix(s.prefix, DATA_TABLE, s.operation, dt))).map((o) => o.key));
        day = dt;
      }
      return keys.has(dataKey(s.prefix, s.operation, w));
    },
  };
}

interface OpenRun {
  readonly state: RunState;
  readonly lease: Lease | undefined;
}

/**
 * Takes the lease, then reads the checkpoint under it (the truth). Callers read it once
 * before, for the guards (operation, zone, token limit, cap), so that a refused run writes
 * nothing, not even a lease.
 */
async function openRun(deps: EngineDeps, s: RunSettings, init?: (state: RunState) => void): Promise<OpenRun> {
  const lease = deps.leases && deps.holder ? await acquireLease({ store: deps.leases, prefix: s.prefix, operation: s.operation, holder: deps.holder, clock: deps.clock }) : undefined;
  try {
    const cp = await loadCheckpoint(deps, s);
    const state = new RunState(deps, s, cp, lease, deps.refreshDays !== undefined);
    // The first write to a store records its operation and zone, before any window is written.
    if (!cp) {
      init?.(state);
      await state.save();
    }
    return { state, lease };
  } catch (error) {
    await lease?.release().catch(() => undefined);
    throw error;
  }
}

/** Gives the lease back once every write the run started has landed or failed (a failed run's too). */
async function endRun(deps: EngineDeps, run: OpenRun): Promise<void> {
  await run.state.quiesce();
  await run.lease?.release().catch((error: unknown) => deps.log.warn('could not release the lease; it lapses by itself', { message: (error as Error).message }));
}

/** Brings day objects level and saves the state; the caller gives the lease back (endRun). */
async function closeRun(deps: EngineDeps, s: RunSettings, run: OpenRun): Promise<void> {
  const { state } = run;
  if (deps.refreshDays && state.daysDirty.size > 0) {
    const days = [...state.daysDirty].sort();
    // A day a verification read back has its object written from that read, unless windows came after it.
    const todo = days.filter((d) => !state.levelledClean(d));
    // A refresh never races a verification's write of the same object.
    await Promise.all(todo.map((d) => state.levelledLanded(d)));
    if (todo.length > 0) s.onPhase?.({ name: 'day-objects', days: todo.length });
    const { failedDays, skippedDays = [] } = todo.length > 0 ? await deps.refreshDays(todo) : { failedDays: [], skippedDays: [] };
    // A day that failed, or was left for lack of time, stays marked: the next run tries it again.
    // So does the live cursor's day: the next scheduled run writes into it, and finding it
    // already marked spares that run a checkpoint write before its first window.
    const keep = new Set([...failedDays, ...skippedDays]);
    if (state.nextWindow !== null) keep.add(state.nextWindow.slice(0, 10));
    for (const d of days) if (!keep.has(d)) state.daysDirty.delete(d);
  }
  // Every write started in the background lands before the run returns (a Lambda is frozen after).
  await state.flush();
}

interface JobPass {
  readonly result: CollectResult;
  readonly skipped: number;
  /** First window of the job that has not ended yet, if the pass reached one. */
  readonly notYetDue: Window | undefined;
  readonly done: boolean;
}

function jobKey(job: Pick<BackfillJob, 'from' | 'to'>): string {
  return `job:${job.from}|${job.to}`;
}

/**
 * One pass over a job, top down: a span of up to 31 days is asked in one call, and only
 * spans with calls are split, down to windows (domain/settle.ts). Windows already stored
 * are never asked for again; `job.next` moves past each finished span.
 */
async function walkJob(deps: EngineDeps, s: RangeRunSettings, state: RunState, stored: StoredDays, job: BackfillJob, maxApiCalls: number, answers: DayAnswers): Promise<JobPass> {
  const end = parseWall(job.to)!;
  // Only windows that have ended: the first that has not is where this pass stops.
  const endedTo = Math.min(end, latestDueWindow(deps.clock(), s.timeZone, 0).startWall + WINDOW_MS);
  const notYetDue = endedTo < end ? [...iterateWindows({ startWall: endedTo, timeZone: s.timeZone }, end)][0] : undefined;
  const key = jobKey(job);
  const result = emptyResult();
  let skipped = 0;
  while (parseWall(job.next)! < endedTo) {
    const saved = state.searches.get(key);
    // A search cut short resumes on its own spans; the bottom one ends where its chunk ends.
    const chunk = saved && saved.length > 0 ? { fromWall: parseWall(job.next)!, toWall: saved[0]!.toWall, timeZone: s.timeZone } : chunkSpan(parseWall(job.next)!, endedTo, s.timeZone);
    const outcome = await settleSearch(deps, s, state, stored, {
      mode: 'fill',
      key,
      maxApiCalls: maxApiCalls - result.apiCalls,
      quarantine: true,
      ...(s.onCollected ? { onCollected: s.onCollected } : {}),
      onSkipped: (windows) => {
        for (const w of windows) {
          state.touchDay(w);
          s.onSkipped?.(w);
        }
      },
    }, chunk);
    mergeSummary(result.collected, outcome.collected);
    result.quarantined.push(...outcome.quarantined);
    result.apiCalls += outcome.apiCalls;
    skipped += outcome.skipped;
    answers.merge(outcome);
    if (outcome.stopReason !== 'done') {
      result.stopReason = outcome.stopReason;
      if (outcome.stoppedAt) result.stoppedAt = outcome.stoppedAt;
      break;
    }
    job.next = labelOf({ startWall: chunk.toWall, timeZone: s.timeZone });
    await state.progress();
  }
  if (result.stopReason === 'done' && notYetDue && parseWall(job.next)! < notYetDue.startWall) job.next = labelOf(notYetDue);
  return { result, skipped, notYetDue, done: parseWall(job.next)! >= end };
}

/**
 * One pass over a backfill job (a refetch; every other job is walked top down by walkJob): windows from `job.next`, oldest first, skipping those
 * already stored (unless refetch) and stopping before the first that has not ended.
 * `job.next` moves only past windows that are handled or stored.
 */
async function workJob(deps: EngineDeps, s: RangeRunSettings, state: RunState, job: BackfillJob, maxApiCalls: number, storedDays?: StoredDays, answers?: DayAnswers): Promise<JobPass> {
  if (!job.refetch && storedDays && answers) return walkJob(deps, s, state, storedDays, job, maxApiCalls, answers);
  const end = parseWall(job.to)!;
  const stored = storedWindows(deps.store, s);
  const storedBefore = new Set<number>();
  let skipped = 0;
  let notYetDue: Window | undefined;
  async function* todo(): AsyncGenerator<Window> {
    for (const w of iterateWindows({ startWall: parseWall(job.next)!, timeZone: s.timeZone }, end)) {
      if (windowEndInstant(w) > deps.clock()) {
        notYetDue = w;
        return;
      }
      const isStored = await stored.has(w);
      if (isStored && !job.refetch) {
        skipped += 1;
        state.touchDay(w);
        s.onSkipped?.(w);
        deps.log.debug('window already stored: skipped', { window_start: labelOf(w) });
        continue;
      }
      if (isStored) storedBefore.add(w.startWall);
      yield w;
    }
  }
  const result = await collectWindows(
    deps,
    {
      ...s,
      revision: 1,
      revisionOf: (w) => (storedBefore.has(w.startWall) ? 2 : 1),
      maxApiCalls,
      quarantine: () => true,
      onApiCall: () => state.countCall(),
      ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
      afterHandled: async (w, outcome) => {
        state.noteHandled(w, outcome);
        job.next = labelAfter(w);
        await state.progress();
      },
      beforeWrite: (w) => state.markDay(w),
    },
    todo(),
  );
  if (result.stopReason !== 'done') job.next = labelOf(result.resumeAt!);
  else job.next = notYetDue ? labelOf(notYetDue) : job.to;
  return { result, skipped, notYetDue, done: parseWall(job.next)! >= end };
}

/** The daily cap's room for history: what is left once today's remaining live windows are reserved. */
function historyCalls(deps: EngineDeps, s: RunSettings, state: RunState): number {
  const cap = s.dailyCallCap ?? Number.POSITIVE_INFINITY;
  const reserve = Number.isFinite(cap) && state.nextWindow !== null ? liveWindowsLeftToday(deps.clock(), s.timeZone) : 0;
  return cap - state.callsToday() - reserve;
}

function emptyReport(stopReason: RunStopReason, extra: Partial<RunReport> = {}): RunReport {
  return { verification: NO_VERIFICATION, planned: 0, collected: emptySummary(), quarantined: [], stopReason, apiCalls: 0, windowsBehind: 0, notYetDue: 0, skipped: 0, restated: 0, backfilled: 0, backfillRemaining: 0, budgetExhausted: false, callsToday: 0, tokenLimitUntil: null, waitedMs: 0, gaveUpWaiting: false, ...extra };
}

function newJob(fromWall: number, toWall: number, timeZone: string, now: number, refetch: boolean): BackfillJob {
  const from = labelOf({ startWall: fromWall, timeZone });
  return { from, to: labelOf({ startWall: toWall, timeZone }), next: from, requested_at: new Date(now).toISOString(), refetch };
}

/**
 * One scheduled run: resume from the checkpoint, collect the due live windows oldest
 * first, then (if time and budget allow) restate windows for late data, then work on
 * queued backfills, and record progress as it goes. Live data never waits behind history;
 * the cursors only ever point past windows whose objects are durable.
 */
export async function runLive(deps: EngineDeps, s: LiveRunSettings): Promise<RunReport> {
  const pre = await loadCheckpoint(deps, s);
  if (tokenLimitActive(pre?.token_limit_until, deps.clock()) && !s.backfill) {
    deps.log.warn('token daily limit reached earlier: no API call until it resets', { until: pre!.token_limit_until });
    deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
    const latest = latestDueWindow(deps.clock(), s.timeZone, s.settleMinutes);
    const cursor = pre!.next_window ? { startWall: parseWall(pre!.next_window)!, timeZone: s.timeZone } : latest;
    return emptyReport('token-limit-wait', { budgetExhausted: true, windowsBehind: countWindows(cursor, latest), tokenLimitUntil: pre!.token_limit_until, backfillRemaining: backfillRemaining(pre!.backfills, new Map()) });
  }
  // A first run that dies still leaves its start, so the next run does not skip past it.
  const run = await openRun(deps, s, (state) => {
    state.nextWindow = labelOf(firstRunStart(deps.clock(), s));
    state.liveFrom = state.nextWindow;
  });
  try {
    const report = await liveRun(deps, s, run.state);
    await closeRun(deps, s, run);
    return report;
  } finally {
    await endRun(deps, run);
  }
}

function firstRunStart(now: number, s: LiveRunSettings): Window {
  const latest = latestDueWindow(now, s.timeZone, s.settleMinutes);
  return planDueWindows({ now, timeZone: s.timeZone, settleMinutes: s.settleMinutes, firstRunWindows: s.firstRunWindows ?? 1, limit: 1 })[0] ?? latest;
}

async function liveRun(deps: EngineDeps, s: LiveRunSettings, state: RunState): Promise<RunReport> {
  const now = deps.clock();
  const quarantineAfter = s.quarantineAfter ?? 3;
  const restateAfter = s.restateAfterMinutes ?? DEFAULT_RESTATE_MINUTES;
  const limit = s.maxWindowsPerRun ?? 2016;
  const cap = s.dailyCallCap ?? Number.POSITIVE_INFINITY;
  let budgetExhausted = false;
  let verification: VerificationSummary = NO_VERIFICATION;
  const base = { ...s, ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}), onApiCall: () => state.countCall() };

  if (s.backfill) {
    const job = newJob(s.backfill.fromWall, s.backfill.toWall, s.timeZone, now, s.backfill.refetch ?? false);
    // The same request twice (an invoke sent again) is one job.
    if (!state.backfills.some((b) => b.from === job.from && b.to === job.to && b.refetch === job.refetch)) state.backfills.push(job);
    deps.log.info('backfill queued', { from: job.from, to: job.to, refetch: job.refetch });
  }
  const stored = new StoredDays(deps, s);
  const answers = new DayAnswers();
  const finish = (report: Omit<RunReport, 'apiCalls' | 'budgetExhausted' | 'backfillRemaining' | 'callsToday' | 'tokenLimitUntil' | 'waitedMs' | 'gaveUpWaiting' | 'skipped' | 'verification'> & { skipped?: number }): RunReport => {
    if (budgetExhausted) deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
    deps.metrics.count(METRIC.windowsBehind, report.windowsBehind);
    const remaining = backfillRemaining(state.backfills, state.searches, stored.has);
    deps.metrics.count(METRIC.backfillWindowsRemaining, remaining);
    if (verification === NO_VERIFICATION) verification = pendingOnly(deps, s, state);
    return { skipped: 0, ...report, apiCalls: state.apiCalls, budgetExhausted, backfillRemaining: remaining, callsToday: state.callsToday(), tokenLimitUntil: state.tokenLimitUntil, waitedMs: 0, gaveUpWaiting: false, verification };
  };

  if (tokenLimitActive(state.tokenLimitUntil, now)) {
    // Only a backfill request gets here: it is queued (and saved by the caller), nothing else runs.
    budgetExhausted = true;
    return finish({ planned: 0, collected: emptySummary(), quarantined: [], stopReason: 'token-limit-wait', windowsBehind: 0, notYetDue: 0, restated: 0, backfilled: 0 });
  }

  // Phase 1: live windows. Our own cap is hard: once spent, even live windows wait for tomorrow.
  const cursor = state.nextWindow === null ? undefined : { startWall: parseWall(state.nextWindow)!, timeZone: s.timeZone };
  const windows = planDueWindows({ now, timeZone: s.timeZone, settleMinutes: s.settleMinutes, cursor, firstRunWindows: s.firstRunWindows ?? 1, limit });
  state.nextWindow ??= windows[0] ? labelOf(windows[0]) : labelOf(latestDueWindow(now, s.timeZone, s.settleMinutes));
  const quiet = quietPlan(now, s, state, windows);
  deps.log.info('run planned', { windows: windows.length, from: windows[0] && labelOf(windows[0]), resumed: cursor !== undefined, quiet: quiet.kind });
  let live: CollectResult;
  if (quiet.kind === 'defer') {
    live = emptyResult();
  } else if (quiet.kind === 'span') {
    live = await collectQuiet(deps, s, state, stored, answers, quiet.span, cap - state.callsToday());
  } else {
    live = await collectWindows(
      deps,
      {
        ...base,
        revision: 1,
        maxApiCalls: cap - state.callsToday(),
        quarantine: (w) => (state.failures[labelOf(w)] ?? 0) + 1 >= quarantineAfter,
        onCollected: (c) => {
          noteQuiet(state, c.window, c.callsByInterval);
          s.onCollected?.(c);
        },
        afterHandled: async (w, outcome) => {
          state.noteHandled(w, outcome);
          state.nextWindow = labelAfter(w);
          await state.progress();
        },
        beforeWrite: (w) => state.markDay(w),
      },
      windows,
    );
  }
  if (live.stopReason === 'budget') budgetExhausted = true;
  for (const w of live.quarantined) {
    deps.metrics.count(METRIC.windowsQuarantined, 1);
    deps.log.error('window quarantined after repeated non-transient failures; the day\'s verification tries it again', { window_start: labelOf(w) });
  }
  if (live.stoppedAt && isWindowPoison(live.stoppedAt.error)) {
    const label = labelOf(live.stoppedAt.window);
    state.failures[label] = (state.failures[label] ?? 0) + 1;
  }
  const nextCursor = { startWall: parseWall(state.nextWindow)!, timeZone: s.timeZone };
  let tokenLimited = live.stopReason === 'token-limit';
  if (tokenLimited) budgetExhausted = true;

  // History (reconciliation, verification, backfill) only runs behind a complete live phase,
  // and only on the budget left once today's remaining live windows are reserved.
  if (restateAfter > 0) state.restateNext ??= windows[0] ? labelOf(windows[0]) : null;
  else state.restateNext = null;
  let restated = 0;
  let backfilled = 0;
  let historyStop: StopReason = 'done';
  const historyAllowed = () => historyStop === 'done' && live.stopReason === 'done' && !live.stoppedAt;
  if (historyAllowed() && Number.isFinite(cap) && historyCalls(deps, s, state) <= 0 && (state.restateNext !== null || state.backfills.length > 0 || state.verifyDays.size > 0)) budgetExhausted = true;

  if (state.restateNext !== null && historyAllowed() && historyCalls(deps, s, state) > 0) {
    // A window collected in this very run is already as late as a re-collection would be.
    const justCollected = new Set(windows.slice(0, live.handledCount).map((w) => w.startWall));
    const r = await reconcileHours(deps, s, state, stored, { ripeBy: deps.clock() - restateAfter * WALL.MINUTE_MS, cursor: nextCursor.startWall, justCollected, budget: () => historyCalls(deps, s, state) });
    restated = r.recollected;
    deps.metrics.count(METRIC.windowsRestated, restated);
    historyStop = r.stopReason;
    if (r.stopReason === 'budget' || r.stopReason === 'token-limit') budgetExhausted = true;
  }

  if (historyAllowed() && historyCalls(deps, s, state) > 0) {
    verification = await verifyPhase(deps, s, state, stored, historyCalls(deps, s, state), answers);
    const stop = verification.stoppedAt?.error;
    if (stop instanceof WolkvoxTokenLimitError) historyStop = 'token-limit';
  }

  // Each job at most once per run, in queue order; one that waits for windows to end goes
  // to the back of the queue, so it does not hold up the jobs behind it.
  const waiting: BackfillJob[] = [];
  while (state.backfills.length > waiting.length && historyAllowed() && historyCalls(deps, s, state) > 0) {
    const job = state.backfills.find((b) => !waiting.includes(b))!;
    const pass = await workJob(deps, s, state, job, historyCalls(deps, s, state), stored, answers);
    backfilled += pass.result.collected.count;
    if (pass.done) state.backfills.splice(state.backfills.indexOf(job), 1);
    if (pass.result.stopReason === 'budget' || pass.result.stopReason === 'token-limit') budgetExhausted = true;
    historyStop = pass.result.stopReason;
    deps.log.info('backfill progress', { from: job.from, to: job.to, next: job.next, collected_this_run: pass.result.collected.count, skipped_stored: pass.skipped, windows_remaining: backfillRemaining(state.backfills, state.searches, stored.has) });
    if (!pass.done && pass.notYetDue && pass.result.stopReason === 'done') {
      waiting.push(job);
      state.backfills.push(...state.backfills.splice(state.backfills.indexOf(job), 1));
    }
  }
  deps.metrics.count(METRIC.windowsBackfilled, backfilled);
  // Days a backfill has just filled are checked in the same run when time and budget allow.
  if (backfilled > 0 && historyAllowed() && historyCalls(deps, s, state) > 0) {
    const after = await verifyPhase(deps, s, state, stored, historyCalls(deps, s, state), answers);
    verification = { ...after, verified: [...verification.verified, ...after.verified], changed: [...verification.changed, ...after.changed], partial: [...verification.partial, ...after.partial], apiCalls: verification.apiCalls + after.apiCalls };
  }

  tokenLimited ||= historyStop === 'token-limit';
  state.tokenLimitUntil = tokenLimited ? new Date(nextMidnight(deps.clock(), s.timeZone)).toISOString() : null;
  deps.metrics.count(METRIC.dailyApiCalls, state.callsToday());

  const latest = latestDueWindow(deps.clock(), s.timeZone, s.settleMinutes);
  // Windows a quiet period defers on purpose are within their freshness bound: not behind.
  const behind = quiet.kind === 'defer' || nextCursor.startWall > latest.startWall ? 0 : countWindows(nextCursor, latest);
  return finish({ planned: windows.length, collected: live.collected, quarantined: live.quarantined, stopReason: live.stopReason, stoppedAt: live.stoppedAt, windowsBehind: behind, notYetDue: 0, restated, backfilled });
}

/** Verifies the days that are due, on the budget left; the DaysUnverified gauge is emitted here. */
async function verifyPhase(deps: EngineDeps, s: RunSettings, state: RunState, stored: StoredDays, maxApiCalls: number, answers?: DayAnswers): Promise<VerificationSummary> {
  const v = await verifyDays(deps, { ...s, verifyAfterMinutes: s.verifyAfterMinutes ?? DEFAULT_VERIFY_AFTER_MINUTES }, state, stored, { maxApiCalls, ...(answers ? { dayAnswers: answers.answers, fetchedDays: answers.fetchedDays } : {}) });
  if (v.stoppedAt) deps.log.warn('verification stopped before it was through; the days left are checked on a later run', { day: formatDate(v.stoppedAt.window.startWall), reason: v.stoppedAt.error.message });
  return { ...pendingOnly(deps, s, state), verified: v.verified, changed: v.changed, partial: v.partial, apiCalls: v.apiCalls, stoppedAt: v.stoppedAt, interrupted: v.stopReason === 'interrupted' };
}

function pendingOnly(deps: EngineDeps, s: RunSettings, state: RunState): VerificationSummary {
  const pastBound = daysUnverifiedPastBound(state, deps.clock(), s.timeZone);
  deps.metrics.count(METRIC.daysUnverified, pastBound);
  return { ...NO_VERIFICATION, pending: state.verifyDays.size, pendingDays: [...state.verifyDays.keys()].sort(), pastBound };
}

/** Where a range that cannot run now stands: its job as saved, or not started. */
function pendingJob(cp: Checkpoint | undefined, fromWall: number, toWall: number, timeZone: string, refetch: boolean): NonNullable<RunReport['job']> {
  const from = labelOf({ startWall: fromWall, timeZone });
  const to = labelOf({ startWall: toWall, timeZone });
  const saved = cp?.backfills.find((b) => b.from === from && b.to === to && b.refetch === refetch);
  const searches = new Map(Object.entries(cp?.searches ?? {}).map(([k, nodes]) => [k, nodes.map((n) => ({ fromWall: parseWall(n.from)!, toWall: parseWall(n.to)! }))]));
  const job = saved ?? { from, to, next: from, requested_at: '', refetch };
  return { next: job.next, to, remaining: backfillRemaining([job], searches), searching: searches.has(jobKey(job)) };
}

/** Sleeps `ms` in slices, renewing the lease and answering a stop request meanwhile. */
async function pause(deps: EngineDeps, state: RunState, ms: number): Promise<void> {
  const sleep = deps.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t)));
  const until = deps.clock() + ms;
  while (deps.clock() < until && !deps.shouldStop?.()) {
    await sleep(Math.min(WAIT_SLICE_MS, until - deps.clock()));
    await state.progress();
  }
}

/**
 * A range of wall-clock labels [from, to), as asked on the command line: a backfill job on
 * the shared queue (the same command again finds and resumes it), worked on now until it
 * is done, the budget is spent, a fatal answer comes, or transient trouble outlasts
 * `waitForTransientMs`. Windows already stored are skipped unless `refetch`.
 */
export async function runRange(deps: EngineDeps, s: RangeRunSettings, fromWall: number, toWall: number): Promise<RunReport> {
  const pre = await loadCheckpoint(deps, s);
  const refetch = s.refetch ?? false;
  const preState = new RunState(deps, s, pre);
  if (tokenLimitActive(pre?.token_limit_until, deps.clock())) {
    return emptyReport('token-limit-wait', { budgetExhausted: true, tokenLimitUntil: pre!.token_limit_until, callsToday: preState.callsToday(), job: pendingJob(pre, fromWall, toWall, s.timeZone, refetch) });
  }
  if (historyCalls(deps, s, preState) <= 0) {
    return emptyReport('budget', { budgetExhausted: true, callsToday: preState.callsToday(), job: pendingJob(pre, fromWall, toWall, s.timeZone, refetch) });
  }

  const run = await openRun(deps, s);
  const { state } = run;
  try {
    const wanted = newJob(fromWall, toWall, s.timeZone, deps.clock(), refetch);
    let job = state.backfills.find((b) => b.from === wanted.from && b.to === wanted.to && b.refetch === refetch);
    if (job) {
      // Walked again from its start: spans whose windows are all stored cost no call, and
      // windows an earlier run gave up on (quarantined) or that were deleted since are fetched
      // again. A refetch skips nothing, and a search cut short resumes on its saved spans:
      // both go on from where they stopped.
      deps.log.info('resuming the range where an earlier run stopped', { from: job.from, to: job.to, stopped_at: job.next });
      if (!job.refetch && !state.searches.has(jobKey(job))) job.next = job.from;
    } else {
      job = wanted;
      state.backfills.push(job);
    }
    await state.save();

    let planned = 0;
    let notYetDue = 0;
    // Walked lazily, never held as a list: a year is as cheap as a day.
    for (const w of iterateWindows({ startWall: parseWall(job.from)!, timeZone: s.timeZone }, toWall)) windowEndInstant(w) <= deps.clock() ? (planned += 1) : (notYetDue += 1);
    // What an earlier run settled and this one does not walk again (a refetch or a search cut short goes on from there).
    const alreadyDone = Math.max(0, planned + notYetDue - backfillRemaining([job], state.searches));
    s.onPlanned?.(planned - alreadyDone);

    const collected = emptySummary();
    const quarantined: Window[] = [];
    let skipped = job.refetch ? 0 : alreadyDone;
    let waitedMs = 0;
    let spell = 0;
    let step = 0;
    let gaveUpWaiting = false;
    let last: JobPass;
    const limit = s.waitForTransientMs ?? 0;
    const stored = new StoredDays(deps, s);
    const answers = new DayAnswers();
    for (;;) {
      last = await workJob(deps, s, state, job, historyCalls(deps, s, state), stored, answers);
      mergeSummary(collected, last.result.collected);
      quarantined.push(...last.result.quarantined);
      skipped += last.skipped;
      // Any window collected ends the spell; the pause shrinks only as windows succeed, so a
      // half-working API (maintenance failing most calls) is met with longer and longer pauses.
      if (last.result.collected.count > 0) {
        spell = 0;
        step = Math.max(0, step - last.result.collected.count);
      }
      const error = last.result.stoppedAt?.error;
      // Storage trouble is ours to fix, and a lease lost to another collector is not ours to wait for.
      const transient = last.result.stopReason === 'transient-error' && error !== undefined && !(error instanceof StorageError) && !(error instanceof LeaseHeldError);
      if (!transient || deps.shouldStop?.()) break;
      const ms = error instanceof WolkvoxTokenBusyError ? Math.max(1_000, deps.client.busyUntil() - deps.clock()) : WAIT_STEPS_MS[Math.min(step, WAIT_STEPS_MS.length - 1)]!;
      if (spell + ms > limit) {
        gaveUpWaiting = limit > 0;
        break;
      }
      s.onWaiting?.({ ms, error, waitedMs: spell, limitMs: limit });
      deps.log.info('waiting out transient trouble', { ms, error_class: error.name, message: error.message, waited_ms: spell });
      await state.save();
      await pause(deps, state, ms);
      spell += ms;
      waitedMs += ms;
      step += 1;
    }
    if (last.done) state.backfills.splice(state.backfills.indexOf(job), 1);
    const tokenLimited = last.result.stopReason === 'token-limit' || last.result.stoppedAt?.error instanceof WolkvoxTokenLimitError;
    if (tokenLimited) state.tokenLimitUntil = new Date(nextMidnight(deps.clock(), s.timeZone)).toISOString();
    // The days the range filled (and any other day due) are checked against the vendor's day totals.
    const verification = last.result.stopReason === 'done' && !deps.shouldStop?.() ? await verifyPhase(deps, s, state, stored, historyCalls(deps, s, state), answers) : pendingOnly(deps, s, state);
    await closeRun(deps, s, run);
    return {
      planned,
      collected,
      quarantined,
      // A Ctrl-C during the verification that follows a finished walk is still an interruption.
      stopReason: last.result.stopReason === 'done' && verification.interrupted ? 'interrupted' : last.result.stopReason,
      stoppedAt: last.result.stoppedAt,
      apiCalls: state.apiCalls,
      windowsBehind: 0,
      notYetDue: last.notYetDue ? notYetDue : 0,
      // A finished range knows exactly what it found stored; an unfinished one says what it walked past.
      skipped: last.done && !job.refetch ? Math.max(0, planned - collected.count - quarantined.length) : skipped,
      restated: 0,
      backfilled: 0,
      backfillRemaining: backfillRemaining(state.backfills, state.searches),
      budgetExhausted: last.result.stopReason === 'budget' || tokenLimited,
      callsToday: state.callsToday(),
      tokenLimitUntil: state.tokenLimitUntil,
      waitedMs,
      gaveUpWaiting,
      job: last.done ? null : { next: job.next, to: job.to, remaining: backfillRemaining([job], state.searches, stored.has), searching: state.searches.has(jobKey(job)) },
      verification,
    };
  } finally {
    await endRun(deps, run);
  }
}

