import { checkpointKey } from '../domain/layout.ts';
import { cursorOf, labelOf, parseCheckpoint, serializeCheckpoint, type Checkpoint } from '../domain/checkpoint.ts';
import type { CollectorError } from '../domain/errors.ts';
import { METRIC } from '../domain/metrics.ts';
import { latestDueWindow, planDueWindows, windowsBetween } from '../domain/planner.ts';
import { firstInstantOf, toWallClock, WALL } from '../domain/wall-clock.ts';
import { nextWindow, WINDOW_MS, windowEndInstant, type Window } from '../domain/window.ts';
import { JSON_TYPE } from '../storage/object-store.ts';
import { collectWindows, isWindowPoison, type CollectedWindow, type CollectorDeps, type StopReason } from './collect-windows.ts';

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
}

export interface LiveRunSettings extends RunSettings {
  /** Windows to take on a first run, counting back from the latest due one. Default 1. */
  readonly firstRunWindows?: number;
  /** Upper bound of windows planned in one run. Default 2016 (a week). */
  readonly maxWindowsPerRun?: number;
  /** Runs in a row a window may fail non-transiently before it is quarantined. Default 3. */
  readonly quarantineAfter?: number;
}

export interface RunReport {
  readonly planned: number;
  readonly collected: readonly CollectedWindow[];
  readonly quarantined: readonly Window[];
  readonly stopReason: StopReason | 'token-limit-wait';
  readonly stoppedAt?: { window: Window; error: CollectorError } | undefined;
  readonly apiCalls: number;
  /** Due windows still not collected after this run (live runs only). */
  readonly windowsBehind: number;
  /** Windows of an explicit range that have not ended yet, hence not requested. */
  readonly notYetDue: number;
}

const DAY_MS = 24 * WALL.HOUR_MS;

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

/**
 * One scheduled run: resume from the checkpoint, collect the due windows oldest first,
 * then record progress. Whatever happens, collected data stays and the checkpoint only
 * ever points past windows whose objects are durable.
 */
export async function runLive(deps: CollectorDeps, s: LiveRunSettings): Promise<RunReport> {
  const now = deps.clock();
  const checkpoint = await loadCheckpoint(deps, s);
  const quarantineAfter = s.quarantineAfter ?? 3;

  if (checkpoint?.token_limit_until && now < Date.parse(checkpoint.token_limit_until)) {
    deps.log.warn('token daily limit reached earlier: no API call until it resets', { until: checkpoint.token_limit_until });
    deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
    const behind = countWindows(cursorOf(checkpoint), latestDueWindow(now, s.timeZone, s.settleMinutes));
    deps.metrics.count(METRIC.windowsBehind, behind);
    return { planned: 0, collected: [], quarantined: [], stopReason: 'token-limit-wait', apiCalls: 0, windowsBehind: behind, notYetDue: 0 };
  }

  const cursor = checkpoint ? cursorOf(checkpoint) : undefined;
  const windows = planDueWindows({
    now,
    timeZone: s.timeZone,
    settleMinutes: s.settleMinutes,
    cursor,
    firstRunWindows: s.firstRunWindows ?? 1,
    limit: s.maxWindowsPerRun ?? 2016,
  });
  const failures = { ...(checkpoint?.failures ?? {}) };
  deps.log.info('run planned', { windows: windows.length, from: windows[0] && labelOf(windows[0]), resumed: checkpoint !== undefined });

  const result = await collectWindows(deps, { ...s, revision: 1, quarantine: (w) => (failures[labelOf(w)] ?? 0) + 1 >= quarantineAfter }, windows);

  for (const w of windows.slice(0, result.handledCount)) delete failures[labelOf(w)];
  for (const w of result.quarantined) deps.log.error('window quarantined after repeated non-transient failures; a backfill can retry it', { window_start: labelOf(w) });
  if (result.stoppedAt && isWindowPoison(result.stoppedAt.error)) {
    const label = labelOf(result.stoppedAt.window);
    failures[label] = (failures[label] ?? 0) + 1;
  }

  const lastHandled = windows[result.handledCount - 1];
  const nextCursor = lastHandled ? nextWindow(lastHandled) : (cursor ?? windows[0] ?? latestDueWindow(now, s.timeZone, s.settleMinutes));
  const tokenLimited = result.stopReason === 'token-limit';
  if (tokenLimited) deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
  const updated: Checkpoint = {
    version: 1,
    operation: s.operation,
    timezone: s.timeZone,
    next_window: labelOf(nextCursor),
    token_limit_until: tokenLimited ? new Date(nextMidnight(deps.clock(), s.timeZone)).toISOString() : null,
    failures,
    quarantined: [...(checkpoint?.quarantined ?? []), ...result.quarantined.map(labelOf)],
    updated_at: new Date(deps.clock()).toISOString(),
  };
  await deps.store.put(checkpointKey(s.prefix, s.operation), serializeCheckpoint(updated), JSON_TYPE);

  const latest = latestDueWindow(deps.clock(), s.timeZone, s.settleMinutes);
  const behind = nextCursor.startWall > latest.startWall ? 0 : countWindows(nextCursor, latest);
  deps.metrics.count(METRIC.windowsBehind, behind);
  return { planned: windows.length, ...result, windowsBehind: behind, notYetDue: 0 };
}

/**
 * An explicit range of wall-clock labels [from, to), as asked on the command line.
 * Leaves the live checkpoint alone: it re-collects (overwrites) what it is asked to.
 */
export async function runRange(deps: CollectorDeps, s: RunSettings, fromWall: number, toWall: number): Promise<RunReport> {
  const all = windowsBetween({ startWall: fromWall, timeZone: s.timeZone }, toWall);
  const now = deps.clock();
  const due = all.filter((w) => windowEndInstant(w) <= now);
  const result = await collectWindows(deps, { ...s, revision: 1 }, due);
  return { planned: due.length, ...result, windowsBehind: 0, notYetDue: all.length - due.length };
}
