/**
 * One run's context: who it calls and writes with (deps), what it was asked (settings), the
 * state it works on (the checkpoint, as values), what it knows of the store, one budget that
 * every call asks first, one vendor caller, and the report its phases add to. Phases and the
 * pieces they are made of take the run; nothing else is passed around.
 */
import { dayLabel, dayOf } from '../domain/day.ts';
import type { CollectorError } from '../domain/errors.ts';
import { callCount, totalsOfReport } from '../domain/totals.ts';
import type { OperatorAsks } from '../domain/operator-asks.ts';
import type { Window } from '../domain/window.ts';
import type { LeaseStore } from '../storage/lease-store.ts';
import { DEFAULT_CHECK_SHARE, DEFAULT_RESERVE, type Reserve } from '../domain/vendor-model.ts';
import { allowanceReader } from './allowance.ts';
import { Budget } from './budget.ts';
import { acquireLease, type Lease, type LeaseHolder } from './lease.ts';
import { applyAsks } from './operator-asks.ts';
import type { CollectedWindow } from './outcome.ts';
import { RunTally } from './run-report.ts';
import { loadState, RunState, type StateData } from './run-state.ts';
import { DayAnswers, StoredDays } from './stored-days.ts';
import { VendorCaller, type CollectorDeps } from './vendor-caller.ts';

export interface EngineDeps extends CollectorDeps {
  /** Where the lease is taken; without it the run takes none (unit tests of one collector). */
  readonly leases?: LeaseStore;
  readonly holder?: LeaseHolder;
  /** True once the run should stop after the window in flight (Ctrl-C, SIGTERM). */
  readonly shouldStop?: () => boolean;
  /** Brings the day objects (cdr_4_daily) of these days level with their window objects; names the days it could not. */
  readonly refreshDays?: (days: readonly string[]) => Promise<{ readonly failedDays: readonly string[]; readonly skippedDays?: readonly string[] }>;
}

/** Work after (or beside) the windows a user watches: a day's check, the day objects' rewrite. */
export type RunPhase = { readonly name: 'verify'; readonly day: string } | { readonly name: 'day-objects'; readonly days: number };

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
  /** Told about each window once its objects are durable (progress bars). */
  readonly onCollected?: (c: CollectedWindow) => void;
  /** At most this many API calls per operation day, every run and job together; undefined: no cap of our own. */
  readonly dailyCallCap?: number;
  /** A day is verified once this long has passed since it ended (long calls end meanwhile). Default 240. */
  readonly verifyAfterMinutes?: number;
  /** Told as the run turns to work that makes no window of its own show (a progress line names it). */
  readonly onPhase?: (phase: RunPhase) => void;
  /** Kept of the token's daily limit for other integrations: history stops before it. Default 20% of the limit. */
  readonly tokenReserve?: Reserve;
  /** Verification's and reconciliation's share of the day's allowance. Default 0.5. */
  readonly checkShare?: number;
  /** token_info is read at most this often (and anew each day) before history spends calls. Default 60. */
  readonly tokenInfoEveryMinutes?: number;
  /** No call in any answer for this many days makes the report suspicious. Default 7. */
  readonly silentDays?: number;
  /** The operator's asks (vendor model, days to check again): applied and saved as the run opens. */
  readonly operatorAsks?: OperatorAsks;
}

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

/** Every setting either kind of run may be given (those beyond RunSettings are optional). */
export type EngineSettings = LiveRunSettings & RangeRunSettings;

export class Run {
  readonly deps: EngineDeps;
  readonly settings: EngineSettings;
  readonly state: RunState;
  readonly stored: StoredDays;
  readonly answers = new DayAnswers();
  readonly budget: Budget;
  readonly vendor: VendorCaller;
  readonly report: RunTally;
  /** Windows (by wall start) the live phase stored in this run: as late as a re-collection now would be. */
  readonly fresh = new Set<number>();

  constructor(deps: EngineDeps, settings: EngineSettings, state: RunState) {
    this.deps = deps;
    this.settings = settings;
    this.state = state;
    this.stored = new StoredDays(deps, settings);
    this.budget = new Budget({
      clock: deps.clock,
      timeZone: settings.timeZone,
      deadline: settings.deadline,
      shouldStop: deps.shouldStop,
      dailyCallCap: settings.dailyCallCap,
      reserve: this.reserve,
      checkShare: settings.checkShare ?? DEFAULT_CHECK_SHARE,
      state,
      refreshAllowance: allowanceReader(this, this.reserve, settings.tokenInfoEveryMinutes),
    });
    this.vendor = new VendorCaller(deps, settings, {
      timeLeft: () => this.budget.timeLeft(),
      onApiCall: () => state.countCall(this.budget.spendingOn === 'check'),
      stopped: () => this.budget.stopRequested(),
      onAnswer: (span, report) => state.noteAnswer(span.fromWall, span.toWall, callCount(totalsOfReport(report))),
    });
    this.report = new RunTally(this);
  }

  /** What is kept of the token's daily limit for other integrations. */
  get reserve(): Reserve {
    return this.settings.tokenReserve ?? DEFAULT_RESERVE;
  }

  /** API calls this run made, every phase. */
  get calls(): number {
    return this.state.apiCalls;
  }

  get timeZone(): string {
    return this.settings.timeZone;
  }

  now(): number {
    return this.deps.clock();
  }

  /** A window of the operation's wall clock. */
  windowAt(startWall: number): Window {
    return { startWall, timeZone: this.settings.timeZone };
  }
}

/**
 * Takes the lease, reads the state under it (the truth), runs `work` on it, brings day objects
 * level, and gives the lease back once every write the run started has landed (a failed run's
 * too). Callers read the state once before, for the guards (operation, zone, token limit, cap),
 * so that a refused run writes nothing, not even a lease. `init` shapes a store's first state,
 * written before any window so that the store records its operation and zone.
 */
export async function withRun<T>(deps: EngineDeps, settings: EngineSettings, work: (run: Run) => Promise<T>, init?: (state: RunState) => void): Promise<T> {
  const lease = deps.leases && deps.holder ? await acquireLease({ store: deps.leases, prefix: settings.prefix, operation: settings.operation, holder: deps.holder, clock: deps.clock }) : undefined;
  let run: Run;
  try {
    run = new Run(deps, settings, await openState(deps, settings, lease, init));
  } catch (error) {
    await lease?.release().catch(() => undefined);
    throw error;
  }
  try {
    if (settings.operatorAsks) run.report.asked = await applyAsks(run, settings.operatorAsks);
    const result = await work(run);
    await closeRun(run);
    return result;
  } finally {
    await endRun(run, lease);
  }
}

async function openState(deps: EngineDeps, settings: EngineSettings, lease: Lease | undefined, init?: (state: RunState) => void): Promise<RunState> {
  const data: StateData | undefined = await loadState(deps, settings);
  const state = new RunState(deps, settings, data, lease, deps.refreshDays !== undefined);
  if (!data) {
    init?.(state);
    await state.save();
  }
  return state;
}

/** Brings day objects level and saves the state; endRun gives the lease back. */
async function closeRun(run: Run): Promise<void> {
  const { state, deps } = run;
  if (deps.refreshDays && state.daysDirty.size > 0) await refreshDirtyDays(run, deps.refreshDays);
  // Every write started in the background lands before the run returns (a Lambda is frozen after).
  await state.flush();
}

async function refreshDirtyDays(run: Run, refresh: NonNullable<EngineDeps['refreshDays']>): Promise<void> {
  const { state } = run;
  const days = [...state.daysDirty].sort((a, b) => a - b);
  // A day a verification read back has its object written from that read, unless windows came after it.
  const todo = days.filter((d) => !state.levelledClean(d));
  // A refresh never races a verification's write of the same object.
  await Promise.all(todo.map((d) => state.levelledLanded(d)));
  if (todo.length > 0) run.settings.onPhase?.({ name: 'day-objects', days: todo.length });
  const { failedDays, skippedDays = [] } = todo.length > 0 ? await refresh(todo.map(dayLabel)) : { failedDays: [], skippedDays: [] };
  // A day that failed, or was left for lack of time, stays marked: the next run tries it again.
  // So does the live cursor's day: the next scheduled run writes into it, and finding it
  // already marked spares that run a checkpoint write before its first window.
  const keep = new Set([...failedDays, ...skippedDays]);
  if (state.nextWindow !== null) keep.add(dayLabel(dayOf(state.nextWindow.startWall)));
  for (const d of days) if (!keep.has(dayLabel(d))) state.daysDirty.delete(d);
}

/** Gives the lease back once every write the run started has landed or failed (a failed run's too). */
async function endRun(run: Run, lease: Lease | undefined): Promise<void> {
  await run.state.quiesce();
  await lease?.release().catch((error: unknown) => run.deps.log.warn('could not release the lease; it lapses by itself', { error_message: (error as Error).message }));
}
