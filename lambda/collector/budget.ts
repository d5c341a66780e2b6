/**
 * What a run may still spend: time before its deadline, the user's patience (a stop request),
 * and calls within the operation day's cap. Live windows may use the whole cap; history
 * (reconciliation, verification, backfill) only what is left once today's remaining live
 * windows are reserved. Every call of every phase asks `mayCall()` first, and every error that
 * stops work becomes a stop reason through `stopOf`.
 */
import { CollectorError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { DAY_MS } from '../domain/day.ts';
import { firstInstantOf, toWallClock } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

export type StopReason = 'done' | 'deadline' | 'budget' | 'transient-error' | 'token-limit' | 'failed' | 'interrupted';

/** Reserve kept after a request for writing its objects and the checkpoint. */
export const WRITE_RESERVE_MS = 3_000;
/** A request given less than this is not worth starting. */
export const MIN_REQUEST_MS = 2_000;

/** Why work stopped, from the error that stopped it. */
export function stopOf(error: CollectorError): StopReason {
  if (error instanceof WolkvoxTokenLimitError) return 'token-limit';
  return error.retryable ? 'transient-error' : 'failed';
}

/** The vendor's daily allowance is assumed to reset at the operation's midnight. */
export function nextMidnight(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return firstInstantOf(Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS, timeZone);
}

/** Live windows left in today's operation day: what a daily cap must keep for them. */
export function liveWindowsLeftToday(now: number, timeZone: string): number {
  const wall = toWallClock(now, timeZone);
  return Math.ceil((Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS - wall) / WINDOW_MS);
}

export type Spending = 'live' | 'history';

export interface BudgetLimits {
  readonly clock: () => number;
  readonly timeZone: string;
  /** Epoch ms by which the run must be done (Infinity for the CLI). */
  readonly deadline: number;
  readonly shouldStop?: (() => boolean) | undefined;
  /** At most this many calls per operation day, every run and job together; undefined: no cap of ours. */
  readonly dailyCallCap?: number | undefined;
  /** Calls counted on the operation day so far. */
  readonly callsToday: () => number;
  /** Whether the schedule collects live windows (only then are today's kept for them). */
  readonly hasSchedule: () => boolean;
}

export class Budget {
  private spending: Spending = 'live';
  private readonly o: BudgetLimits;

  constructor(limits: BudgetLimits) {
    this.o = limits;
  }

  /** From now on calls are spent on `kind` (the run loop says so as it enters a phase). */
  spendOn(kind: Spending): void {
    this.spending = kind;
  }

  get spendingOn(): Spending {
    return this.spending;
  }

  /** Calls `kind` may still make today: the cap less today's calls, and for history less today's remaining live windows. */
  room(kind: Spending = this.spending): number {
    const cap = this.o.dailyCallCap;
    if (cap === undefined || !Number.isFinite(cap)) return Number.POSITIVE_INFINITY;
    const reserve = kind === 'history' && this.o.hasSchedule() ? liveWindowsLeftToday(this.o.clock(), this.o.timeZone) : 0;
    return cap - this.o.callsToday() - reserve;
  }

  /** Whether a call may start now; the stop reason when not. */
  mayCall(): StopReason | undefined {
    if (this.o.shouldStop?.()) return 'interrupted';
    if (this.timeLeft() < MIN_REQUEST_MS + WRITE_RESERVE_MS) return 'deadline';
    if (this.room() <= 0) return 'budget';
    return undefined;
  }

  /** Whether the user asked the run to stop. */
  stopRequested(): boolean {
    return this.o.shouldStop?.() === true;
  }

  timeLeft(): number {
    return this.o.deadline - this.o.clock();
  }
}
