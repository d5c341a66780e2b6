/**
 * The state one run works on: the checkpoint as loaded, changed as windows are handled,
 * saved at least every `PROGRESS_EVERY` windows or `PROGRESS_EVERY_MS` (so a hard kill loses
 * at most that much work), and the lease that makes this run the only one writing it.
 */
import { checkpointKey } from '../domain/layout.ts';
import { labelOf, parseCheckpoint, serializeCheckpoint, type BackfillJob, type Checkpoint, type PendingDay, type SavedSettleNode } from '../domain/checkpoint.ts';
import type { SettleNode } from '../domain/settle.ts';
import { formatWall, parseWall } from '../domain/wall-clock.ts';
import { formatDate, toWallClock } from '../domain/wall-clock.ts';
import { nextWindow, type Window } from '../domain/window.ts';
import { JSON_TYPE } from '../storage/object-store.ts';
import type { Lease } from './lease.ts';
import type { CollectorDeps } from './collect-windows.ts';
import { verificationRecord, writeVerificationRecord } from './verification-records.ts';

export const PROGRESS_EVERY = 100;
export const PROGRESS_EVERY_MS = 30_000;

export interface StateSettings {
  readonly operation: string;
  readonly prefix: string;
  readonly timeZone: string;
}

export async function loadCheckpoint(deps: Pick<CollectorDeps, 'store'>, s: StateSettings): Promise<Checkpoint | undefined> {
  const key = checkpointKey(s.prefix, s.operation);
  const text = await deps.store.get(key);
  return text === null ? undefined : parseCheckpoint(text, deps.store.describe(key), { operation: s.operation, timeZone: s.timeZone });
}

export class RunState {
  nextWindow: string | null;
  liveFrom: string | null;
  tokenLimitUntil: string | null;
  restateNext: string | null;
  readonly failures: Record<string, number>;
  readonly quarantined: Set<string>;
  readonly backfills: BackfillJob[];
  readonly daysDirty: Set<string>;
  /** Days with windows stored and not yet verified (the checkpoint's verify_days). */
  readonly verifyDays: Map<string, PendingDay>;
  /** Searches in progress, by what they serve; saved so a killed run loses at most the call in flight. */
  readonly searches: Map<string, SettleNode[]>;
  quietSince: string | null;
  lateShare: number | null;
  budget: { day: string; calls: number };
  /** API calls made by this run (all phases). */
  apiCalls = 0;
  private lastRecordAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly landing = new Set<Promise<unknown>>();
  private failure: unknown;
  private handledSinceSave = 0;
  private savedAt: number;
  private savedDirty = new Set<string>();
  /** Day objects a verification's read-back wrote, by day; `clean` until a window of the day is written after it. */
  private readonly levelling = new Map<string, { written: Promise<void>; clean: boolean }>();

  private readonly deps: Pick<CollectorDeps, 'store' | 'clock'>;
  private readonly s: StateSettings;
  private readonly lease: Lease | undefined;
  /** Whether day objects are kept (cdr_4_daily): only then are days marked before writes. */
  private readonly dayObjects: boolean;

  constructor(deps: Pick<CollectorDeps, 'store' | 'clock'>, s: StateSettings, cp: Checkpoint | undefined, lease?: Lease, dayObjects = false) {
    this.deps = deps;
    this.s = s;
    this.lease = lease;
    this.dayObjects = dayObjects;
    const now = deps.clock();
    this.nextWindow = cp?.next_window ?? null;
    this.liveFrom = cp?.live_from ?? null;
    this.tokenLimitUntil = cp?.token_limit_until ?? null;
    this.restateNext = cp?.restate_next ?? null;
    this.failures = { ...(cp?.failures ?? {}) };
    this.quarantined = new Set(cp?.quarantined ?? []);
    this.backfills = (cp?.backfills ?? []).map((b) => ({ ...b }));
    this.daysDirty = new Set(cp?.days_dirty ?? []);
    this.savedDirty = new Set(this.daysDirty);
    this.verifyDays = new Map(Object.entries(cp?.verify_days ?? {}).map(([d, p]) => [d, { ...p }]));
    this.searches = new Map(Object.entries(cp?.searches ?? {}).map(([k, nodes]) => [k, nodes.map(nodeFromSaved)]));
    this.quietSince = cp?.quiet_since ?? null;
    this.lateShare = cp?.late_share ?? null;
    const today = formatDate(toWallClock(now, s.timeZone));
    this.budget = cp?.budget?.day === today ? { ...cp.budget } : { day: today, calls: 0 };
    this.savedAt = now;
  }

  /** Calls counted against the operation day they were made on (a long run may cross midnight). */
  countCall(): void {
    const today = formatDate(toWallClock(this.deps.clock(), this.s.timeZone));
    if (this.budget.day !== today) this.budget = { day: today, calls: 0 };
    this.budget.calls += 1;
    this.apiCalls += 1;
  }

  callsToday(): number {
    const today = formatDate(toWallClock(this.deps.clock(), this.s.timeZone));
    return this.budget.day === today ? this.budget.calls : 0;
  }

  /** Marks a window handled (collected or quarantined) by the job it belongs to. */
  noteHandled(w: Window, outcome: 'collected' | 'quarantined'): void {
    const label = labelOf(w);
    delete this.failures[label];
    if (outcome === 'collected') this.quarantined.delete(label);
    else this.quarantined.add(label);
    this.handledSinceSave += 1;
  }

  /**
   * Records that the day of `w` may get new window objects. Saved before the first window
   * of that day is written, so a run that dies before rewriting the day object leaves the
   * day marked for the next run.
   */
  async markDay(w: Window): Promise<void> {
    const day = formatDate(w.startWall);
    const levelled = this.levelling.get(day);
    if (levelled) levelled.clean = false;
    // Written windows make the day owe a verification (again, if it was verified before).
    const newlyPending = !this.verifyDays.has(day);
    if (newlyPending) this.verifyDays.set(day, { since: new Date(this.deps.clock()).toISOString(), checks: 0, next_check: null });
    const newlyDirty = this.dayObjects && !this.savedDirty.has(day);
    if (newlyDirty) this.daysDirty.add(day);
    if (newlyPending || newlyDirty) await this.save();
    // After the save: a pending row for a day the checkpoint does not owe is never written.
    if (newlyPending) await writeVerificationRecord(this.deps.store, this.s, day, verificationRecord('pending', this.recordTime(), this.s.timeZone));
  }

  /**
   * Records that the day of a stored window should be checked against its day object, with
   * no save: nothing is written to that day, so a run that dies loses nothing by it. Rerunning
   * a range over history collected before day objects existed builds them, with no API call.
   */
  touchDay(w: Window): void {
    if (this.dayObjects) this.daysDirty.add(formatDate(w.startWall));
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
  noteLevelled(day: string, written: Promise<void>): void {
    this.track(written);
    this.levelling.set(day, { written, clean: true });
  }

  /** Whether the day's object was written from a read-back with no window of the day written since. */
  levelledClean(day: string): boolean {
    return this.levelling.get(day)?.clean === true;
  }

  /** The day's object as a read-back is writing it, landed (before anything else reads or writes it). */
  async levelledLanded(day: string): Promise<void> {
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
    const cp: Checkpoint = {
      version: 1,
      operation: this.s.operation,
      timezone: this.s.timeZone,
      next_window: this.nextWindow,
      live_from: this.liveFrom,
      token_limit_until: this.tokenLimitUntil,
      failures: this.failures,
      quarantined: [...this.quarantined].sort(),
      restate_next: this.restateNext,
      backfills: this.backfills,
      budget: this.budget,
      days_dirty: [...this.daysDirty].sort(),
      verify_days: Object.fromEntries([...this.verifyDays].sort(([a], [b]) => (a < b ? -1 : 1))),
      searches: Object.fromEntries([...this.searches].filter(([, nodes]) => nodes.length > 0).map(([k, nodes]) => [k, nodes.map(nodeToSaved)])),
      quiet_since: this.quietSince,
      late_share: this.lateShare,
      updated_at: new Date(this.deps.clock()).toISOString(),
    };
    // What this save holds is what counts as saved once it lands, whatever changes meanwhile.
    const dirty = new Set(this.daysDirty);
    this.handledSinceSave = 0;
    this.savedAt = this.deps.clock();
    await this.deps.store.put(checkpointKey(this.s.prefix, this.s.operation), serializeCheckpoint(cp), JSON_TYPE);
    this.savedDirty = dirty;
  }
}

/** Label of the window after `w`. */
export function labelAfter(w: Window): string {
  return labelOf(nextWindow(w));
}

function nodeFromSaved(n: SavedSettleNode): SettleNode {
  return { fromWall: parseWall(n.from)!, toWall: parseWall(n.to)!, ...(n.vendor ? { vendor: n.vendor } : {}), ...(n.parent ? { parent: n.parent } : {}), ...(n.filled ? { filled: true } : {}), ...(n.by ? { by: n.by } : {}), ...(n.fetched ? { fetched: parseWall(n.fetched)! } : {}) };
}

function nodeToSaved(n: SettleNode): SavedSettleNode {
  return { from: formatWall(n.fromWall), to: formatWall(n.toWall), ...(n.vendor ? { vendor: { ...n.vendor } } : {}), ...(n.parent ? { parent: { ...n.parent } } : {}), ...(n.filled ? { filled: true } : {}), ...(n.by ? { by: n.by } : {}), ...(n.fetched !== undefined ? { fetched: formatWall(n.fetched) } : {}) };
}
