/**
 * What a run may still spend: time before its deadline, the user's patience (a stop request),
 * and calls within the operation day's limits. Live windows may use whatever our cap leaves;
 * history (backfill) only what is left once today's remaining live windows are reserved (from our
 * cap or the token's read limit, whichever bounds) and the token's reserve for other integrations is kept; checking (verification, reconciliation) at
 * most its share of the day's allowance on top. Every call of every phase asks `mayCall()`
 * first, and every error that stops work becomes a stop reason through `stopOf`.
 */
import { CollectorError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { DAY_MS, dayOf } from '../domain/day.ts';
import { ONE_LICENSE_CALLS, roomAboveReserve, type Reserve } from '../domain/vendor-model.ts';
import { firstInstantOf, toWallClock } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';
import type { RunState } from './run-state.ts';

/**
 * Why work stopped: `budget` our daily cap, `reserve` the token's reserve for other
 * integrations, `check-share` checking's share of the day, `bound` a limit set on one piece of
 * work (a day's checking), which ends that piece only.
 */
export type StopReason = 'done' | 'deadline' | 'budget' | 'reserve' | 'check-share' | 'bound' | 'transient-error' | 'token-limit' | 'failed' | 'interrupted';

/** Stops that mean the day's calls are spent (as far as we may use them): the next operation day resumes. */
export function spentForToday(stop: StopReason): boolean {
  return stop === 'budget' || stop === 'reserve' || stop === 'check-share' || stop === 'token-limit';
}

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

export type Spending = 'live' | 'history' | 'check';

export interface BudgetLimits {
  readonly clock: () => number;
  readonly timeZone: string;
  /** Epoch ms by which the run must be done (Infinity for the CLI). */
  readonly deadline: number;
  readonly shouldStop?: (() => boolean) | undefined;
  /** At most this many calls per operation day, every run and job together; undefined: no cap of ours. */
  readonly dailyCallCap?: number | undefined;
  /** What is kept of the token's daily limit for other integrations. */
  readonly reserve: Reserve;
  /** Checking's share of the day's allowance. */
  readonly checkShare: number;
  readonly state: Pick<RunState, 'callsToday' | 'checkCallsToday' | 'nextWindow' | 'allowance' | 'apiCalls'> & Partial<Pick<RunState, 'countAhead'>>;
  /** Reads the token's allowance when the reading (as of `now`) is stale; resolves with a stop when the read says to stop. */
  readonly refreshAllowance?: (now: number) => Promise<StopReason | undefined>;
}

/** What bounds a kind of spending now, and by how much. */
export interface Room {
  readonly calls: number;
  readonly by: 'budget' | 'reserve' | 'check-share';
}

export class Budget {
  private spending: Spending = 'live';
  private readonly bounds: { start: number; max: number }[] = [];
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

  /** Calls `kind` may still make today (as of `now`), and what bounds them. */
  room(kind: Spending = this.spending, now = this.o.clock()): Room {
    const { state } = this.o;
    const cap = this.o.dailyCallCap;
    const capped = cap !== undefined && Number.isFinite(cap);
    let room: Room = { calls: capped ? cap - state.callsToday() : Number.POSITIVE_INFINITY, by: 'budget' };
    if (kind === 'live') return room;
    const allowance = this.readAllowance(now);
    // Today's remaining live windows are kept from whichever limit is known, our cap or the
    // token's own (issue 22): a backfill must not leave the schedule without calls until midnight.
    const live = (capped || allowance) && state.nextWindow !== null ? liveWindowsLeftToday(now, this.o.timeZone) : 0;
    room = { calls: room.calls - live, by: 'budget' };
    if (allowance) room = tighter(room, { calls: roomAboveReserve(allowance, state.callsToday(), this.o.reserve) - live, by: 'reserve' });
    if (kind === 'history') return room;
    const dayAllowance = capped ? cap : (allowance?.limit ?? ONE_LICENSE_CALLS);
    return tighter(room, { calls: Math.floor(this.o.checkShare * dayAllowance) - state.checkCallsToday(), by: 'check-share' });
  }

  /** Today's reading of the token's allowance, when it could be read. */
  private readAllowance(now: number) {
    const a = this.o.state.allowance;
    return a && a.limit !== null && a.usedAtRead !== null && a.day === dayOf(toWallClock(now, this.o.timeZone)) ? { limit: a.limit, usedAtRead: a.usedAtRead, oursAtRead: a.oursAtRead } : undefined;
  }

  /** Whether a call may start now; the stop reason when not. History and checking first make sure the token's allowance is read. */
  async mayCall(): Promise<StopReason | undefined> {
    const now = this.o.clock();
    const quick = this.quickStop(now);
    if (quick) return quick;
    if (this.spending !== 'live' && this.o.refreshAllowance) {
      const stop = await this.o.refreshAllowance(now);
      if (stop) return stop;
    }
    const room = this.room(this.spending, now);
    if (room.calls <= 0) return room.by;
    // A day's checking call is counted and saved before it goes out: a kill cannot lose it from the day's bound.
    if (this.spending === 'check') await this.o.state.countAhead?.();
    return undefined;
  }

  /** The stops that need no reading of anything: a stop request, the deadline, a bound on this piece of work. */
  private quickStop(now: number): StopReason | undefined {
    if (this.o.shouldStop?.()) return 'interrupted';
    if (this.o.deadline - now < MIN_REQUEST_MS + WRITE_RESERVE_MS) return 'deadline';
    if (this.bounds.some((b) => this.o.state.apiCalls - b.start >= b.max)) return 'bound';
    return undefined;
  }

  /** Runs `work` with at most `max` calls of its own (a day's checking); past them its calls stop with 'bound'. */
  async within<T>(max: number, work: () => Promise<T>): Promise<T> {
    const bound = { start: this.o.state.apiCalls, max };
    this.bounds.push(bound);
    try {
      return await work();
    } finally {
      this.bounds.splice(this.bounds.indexOf(bound), 1);
    }
  }

  /** Why work stops on this error: the user's stop, if they asked for one (a call abandoned for it fails), else stopOf. */
  stopFor(error: CollectorError): StopReason {
    return this.stopRequested() ? 'interrupted' : stopOf(error);
  }

  /** Whether the user asked the run to stop. */
  stopRequested(): boolean {
    return this.o.shouldStop?.() === true;
  }

  timeLeft(): number {
    return this.o.deadline - this.o.clock();
  }
}

function tighter(a: Room, b: Room): Room {
  return b.calls < a.calls ? b : a;
}
