import { checkpointKey } from '../domain/layout.ts';
import { cursorOf, labelOf, parseCheckpoint, serializeCheckpoint, type Checkpoint } from '../domain/checkpoint.ts';
import type { CollectorError } from '../domain/errors.ts';
import { METRIC } from '../domain/metrics.ts';
import { iterateWindows, latestDueWindow, planDueWindows, windowsBetween } from '../domain/planner.ts';
import { firstInstantOf, formatDate, parseWall, toWallClock, WALL } from '../domain/wall-clock.ts';
import { nextWindow, WINDOW_MS, windowEndInstant, type Window } from '../domain/window.ts';
import { JSON_TYPE } from '../storage/object-store.ts';
import { collectWindows, emptySummary, isWindowPoison, type CollectedSummary, type CollectOptions, type CollectorDeps, type StopReason } from './collect-windows.ts';

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
}

export interface LiveRunSettings extends RunSettings {
  /** Windows to take on a first run, counting back from the latest due one. Default 1. */
  readonly firstRunWindows?: number;
  /** Upper bound of windows planned per phase in one run. Default 2016 (a week). */
  readonly maxWindowsPerRun?: number;
  /** Runs in a row a window may fail non-transiently before it is quarantined. Default 3. */
  readonly quarantineAfter?: number;
  /** Re-collect each window once this long after it ended (late calls); 0 turns it off. Default 60. */
  readonly restateAfterMinutes?: number;
  /** At most this many API calls per operation day; undefined: no cap of our own. */
  readonly dailyCallCap?: number;
  /** Queue this wall-clock range [from, to) for backfill before running. */
  readonly backfill?: { readonly fromWall: number; readonly toWall: number };
}

export interface RunReport {
  readonly planned: number;
  /** Live windows durably written (range runs: the range's). */
  readonly collected: CollectedSummary;
  readonly quarantined: readonly Window[];
  readonly stopReason: StopReason | 'token-limit-wait';
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
  /** API calls of every phase. */
  readonly apiCalls: number;
  /** Due live windows still not collected after this run. */
  readonly windowsBehind: number;
  /** Windows of an explicit range that have not ended yet, hence not requested. */
  readonly notYetDue: number;
  readonly restated: number;
  readonly backfilled: number;
  readonly backfillRemaining: number;
  /** True when the daily cap (ours) or the vendor's limit held back any work this run. */
  readonly budgetExhausted: boolean;
}

const DAY_MS = 24 * WALL.HOUR_MS;
const DEFAULT_RESTATE_MINUTES = 60;

/** The vendor's daily allowance is assumed to reset at the operation's midnight. */
export function nextMidnight(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return firstInstantOf(Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS, timeZone);
}

async function loadCheckpoint(deps: CollectorDeps, s: RunSettings): Promise<Checkpoint | undefined> {
  const key = checkpointKey(s.prefix, s.operation);
  const text = await deps.store.get(key);
  return text === null ? undefined : parseCheckpoint(text, deps.store.describe(key), { operation: s.operation, timeZone: s.timeZone });
}

function countWindows(from: Window, through: Window): number {
  return Math.max(0, Math.round((through.startWall - from.startWall) / WINDOW_MS) + 1);
}

/** Live windows left in today's operation day: what a daily cap must keep for them. */
function liveWindowsLeftToday(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return Math.ceil((Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS - wall) / WINDOW_MS);
}

function backfillRemaining(queue: Checkpoint['backfills']): number {
  return queue.reduce((n, b) => n + Math.max(0, (parseWall(b.to)! - parseWall(b.next)!) / WINDOW_MS), 0);
}

/**
 * One scheduled run: resume from the checkpoint, collect the due live windows oldest
 * first, then (if time and budget allow) restate windows for late data, then work on
 * requested backfills, and record progress. Live data never waits behind history; the
 * checkpoint only ever points past windows whose objects are durable.
 */
export async function runLive(deps: CollectorDeps, s: LiveRunSettings): Promise<RunReport> {
  const now = deps.clock();
  const checkpoint = await loadCheckpoint(deps, s);
  const quarantineAfter = s.quarantineAfter ?? 3;
  const restateAfter = s.restateAfterMinutes ?? DEFAULT_RESTATE_MINUTES;
  const limit = s.maxWindowsPerRun ?? 2016;
  const cap = s.dailyCallCap ?? Number.POSITIVE_INFINITY;
  const today = formatDate(toWallClock(now, s.timeZone));
  const budget = checkpoint?.budget?.day === today ? { ...checkpoint.budget } : { day: today, calls: 0 };
  const backfills = [...(checkpoint?.backfills ?? [])];
  if (s.backfill) {
    backfills.push({ from: labelOf({ startWall: s.backfill.fromWall, timeZone: s.timeZone }), to: labelOf({ startWall: s.backfill.toWall, timeZone: s.timeZone }), next: labelOf({ startWall: s.backfill.fromWall, timeZone: s.timeZone }), requested_at: new Date(now).toISOString() });
    deps.log.info('backfill queued', { from: backfills.at(-1)!.from, to: backfills.at(-1)!.to });
  }
  const failures = { ...(checkpoint?.failures ?? {}) };
  const quarantined = new Set(checkpoint?.quarantined ?? []);
  const cursor = checkpoint ? cursorOf(checkpoint) : undefined;
  let budgetExhausted = false;
  let apiCalls = 0;

  const save = async (fields: Pick<Checkpoint, 'next_window' | 'token_limit_until' | 'restate_next'>) => {
    const cp: Checkpoint = { version: 1, operation: s.operation, timezone: s.timeZone, ...fields, failures, quarantined: [...quarantined].sort(), backfills, budget: { ...budget, calls: budget.calls + apiCalls }, updated_at: new Date(deps.clock()).toISOString() };
    await deps.store.put(checkpointKey(s.prefix, s.operation), serializeCheckpoint(cp), JSON_TYPE);
  };
  const finish = (report: Omit<RunReport, 'apiCalls' | 'budgetExhausted' | 'backfillRemaining'>): RunReport => {
    if (budgetExhausted) deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
    deps.metrics.count(METRIC.windowsBehind, report.windowsBehind);
    const remaining = backfillRemaining(backfills);
    deps.metrics.count(METRIC.backfillWindowsRemaining, remaining);
    return { ...report, apiCalls, budgetExhausted, backfillRemaining: remaining };
  };
  const empty = { collected: emptySummary(), quarantined: [], notYetDue: 0, restated: 0, backfilled: 0, planned: 0 };

  if (checkpoint?.token_limit_until && now < Date.parse(checkpoint.token_limit_until)) {
    deps.log.warn('token daily limit reached earlier: no API call until it resets', { until: checkpoint.token_limit_until });
    budgetExhausted = true;
    if (s.backfill) await save({ next_window: checkpoint.next_window, token_limit_until: checkpoint.token_limit_until, restate_next: checkpoint.restate_next });
    return finish({ ...empty, stopReason: 'token-limit-wait', windowsBehind: countWindows(cursorOf(checkpoint), latestDueWindow(now, s.timeZone, s.settleMinutes)) });
  }

  // Phase 1: live windows. Our own cap is hard: once spent, even live windows wait for tomorrow.
  const callsLeft = () => cap - budget.calls - apiCalls;
  const windows = planDueWindows({ now, timeZone: s.timeZone, settleMinutes: s.settleMinutes, cursor, firstRunWindows: s.firstRunWindows ?? 1, limit });
  deps.log.info('run planned', { windows: windows.length, from: windows[0] && labelOf(windows[0]), resumed: checkpoint !== undefined });
  const live = await collectWindows(deps, { ...s, revision: 1, maxApiCalls: callsLeft(), quarantine: (w) => (failures[labelOf(w)] ?? 0) + 1 >= quarantineAfter }, windows);
  apiCalls += live.apiCalls;
  if (live.stopReason === 'budget') budgetExhausted = true;

  for (const w of windows.slice(0, live.handledCount)) delete failures[labelOf(w)];
  for (const w of live.quarantined) {
    quarantined.add(labelOf(w));
    deps.metrics.count(METRIC.windowsQuarantined, 1);
    deps.log.error('window quarantined after repeated non-transient failures; a backfill can retry it', { window_start: labelOf(w) });
  }
  if (live.stoppedAt && isWindowPoison(live.stoppedAt.error)) {
    const label = labelOf(live.stoppedAt.window);
    failures[label] = (failures[label] ?? 0) + 1;
  }
  const lastHandled = windows[live.handledCount - 1];
  const nextCursor = lastHandled ? nextWindow(lastHandled) : (cursor ?? windows[0] ?? latestDueWindow(now, s.timeZone, s.settleMinutes));
  const tokenLimited = live.stopReason === 'token-limit';
  if (tokenLimited) budgetExhausted = true;

  // History (restatement, backfill) only runs behind a complete live phase, and only on
  // the budget left once today's remaining live windows are reserved.
  let restateNext = restateAfter > 0 ? (checkpoint?.restate_next ?? checkpoint?.next_window ?? (windows[0] && labelOf(windows[0])) ?? null) : null;
  let restated = 0;
  let backfilled = 0;
  let historyStop: StopReason = 'done';
  const historyCalls = () => callsLeft() - (Number.isFinite(cap) ? liveWindowsLeftToday(deps.clock(), s.timeZone) : 0);
  const historyAllowed = () => historyStop === 'done' && live.stopReason === 'done' && !live.stoppedAt;
  if (historyAllowed() && Number.isFinite(cap) && historyCalls() <= 0 && (restateNext !== null || backfills.length > 0)) budgetExhausted = true;

  if (restateNext !== null && historyAllowed() && historyCalls() > 0) {
    const ripeBy = deps.clock() - restateAfter * WALL.MINUTE_MS;
    const candidates = windowsBetween({ startWall: parseWall(restateNext)!, timeZone: s.timeZone }, nextCursor.startWall, limit);
    const firstUnripe = candidates.findIndex((w) => windowEndInstant(w) > ripeBy);
    const ripe = firstUnripe === -1 ? candidates : candidates.slice(0, firstUnripe);
    // A window collected in this very run is already as late as a restatement would be.
    const justCollected = new Set(windows.slice(0, live.handledCount).map((w) => w.startWall));
    const todo = ripe.filter((w) => !quarantined.has(labelOf(w)) && !justCollected.has(w.startWall));
    const result = await collectWindows(deps, { ...s, revision: 2, maxApiCalls: historyCalls(), quarantine: () => true }, todo);
    apiCalls += result.apiCalls;
    restated = result.collected.count;
    deps.metrics.count(METRIC.windowsRestated, restated);
    historyStop = result.stopReason;
    if (result.stopReason === 'budget' || result.stopReason === 'token-limit') budgetExhausted = true;
    // Progress runs up to the first window not handled; quarantined windows in between are passed over.
    const firstOpen = todo[result.handledCount];
    const lastRipe = ripe[ripe.length - 1];
    restateNext = firstOpen ? labelOf(firstOpen) : lastRipe ? labelOf(nextWindow(lastRipe)) : restateNext;
  }

  while (backfills.length > 0 && historyAllowed() && historyCalls() > 0) {
    const job = backfills[0]!;
    const todo = windowsBetween({ startWall: parseWall(job.next)!, timeZone: s.timeZone }, parseWall(job.to)!, limit);
    const result = await collectWindows(deps, { ...s, revision: 1, maxApiCalls: historyCalls(), quarantine: () => true }, todo);
    apiCalls += result.apiCalls;
    backfilled += result.collected.count;
    // Collected now means no longer quarantined; windows that failed again stay listed.
    const failedAgain = new Set(result.quarantined.map(labelOf));
    for (const w of todo.slice(0, result.handledCount)) if (!failedAgain.has(labelOf(w))) quarantined.delete(labelOf(w));
    for (const label of failedAgain) quarantined.add(label);
    // `todo` holds at most `limit` windows: a longer job goes on from after its last one.
    const lastTodo = todo[todo.length - 1];
    const resumeAt = todo[result.handledCount] ?? (lastTodo ? nextWindow(lastTodo) : undefined);
    const jobDone = !resumeAt || resumeAt.startWall >= parseWall(job.to)!;
    if (jobDone) backfills.shift();
    else job.next = labelOf(resumeAt);
    if (result.stopReason === 'budget' || result.stopReason === 'token-limit') budgetExhausted = true;
    historyStop = result.stopReason;
    deps.log.info('backfill progress', { from: job.from, to: job.to, next: jobDone ? job.to : job.next, collected_this_run: result.collected.count, windows_remaining: backfillRemaining(backfills) });
  }

  const limitHit = tokenLimited || historyStop === 'token-limit';
  await save({
    next_window: labelOf(nextCursor),
    token_limit_until: limitHit ? new Date(nextMidnight(deps.clock(), s.timeZone)).toISOString() : null,
    restate_next: restateNext,
  });

  const latest = latestDueWindow(deps.clock(), s.timeZone, s.settleMinutes);
  const behind = nextCursor.startWall > latest.startWall ? 0 : countWindows(nextCursor, latest);
  return finish({ planned: windows.length, collected: live.collected, quarantined: live.quarantined, stopReason: live.stopReason, stoppedAt: live.stoppedAt, windowsBehind: behind, notYetDue: 0, restated, backfilled });
}

/**
 * An explicit range of wall-clock labels [from, to), as asked on the command line.
 * Leaves the live checkpoint alone: it re-collects (overwrites) what it is asked to.
 */
export async function runRange(deps: CollectorDeps, s: RunSettings & { readonly onPlanned?: (due: number) => void }, fromWall: number, toWall: number): Promise<RunReport> {
  const first = { startWall: fromWall, timeZone: s.timeZone };
  const now = deps.clock();
  const isDue = (w: Window) => windowEndInstant(w) <= now;
  // Walked lazily (twice: once to count), never held as a list: a year is as cheap as a day.
  let planned = 0;
  let notYetDue = 0;
  for (const w of iterateWindows(first, toWall)) isDue(w) ? (planned += 1) : (notYetDue += 1);
  s.onPlanned?.(planned);
  function* due() {
    for (const w of iterateWindows(first, toWall)) if (isDue(w)) yield w;
  }
  const result = await collectWindows(deps, { ...s, revision: 1 }, due());
  return { planned, ...result, windowsBehind: 0, notYetDue, restated: 0, backfilled: 0, backfillRemaining: 0, budgetExhausted: false };
}
