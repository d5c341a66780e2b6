/**
 * The run's report, added up from its phases' outcomes as they come: what a caller is told
 * (the CLI's summary, the Lambda's result) and the run figures (metrics) it emits. A run that
 * did nothing reports the same shape, from the same zeros.
 */
import { jobWindowsLeft } from '../domain/backfill-left.ts';
import { DAY_MS, dayLabel, dayOf } from '../domain/day.ts';
import { DEFAULT_SILENT_DAYS, silentSince, type VendorMode } from '../domain/vendor-model.ts';
import { allowanceFigures, type AllowanceFigures } from './allowance.ts';
import { METRIC } from '../domain/metrics.ts';
import { latestDueWindow } from '../domain/planner.ts';
import { formatWall } from '../domain/wall-clock.ts';
import { WINDOW_MS, type Window } from '../domain/window.ts';
import { nextMidnight, type StopReason } from './budget.ts';
import { jobSearchKey } from './checkpoint-codec.ts';
import { emptyOutcome, absorb, type CollectedSummary, type Outcome, type Stopped } from './outcome.ts';
import type { AsksApplied } from './operator-asks.ts';
import type { Run } from './run.ts';
import type { Job, StateData } from './run-state.ts';
import { daysUnverifiedPastBound } from '../domain/verification.ts';

export type RunStopReason = StopReason | 'token-limit-wait';

/** The limits that end a day's history: our daily cap, the token's reserve for other integrations, the token's own limit. */
export type HeldBy = Extract<StopReason, 'budget' | 'reserve' | 'token-limit' | 'check-share'>;

export type PhaseName = 'live' | 'look-back' | 'reconcile' | 'verify' | 'backfill';

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
  readonly stoppedAt?: Stopped | undefined;
  /** True when a stop request (Ctrl-C) ended verification early. */
  readonly interrupted?: boolean;
  /** Days this run found not to add up (status 'unreconcilable'), and days it left unverified at their bound on checking. */
  readonly unreconcilable: readonly string[];
  readonly unverified: readonly string[];
  /** 'non-additive' once days did not add up: windows are then collected without comparing sums. */
  readonly vendorMode: VendorMode;
  /** The day a silence longer than SILENT_DAYS began: no answer since has shown a call. */
  readonly silentSince?: string | undefined;
}

/** Where a range stands: its job as saved (null once done). */
export interface JobReport {
  readonly next: string;
  readonly to: string;
  readonly remaining: number;
  readonly searching: boolean;
}

export interface RunReport {
  readonly planned: number;
  /** Windows durably written by this run (live, or the range's). */
  readonly collected: CollectedSummary;
  readonly quarantined: readonly Window[];
  readonly stopReason: RunStopReason;
  readonly stoppedAt?: Stopped | undefined;
  /** API calls of every phase, token_info's included. */
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
  /** What held work back when `budgetExhausted`: our daily cap, the token's reserve for other integrations, or its limit. */
  readonly heldBy?: HeldBy | undefined;
  /** The token's allowance as last read today (token_info), with our calls since; null when it was not read today. */
  readonly allowance?: AllowanceFigures | null;
  /** API calls counted on the operation day so far (every run and job). */
  readonly callsToday: number;
  /** No API call before this instant (the vendor's daily limit), when it applies. */
  readonly tokenLimitUntil: string | null;
  /** Time spent waiting out transient trouble (CLI ranges). */
  readonly waitedMs: number;
  /** True when a spell of trouble outlasted `waitForTransientMs`. */
  readonly gaveUpWaiting: boolean;
  /** For a range: where its job stands (null once done). */
  readonly job?: JobReport | null;
  readonly verification: VerificationSummary;
  /** What the operator's asks changed as the run opened (vendor model, days to check again). */
  readonly asked?: AsksApplied;
}

/** A window as reports name it: its start on the operation's wall clock. */
function label(w: Window): string {
  return formatWall(w.startWall);
}

/** What a Lambda invocation returns: the report, as its caller (a test, an `aws lambda invoke`) reads it. */
export interface LambdaResult {
  readonly windowsCollected: number;
  readonly windowsQuarantined: number;
  readonly windowsBehind: number;
  readonly apiCalls: number;
  /**
   * `lease-held`: another collector (a CLI run) holds the operation: this run made no API call,
   * or, when it lost the lease mid-run, stopped at once (the counts here are then 0; its
   * run figures still count its calls, and what it stored stays).
   */
  readonly stopReason: RunStopReason | 'lease-held';
  readonly firstWindow: string | null;
  readonly lastWindow: string | null;
  readonly restated: number;
  readonly backfilled: number;
  readonly backfillRemaining: number;
  readonly budgetExhausted: boolean;
  /** Days this run verified against Wolkvox's day totals. */
  readonly daysVerified: readonly string[];
  /** Days whose check found changes this run (the windows that differed were re-collected). */
  readonly daysChanged: readonly string[];
  /** API calls this run spent on verification (day calls, narrowing, re-collected windows). */
  readonly verificationCalls: number;
  /** Days with windows stored and not verified yet; of those, ended more than 3 days ago (the DaysUnverified alarm). */
  readonly daysPending: number;
  readonly daysUnverifiedPastBound: number;
  /** How Wolkvox's totals are treated after this run. */
  readonly vendorMode: VendorMode;
  /** What an event's asks changed (vendor model, days to check again), when it had any. */
  readonly asked?: AsksApplied;
}

export function lambdaResultOf(report: RunReport): LambdaResult {
  const { first, last } = report.collected;
  const v = report.verification;
  return {
    windowsCollected: report.collected.count,
    windowsQuarantined: report.quarantined.length,
    windowsBehind: report.windowsBehind,
    apiCalls: report.apiCalls,
    stopReason: report.stopReason,
    firstWindow: first ? label(first) : null,
    lastWindow: last ? label(last) : null,
    restated: report.restated,
    backfilled: report.backfilled,
    backfillRemaining: report.backfillRemaining,
    budgetExhausted: report.budgetExhausted,
    daysVerified: v.verified,
    daysChanged: v.changed,
    verificationCalls: v.apiCalls,
    daysPending: v.pending,
    daysUnverifiedPastBound: v.pastBound,
    vendorMode: v.vendorMode,
    ...(report.asked ? { asked: report.asked } : {}),
  };
}

/**
 * Window labels the queued jobs still have to settle, counted as a range's summary and `npm run
 * status` count them (domain/backfill-left.ts). With `isStored` (what this run knows to be
 * stored), windows of a search's spans already stored are not counted unless the job refetches.
 */
export function backfillRemaining(state: Pick<StateData, 'backfills' | 'searches'>, isStored?: (startWall: number) => boolean, jobs: readonly Job[] = state.backfills): number {
  return jobs.reduce((n, job) => n + jobWindowsLeft({ nextWall: job.next.startWall, toWall: job.to.startWall, refetch: job.refetch }, state.searches.get(jobSearchKey(job)) ?? [], isStored), 0);
}

/** How a job stands for a report (labels: what a user reads). */
export function jobReport(state: Pick<StateData, 'backfills' | 'searches'>, job: Job, isStored?: (startWall: number) => boolean): JobReport {
  return { next: label(job.next), to: label(job.to), remaining: backfillRemaining(state, isStored, [job]), searching: state.searches.has(jobSearchKey(job)) };
}

/** Windows from `from` through `through`, both included (none when `through` is before `from`). */
export function countWindows(from: Window, through: Window): number {
  return Math.max(0, Math.round((through.startWall - from.startWall) / WINDOW_MS) + 1);
}

/** The report of a run that did no work: its figures, and what the state says. */
export function idleReport(stopReason: RunStopReason, extra: Partial<RunReport> = {}): RunReport {
  const o = emptyOutcome();
  return {
    planned: 0,
    collected: o.collected,
    quarantined: o.quarantined,
    stopReason,
    apiCalls: 0,
    windowsBehind: 0,
    notYetDue: 0,
    skipped: 0,
    restated: 0,
    backfilled: 0,
    backfillRemaining: 0,
    budgetExhausted: false,
    callsToday: 0,
    tokenLimitUntil: null,
    waitedMs: 0,
    gaveUpWaiting: false,
    verification: { verified: [], changed: [], partial: [], apiCalls: 0, pending: 0, pendingDays: [], pastBound: 0, unreconcilable: [], unverified: [], vendorMode: 'additive' },
    ...extra,
  };
}

/** Adds up a run's phases as they end; builds its report at the end. */
export class RunTally {
  /** The phase whose windows the report is about: the live windows, or a range's walk. */
  lead: PhaseName = 'live';
  budgetExhausted = false;
  /** The first limit that held work back, for the report to name. */
  heldBy: HeldBy | undefined;
  waitedMs = 0;
  gaveUpWaiting = false;
  /** Live windows planned, whether a quiet period deferred them, whether the live cursor was there before this run. */
  planned = 0;
  deferred = false;
  resumed = false;
  /** What the operator's asks changed as the run opened. */
  asked: AsksApplied | undefined;
  private readonly run: Run;
  private readonly outcomes = new Map<PhaseName, Outcome>();
  private stopped = false;

  constructor(run: Run) {
    this.run = run;
  }

  /** Adds a phase's outcome (a phase may come more than once: its figures add up, its last stop stands). */
  add(phase: PhaseName, o: Outcome): void {
    const into = this.outcomes.get(phase);
    if (into) absorb(into, o);
    else this.outcomes.set(phase, o);
    if (o.stop !== 'done' || o.stoppedAt) this.stopped = true;
    // The token's reserve counts as its limit: what is left belongs to the schedule and other integrations.
    if (o.stop === 'budget' || o.stop === 'reserve' || o.stop === 'token-limit') this.heldBack(o.stop);
    // Checking's share is ours to keep, not the token's limit: said, but no TokenBudgetExhausted.
    if (o.stop === 'check-share') this.heldBy ??= 'check-share';
    this.emitOf(phase, o);
  }

  /** What a phase added up to so far. */
  of(phase: PhaseName): Outcome {
    return this.outcomes.get(phase) ?? emptyOutcome();
  }

  /** Whether every phase so far went through: history works only behind work that did. */
  get unbroken(): boolean {
    return !this.stopped;
  }

  /** A phase had work that the daily cap (or `by`) left no room for. */
  heldBack(by?: StopReason): void {
    this.budgetExhausted = true;
    if (by === 'budget' || by === 'reserve' || by === 'token-limit') this.heldBy ??= by;
  }

  private emitOf(phase: PhaseName, o: Outcome): void {
    const { metrics, log } = this.run.deps;
    if (phase === 'reconcile') metrics.count(METRIC.windowsRestated, o.notes.recollected + o.notes.emptied);
    if (phase === 'backfill') metrics.count(METRIC.windowsBackfilled, o.collected.count);
    if (phase === 'verify' && o.stoppedAt) log.warn('verification stopped before it was through; the days left are checked on a later run', { day: dayLabel(dayOf(o.stoppedAt.window.startWall)), reason: o.stoppedAt.error.message });
  }

  /** The days' verification as it stands (the DaysUnverified gauge is emitted here). */
  verification(): VerificationSummary {
    const { state, deps, settings } = this.run;
    const v = this.outcomes.get('verify');
    const pastBound = daysUnverifiedPastBound(state.verifyDays, deps.clock(), settings.timeZone);
    const unreconcilable = (v?.notes.unreconcilable ?? []).map(dayLabel);
    const unverified = (v?.notes.unverified ?? []).map(dayLabel);
    // Days concluded this run raise the alarm once: they leave the queue, so later runs do not count them.
    deps.metrics.count(METRIC.daysUnverified, pastBound + unreconcilable.length + unverified.length);
    deps.metrics.count(METRIC.daysUnreconcilable, unreconcilable.length);
    deps.metrics.count(METRIC.daysLeftUnverified, unverified.length);
    deps.metrics.count(METRIC.vendorNotAdditive, state.vendorMode === 'additive' ? 0 : 1);
    const silent = this.silence();
    return {
      unreconcilable,
      unverified,
      vendorMode: state.vendorMode,
      silentSince: silent === undefined ? undefined : dayLabel(dayOf(silent)),
      verified: (v?.notes.verified ?? []).map(dayLabel),
      changed: (v?.notes.changed ?? []).map(dayLabel),
      partial: (v?.notes.partial ?? []).map(dayLabel),
      apiCalls: v?.calls ?? 0,
      pending: state.verifyDays.size,
      pendingDays: [...state.verifyDays.keys()].sort((a, b) => a - b).map(dayLabel),
      pastBound,
      stoppedAt: v?.stoppedAt,
      interrupted: v?.stop === 'interrupted',
    };
  }

  /** Where a silence longer than the bound began, if the answers show one (the ReportSilentDays gauge, in days, is emitted here). */
  private silence(): number | undefined {
    const { state, settings, deps } = this.run;
    if (state.lookedUntil === null || state.watchedFrom === null) return undefined;
    const since = silentSince(state.lastCallSeen, state.watchedFrom, state.lookedUntil, settings.silentDays ?? DEFAULT_SILENT_DAYS);
    if (since !== undefined) deps.metrics.count(METRIC.reportSilentDays, Math.floor((state.lookedUntil - since) / DAY_MS));
    return since;
  }

  /** The token's allowance as last read today (gauges for the dashboard's allowance widget). */
  private allowanceGauges(): void {
    const { deps } = this.run;
    const a = allowanceFigures(this.run, this.run.reserve);
    if (!a || a.limit === null) return;
    deps.metrics.count(METRIC.tokenLimit, a.limit);
    if (a.usedToday !== null) deps.metrics.count(METRIC.tokenUseToday, a.usedToday);
    if (a.reserve !== null) deps.metrics.count(METRIC.tokenReserve, a.reserve);
  }

  /** The report of a scheduled run: about its live windows, with what history did behind them. */
  liveReport(): RunReport {
    const { state, deps, settings } = this.run;
    const live = this.of('live');
    const tokenLimited = [...this.outcomes.values()].some((o) => o.stop === 'token-limit');
    state.tokenLimitUntil = tokenLimited ? nextMidnight(deps.clock(), settings.timeZone) : null;
    deps.metrics.count(METRIC.dailyApiCalls, state.callsToday());
    this.allowanceGauges();
    const latest = latestDueWindow(deps.clock(), settings.timeZone, settings.settleMinutes);
    const cursor = state.nextWindow ?? latest;
    // Windows a quiet period defers on purpose are within their freshness bound: not behind.
    const windowsBehind = this.deferred || cursor.startWall > latest.startWall ? 0 : countWindows(cursor, latest);
    const reconcile = this.of('reconcile');
    return {
      ...this.scheduledCommon(windowsBehind),
      planned: this.planned,
      collected: live.collected,
      quarantined: live.quarantined,
      stopReason: live.stop,
      stoppedAt: live.stoppedAt,
      restated: reconcile.notes.recollected + reconcile.notes.emptied,
      backfilled: this.of('backfill').collected.count,
    };
  }

  /** A scheduled run that only queued a backfill: the vendor's daily limit holds. */
  heldBackReport(): RunReport {
    this.heldBack();
    return { ...this.scheduledCommon(0), stopReason: 'token-limit-wait' };
  }

  /** What a scheduled run's report and figures say however it went (the gauges the alarms read). */
  private scheduledCommon(windowsBehind: number): RunReport {
    const { deps, state, stored } = this.run;
    if (this.budgetExhausted) deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
    deps.metrics.count(METRIC.windowsBehind, windowsBehind);
    const remaining = backfillRemaining(state, stored.has);
    deps.metrics.count(METRIC.backfillWindowsRemaining, remaining);
    return { ...this.common(), windowsBehind, backfillRemaining: remaining };
  }

  /** The report of a range: about its job's windows, and the verification that followed. */
  rangeReport(job: Job, plan: { readonly planned: number; readonly notYetDue: number; readonly settled: number }, last: Outcome): RunReport {
    const { state, stored } = this.run;
    const walk = this.of('backfill');
    const common = this.common();
    const done = !state.backfills.includes(job);
    return {
      ...common,
      planned: plan.planned,
      collected: walk.collected,
      quarantined: walk.quarantined,
      // A Ctrl-C during the verification that follows a finished walk is still an interruption.
      stopReason: last.stop === 'done' && common.verification.interrupted ? 'interrupted' : last.stop,
      stoppedAt: last.stoppedAt,
      notYetDue: last.notes.notYetDue ? plan.notYetDue : 0,
      // A finished range knows exactly what it found stored; an unfinished one says what it walked past.
      skipped: done && !job.refetch ? Math.max(0, plan.planned - walk.collected.count - walk.quarantined.length) : (job.refetch ? 0 : plan.settled) + walk.notes.skipped,
      backfillRemaining: backfillRemaining(state),
      job: done ? null : jobReport(state, job, stored.has),
    };
  }

  /** What every report says the same way. */
  common(): RunReport {
    const { state } = this.run;
    // The run's work is over: days marked for a window that never landed are owed nothing.
    state.forgetUnlanded();
    return idleReport('done', {
      apiCalls: state.apiCalls + state.infoCalls,
      budgetExhausted: this.budgetExhausted,
      ...(this.heldBy ? { heldBy: this.heldBy } : {}),
      allowance: allowanceFigures(this.run, this.run.reserve),
      callsToday: state.callsToday(),
      tokenLimitUntil: state.tokenLimitUntil === null ? null : new Date(state.tokenLimitUntil).toISOString(),
      waitedMs: this.waitedMs,
      gaveUpWaiting: this.gaveUpWaiting,
      verification: this.verification(),
      ...(this.asked ? { asked: this.asked } : {}),
    });
  }
}
