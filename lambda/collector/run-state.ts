/**
 * The state one run works on: the checkpoint as loaded, changed as windows are handled,
 * saved at least every `PROGRESS_EVERY` windows or `PROGRESS_EVERY_MS` (so a hard kill loses
 * at most that much work), and the lease that makes this run the only one writing it.
 */
import { checkpointKey } from '../domain/layout.ts';
import { parseCheckpoint, serializeCheckpoint } from '../domain/checkpoint.ts';
import { dayLabel, dayOf, type Day } from '../domain/day.ts';
import type { SettleNode } from '../domain/settle.ts';
import type { Totals } from '../domain/totals.ts';
import type { VendorMode } from '../domain/vendor-model.ts';
import { toWallClock } from '../domain/wall-clock.ts';
import type { Window } from '../domain/window.ts';
import { JSON_TYPE } from '../storage/object-store.ts';
import type { Lease } from './lease.ts';
import type { CollectorDeps } from './vendor-caller.ts';
import { decodeState, encodeState } from './checkpoint-codec.ts';
import { verificationRecord, writeVerificationRecord } from './verification-records.ts';

export const PROGRESS_EVERY = 100;
export const PROGRESS_EVERY_MS = 30_000;

export interface StateSettings {
  readonly operation: string;
  readonly prefix: string;
  readonly timeZone: string;
}

/**
 * A history range [from, to) to collect, from a CLI range or a Lambda backfill event: the same
 * job either way. `next` only moves past windows that are stored (or given up on); windows
 * already stored are skipped unless `refetch`.
 */
export interface Job {
  readonly from: Window;
  /** Exclusive. */
  readonly to: Window;
  next: Window;
  /** When it was queued (epoch ms). */
  readonly requestedAt: number;
  readonly refetch: boolean;
}

/** A check whose narrowing was cut short: what the day call said, and what it has cost so far. */
export interface DayCheck {
  readonly vendor: Totals;
  readonly stored: Totals;
  readonly fetchId: string;
  calls: number;
}

/** A day waiting to be verified against the vendor's total for it. */
export interface PendingDay {
  /** When its first window was written (epoch ms). */
  readonly since: number;
  /** Checks made so far (each one call for the whole day, and what narrowing it needed). */
  checks: number;
  /** API calls spent checking the day so far. */
  calls: number;
  /** No check before this instant (epoch ms): after a check found changes, the next waits a while. */
  nextCheck: number | null;
  /** Every window of the day was wanted (a job covered it whole): missing ones are filled before its check. */
  whole?: boolean;
  /** Wall start of the next window whose calls are collected again once: a day concluded before the operation stopped relying on totals. */
  restateNext?: number;
  check?: DayCheck;
}

/** What one run leaves for the next (the checkpoint), as values. */
export interface StateData {
  /** First live window not yet collected; null until a scheduled run has run. */
  nextWindow: Window | null;
  /** First window the scheduled path collected: days from here on are the schedule's to complete. */
  liveFrom: Window | null;
  /** No API call before this instant: the vendor said the token's daily limit is spent. */
  tokenLimitUntil: number | null;
  /** First collected window not yet reconciled; null while reconciliation is off. */
  restateNext: Window | null;
  /** Consecutive runs in which a window (by its wall start) failed non-transiently. */
  readonly failures: Map<number, number>;
  /** Windows (by wall start) given up on after repeated non-transient failures. */
  readonly quarantined: Set<number>;
  readonly backfills: Job[];
  /** Calls on one operation day (every run and job), and of them verification's and reconciliation's. */
  budget: DayCalls | null;
  /** The token's allowance as last read (limit null: the answer could not be read). */
  allowance: AllowanceReading | null;
  /** How the vendor's totals are treated, and since when (epoch ms) when not additive. */
  vendorMode: VendorMode;
  vendorModeSince: number | null;
  /** Days found not to add up: never checked again unless asked. */
  readonly unreconcilable: Set<Day>;
  /** Days left unverified at their bound on checking: not checked again unless asked. */
  readonly leftUnverified: Set<Day>;
  /** The end (wall ms) of the latest span an answer showed calls in: no silence is claimed before it; null while none has. */
  lastCallSeen: number | null;
  /** From when (wall ms) the store has looked for calls. */
  watchedFrom: number | null;
  /** Up to when (wall ms, exclusive) answers have been read. */
  lookedUntil: number | null;
  /** Whether the schedule's one look back over the month before its first window was made. */
  lookedBack: boolean;
  /** Days whose day objects are due for a rewrite. */
  readonly daysDirty: Set<Day>;
  /** Days with stored windows not yet verified against the vendor's day total. */
  readonly verifyDays: Map<Day, PendingDay>;
  /** Searches in progress (spans still to settle), by what they serve (checkpoint-codec's keys). */
  readonly searches: Map<string, SettleNode[]>;
  /** Start of the run of windows without calls that ends at the live cursor. */
  quietSince: Window | null;
  /** Share of calls that reached the report only after a window was first collected. */
  lateShare: number | null;
}

export interface DayCalls {
  day: Day;
  calls: number;
  checkCalls: number;
}

export interface AllowanceReading {
  readonly readAt: number;
  readonly day: Day;
  readonly limit: number | null;
  readonly usedAtRead: number | null;
  readonly oursAtRead: number;
}

export async function loadState(deps: Pick<CollectorDeps, 'store'>, s: StateSettings): Promise<StateData | undefined> {
  const key = checkpointKey(s.prefix, s.operation);
  const text = await deps.store.get(key);
  return text === null ? undefined : decodeState(parseCheckpoint(text, deps.store.describe(key), { operation: s.operation, timeZone: s.timeZone }));
}

/** Two jobs are one when they cover the same range the same way (an invoke sent twice). */
export function sameJob(a: Pick<Job, 'from' | 'to' | 'refetch'>, b: Pick<Job, 'from' | 'to' | 'refetch'>): boolean {
  return a.from.startWall === b.from.startWall && a.to.startWall === b.to.startWall && a.refetch === b.refetch;
}

export class RunState implements StateData {
  nextWindow: Window | null;
  liveFrom: Window | null;
  tokenLimitUntil: number | null;
  restateNext: Window | null;
  readonly failures: Map<number, number>;
  readonly quarantined: Set<number>;
  readonly backfills: Job[];
  readonly daysDirty: Set<Day>;
  readonly verifyDays: Map<Day, PendingDay>;
  readonly searches: Map<string, SettleNode[]>;
  quietSince: Window | null;
  lateShare: number | null;
  budget: DayCalls;
  allowance: AllowanceReading | null;
  vendorMode: VendorMode;
  vendorModeSince: number | null;
  readonly unreconcilable: Set<Day>;
  readonly leftUnverified: Set<Day>;
  lastCallSeen: number | null;
  watchedFrom: number | null;
  lookedUntil: number | null;
  lookedBack: boolean;
  /** cdr_4 calls made by this run (all phases). */
  apiCalls = 0;
  /** token_info calls made by this run (they spend the token's allowance too). */
  infoCalls = 0;
  /** The day being checked now: its checking calls are counted on it as they go (its bound holds across runs and kills). */
  checking: PendingDay | undefined;
  /** Calls counted on `checking` ahead of going out, not yet made. */
  private checkingAhead = 0;
  private aheadOn: PendingDay | undefined;
  private lastRecordAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly landing = new Set<Promise<unknown>>();
  private failure: unknown;
  private handledSinceSave = 0;
  private savedAt: number;
  private savedDirty = new Set<Day>();
  /** Days this run marked (owed a check, due a day object) before any window of theirs landed: undone if none does. */
  private readonly unlanded = new Map<Day, { pending: boolean; dirty: boolean }>();
  /** Day objects a verification's read-back wrote, by day; `clean` until a window of the day is written after it. */
  private readonly levelling = new Map<Day, { written: Promise<void>; clean: boolean }>();

  private readonly deps: Pick<CollectorDeps, 'store' | 'clock'>;
  private readonly s: StateSettings;
  private readonly lease: Lease | undefined;
  /** Whether day objects are kept (cdr_4_daily): only then are days marked before writes. */
  private readonly dayObjects: boolean;

  constructor(deps: Pick<CollectorDeps, 'store' | 'clock'>, s: StateSettings, data: StateData | undefined, lease?: Lease, dayObjects = false) {
    this.deps = deps;
    this.s = s;
    this.lease = lease;
    this.dayObjects = dayObjects;
    const now = deps.clock();
    this.nextWindow = data?.nextWindow ?? null;
    this.liveFrom = data?.liveFrom ?? null;
    this.tokenLimitUntil = data?.tokenLimitUntil ?? null;
    this.restateNext = data?.restateNext ?? null;
    this.failures = new Map(data?.failures);
    this.quarantined = new Set(data?.quarantined);
    this.backfills = (data?.backfills ?? []).map((b) => ({ ...b }));
    this.daysDirty = new Set(data?.daysDirty);
    this.savedDirty = new Set(this.daysDirty);
    this.verifyDays = new Map([...(data?.verifyDays ?? [])].map(([d, p]) => [d, { ...p }]));
    this.searches = new Map(data?.searches);
    this.quietSince = data?.quietSince ?? null;
    this.lateShare = data?.lateShare ?? null;
    const today = this.today();
    this.budget = data?.budget?.day === today ? { ...data.budget } : { day: today, calls: 0, checkCalls: 0 };
    this.allowance = data?.allowance ?? null;
    this.vendorMode = data?.vendorMode ?? 'additive';
    this.vendorModeSince = data?.vendorModeSince ?? null;
    this.unreconcilable = new Set(data?.unreconcilable);
    this.leftUnverified = new Set(data?.leftUnverified);
    this.lastCallSeen = data?.lastCallSeen ?? null;
    this.watchedFrom = data?.watchedFrom ?? null;
    this.lookedUntil = data?.lookedUntil ?? null;
    this.lookedBack = data?.lookedBack ?? false;
    this.savedAt = now;
  }

  /** The operation day it is now. */
  today(): Day {
    return dayOf(toWallClock(this.deps.clock(), this.s.timeZone));
  }

  /** Calls counted against the operation day they were made on (a long run may cross midnight); `check`: verification's or reconciliation's. */
  countCall(check = false): void {
    const today = this.today();
    if (this.budget.day !== today) this.budget = { day: today, calls: 0, checkCalls: 0 };
    this.budget.calls += 1;
    if (check) this.budget.checkCalls += 1;
    if (check && this.checking) {
      if (this.checkingAhead > 0 && this.aheadOn === this.checking) this.checkingAhead -= 1;
      else this.checking.calls += 1;
    }
    this.apiCalls += 1;
  }

  /** A token_info call: one of the day's calls, and of this run's, but no phase's. */
  countInfoCall(): void {
    const today = this.today();
    if (this.budget.day !== today) this.budget = { day: today, calls: 0, checkCalls: 0 };
    this.budget.calls += 1;
    this.infoCalls += 1;
  }

  /**
   * The day being checked is about to spend a call: counted on it and saved first (at worst one
   * call too many counted, when the call does not go out).
   */
  async countAhead(): Promise<void> {
    if (!this.checking) return;
    if (this.aheadOn !== this.checking) this.checkingAhead = 0;
    this.aheadOn = this.checking;
    this.checking.calls += 1;
    this.checkingAhead += 1;
    await this.save();
  }

  callsToday(): number {
    return this.budget.day === this.today() ? this.budget.calls : 0;
  }

  /**
   * An answer over [fromWall, toWall) was read: the store has looked there, and with calls in
   * it, the last of them may lie anywhere up to its end. Silence is counted from that end: a
   * range's search asks a month's span before its windows, and its start would call the whole
   * span silent although it has calls.
   */
  noteAnswer(fromWall: number, toWall: number, calls: number): void {
    this.watchedFrom = Math.min(this.watchedFrom ?? fromWall, fromWall);
    this.lookedUntil = Math.max(this.lookedUntil ?? toWall, toWall);
    if (calls > 0) this.lastCallSeen = Math.max(this.lastCallSeen ?? -Infinity, toWall);
  }

  /** Verification's and reconciliation's calls today. */
  checkCallsToday(): number {
    return this.budget.day === this.today() ? this.budget.checkCalls : 0;
  }

  /** Marks a window handled (collected or quarantined) by the job it belongs to. */
  noteHandled(w: Window, outcome: 'collected' | 'quarantined'): void {
    this.failures.delete(w.startWall);
    if (outcome === 'collected') this.quarantined.delete(w.startWall);
    else this.quarantined.add(w.startWall);
    this.handledSinceSave += 1;
  }

  /**
   * Records that the day of `w` may get new window objects. Saved before the first window
   * of that day is written, so a run that dies before rewriting the day object leaves the
   * day marked for the next run.
   */
  async markDay(w: Window): Promise<void> {
    const day = dayOf(w.startWall);
    const levelled = this.levelling.get(day);
    if (levelled) levelled.clean = false;
    // Written windows make the day owe a verification (again, if it was verified before), unless
    // the vendor's totals were found not to add up for it: it is not checked again unless asked.
    const newlyPending = !this.verifyDays.has(day) && !this.unreconcilable.has(day) && !this.leftUnverified.has(day);
    if (newlyPending) this.verifyDays.set(day, { since: this.deps.clock(), checks: 0, calls: 0, nextCheck: null });
    const newlyDirty = this.dayObjects && !this.savedDirty.has(day);
    const wasDirty = this.daysDirty.has(day);
    if (newlyDirty) this.daysDirty.add(day);
    if (!newlyPending && !newlyDirty) return;
    if (!this.unlanded.has(day)) this.unlanded.set(day, { pending: newlyPending, dirty: newlyDirty && !wasDirty });
    await this.save();
  }

  /**
   * A window's objects landed: its day's `pending` row is written with the first (a call that
   * fails leaves no row, and no day owed, for a day with no window).
   */
  windowLanded(w: Window): void {
    const day = dayOf(w.startWall);
    const marked = this.unlanded.get(day);
    if (!marked) return;
    this.unlanded.delete(day);
    if (marked.pending) this.track(writeVerificationRecord(this.deps.store, this.s, dayLabel(day), verificationRecord('pending', this.recordTime(), this.s.timeZone)));
  }

  /** Undoes the marks of days where no window landed in this run (a call that failed after its day was marked). */
  forgetUnlanded(): void {
    for (const [day, marked] of this.unlanded) {
      if (marked.pending) this.verifyDays.delete(day);
      if (marked.dirty) this.daysDirty.delete(day);
    }
    this.unlanded.clear();
  }

  /**
   * Records that the day of a stored window should be checked against its day object, with
   * no save: nothing is written to that day, so a run that dies loses nothing by it. Rerunning
   * a range over history collected before day objects existed builds them, with no API call.
   */
  touchDay(w: Window): void {
    if (this.dayObjects) this.daysDirty.add(dayOf(w.startWall));
  }

  /**
   * When a verification row is made: never the same instant as the row before it, so that the
   * latest row of a day (max_by(status, checked_at)) is always one row.
   */
  recordTime(): number {
    this.lastRecordAt = Math.max(this.deps.clock(), this.lastRecordAt + 1);
    return this.lastRecordAt;
  }

  /** Saves when enough work piled up since the last save; renews the lease when due. */
  async progress(): Promise<void> {
    // Progress is saved while the next call goes out: a kill costs at most the windows since the save before.
    if (this.handledSinceSave >= PROGRESS_EVERY || this.deps.clock() - this.savedAt >= PROGRESS_EVERY_MS) {
      this.throwIfFailed();
      this.saveSoon();
    } else if (this.lease?.renewDue()) await this.lease.renew();
  }

  /**
   * A write that need not hold up the next call (a span call's fetch-log line, a window's last
   * objects): `flush` waits for it, a save waits for it only with `beforeSave`, and its failure
   * stops the run at the next save or search step.
   */
  track(write: Promise<unknown>, opts: { beforeSave?: boolean } = {}): void {
    const tracked: Promise<unknown> = write
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inflight.delete(tracked);
        this.landing.delete(tracked);
      });
    this.inflight.add(tracked);
    // Window objects still landing: no save may record progress past them before they have.
    if (opts.beforeSave) this.landing.add(tracked);
  }

  /** Saves while the next call goes out; saves stay in order, and the next one awaited reports a failure. */
  saveSoon(): void {
    this.save().catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Saves in order: each writes the state as it stands when its turn comes. */
  save(): Promise<void> {
    const turn = this.saving.then(() => this.saveNow());
    this.saving = turn.catch(() => undefined);
    return turn;
  }

  /** Throws the failure of a write that did not hold up the calls, once it is known: no call after a save failed. */
  throwIfFailed(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  /** A verification read the day back and is writing its day object from what it read. */
  noteLevelled(day: Day, written: Promise<void>): void {
    this.track(written);
    this.levelling.set(day, { written, clean: true });
  }

  /** Whether the day's object was written from a read-back with no window of the day written since. */
  levelledClean(day: Day): boolean {
    return this.levelling.get(day)?.clean === true;
  }

  /** The day's object as a read-back is writing it, landed (before anything else reads or writes it). */
  async levelledLanded(day: Day): Promise<void> {
    await this.levelling.get(day)?.written.catch(() => undefined);
  }

  /** Waits for every tracked write (a failed one is reported by the next save). */
  async landed(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /**
   * Waits for every write this run started (tracked writes, saves), whatever their outcome:
   * a run that failed gives its lease back only once none of them can land after it, over the
   * next holder's writes.
   */
  async quiesce(): Promise<void> {
    while (this.inflight.size > 0) await this.landed();
    await this.saving;
  }

  /** Waits for every tracked write, then saves: nothing this run started is left unsaid. */
  async flush(): Promise<void> {
    await this.landed();
    await this.save();
  }

  private async saveNow(): Promise<void> {
    await Promise.all([...this.landing]);
    this.throwIfFailed();
    if (this.lease?.renewDue()) await this.lease.renew();
    const cp = encodeState(this, { operation: this.s.operation, timeZone: this.s.timeZone, now: this.deps.clock() });
    // What this save holds is what counts as saved once it lands, whatever changes meanwhile.
    const dirty = new Set(this.daysDirty);
    this.handledSinceSave = 0;
    this.savedAt = this.deps.clock();
    await this.deps.store.put(checkpointKey(this.s.prefix, this.s.operation), serializeCheckpoint(cp), JSON_TYPE);
    this.savedDirty = dirty;
  }
}

