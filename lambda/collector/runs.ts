/**
 * The one engine. A scheduled run (Lambda, or the CLI without a range) is a loop over the
 * phases: live windows, then, behind them and on the calls left once today's live windows are
 * reserved, reconciliation, verification, backfill, and verification of what the backfill
 * filled. A CLI range is a backfill job worked on now, waiting out transient trouble, then
 * verified. Both share the job record, the state, the budget, the lease and progress saves.
 */
import { StorageError, LeaseHeldError, WolkvoxTokenBusyError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { METRIC } from '../domain/metrics.ts';
import { iterateWindows, latestDueWindow, planDueWindows } from '../domain/planner.ts';
import { describeWindow, windowEndInstant, type Window } from '../domain/window.ts';
import { allowanceFigures } from './allowance.ts';
import { nextMidnight } from './budget.ts';
import { jobSearchKey } from './checkpoint-codec.ts';
import type { Outcome } from './outcome.ts';
import { backfillPhase, dropJob, jobDone, workJob } from './phases/backfill.ts';
import { livePhase } from './phases/live.ts';
import { lookBackPhase } from './phases/look-back.ts';
import type { Phase } from './phases/phase.ts';
import { reconcilePhase } from './phases/reconcile.ts';
import { verifyPhase } from './phases/verify.ts';
import { backfillRemaining, countWindows, idleReport, jobReport, type RunReport } from './run-report.ts';
import { loadState, RunState, sameJob, type Job, type StateData } from './run-state.ts';
import { Run, withRun, type EngineDeps, type LiveRunSettings, type RangeRunSettings, type RunSettings } from './run.ts';

export type { EngineDeps, LiveRunSettings, RangeRunSettings, RunSettings, RunPhase } from './run.ts';
export type { RunReport, RunStopReason, VerificationSummary } from './run-report.ts';
export { nextMidnight };

/** The days a backfill has just filled are checked in the same run when time and budget allow. */
const verifyBackfilled: Phase = { name: 'verify', spends: 'check', due: (run) => run.report.of('backfill').collected.count > 0 && verifyPhase.due(run), work: verifyPhase.work };

/** A scheduled run, in order. Live data never waits behind history. */
const SCHEDULED: readonly Phase[] = [livePhase, lookBackPhase, reconcilePhase, verifyPhase, backfillPhase, verifyBackfilled];

/** Pauses between attempts while waiting out transient trouble (CLI ranges). */
const WAIT_STEPS_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000];
/** Long pauses are cut into slices: a Ctrl-C is answered and the lease renewed meanwhile. */
const WAIT_SLICE_MS = 5_000;

/**
 * One scheduled run: resume from the checkpoint, collect the due live windows oldest first,
 * then (if time and budget allow) the history phases, recording progress as it goes. The
 * cursors only ever point past windows whose objects are durable.
 */
export async function runLive(deps: EngineDeps, s: LiveRunSettings): Promise<RunReport> {
  const pre = await loadState(deps, s);
  if (pre && tokenLimited(pre, deps.clock()) && !s.backfill) return { ...tokenLimitWait(deps, s, pre), ...(await asksOnly(deps, s)) };
  return withRun(deps, s, async (run) => {
    if (s.backfill) queueBackfill(run, s.backfill);
    // Only a backfill request gets here while the limit holds: it is queued (and saved), nothing else runs.
    if (tokenLimited(run.state, run.now())) return run.report.heldBackReport();
    for (const phase of SCHEDULED) await runPhase(run, phase);
    return run.report.liveReport();
  }, (state) => {
    // A first run that dies still leaves its start, so the next run does not skip past it.
    state.nextWindow = firstRunStart(deps.clock(), s);
    state.liveFrom = state.nextWindow;
  });
}

/** Runs a phase when it may: history only behind work that went through, on the calls left for it. */
async function runPhase(run: Run, phase: Phase): Promise<void> {
  run.budget.spendOn(phase.spends);
  if (phase !== livePhase) {
    if (!run.report.unbroken || !phase.due(run)) return;
    const room = run.budget.room();
    if (room.calls <= 0) return run.report.heldBack(room.by);
  }
  run.report.add(phase.name, await phase.work(run));
}

/**
 * A range of wall-clock windows [from, to), as asked on the command line: a backfill job on
 * the shared queue (the same command again finds and resumes it), worked on now until it
 * is done, the budget is spent, a fatal answer comes, or transient trouble outlasts
 * `waitForTransientMs`; then the days it filled are verified. Windows already stored are
 * skipped unless `refetch`.
 */
export async function runRange(deps: EngineDeps, s: RangeRunSettings, fromWall: number, toWall: number): Promise<RunReport> {
  const refused = await refuseRange(deps, s, fromWall, toWall);
  if (refused) return { ...refused, ...(await asksOnly(deps, s)) };
  return withRun(deps, s, async (run) => {
    run.report.lead = 'backfill';
    run.budget.spendOn('history');
    const job = await takeJob(run, fromWall, toWall);
    const plan = await planRange(run, job);
    const last = await waitOutTrouble(run, () => workJob(run, job));
    if (jobDone(job)) dropJob(run, job);
    if (last.stop === 'token-limit' || last.stoppedAt?.error instanceof WolkvoxTokenLimitError) run.state.tokenLimitUntil = nextMidnight(run.now(), s.timeZone);
    // The days the range filled (and any other day due) are checked against the vendor's day totals.
    if (last.stop === 'done' && !run.budget.stopRequested()) {
      run.budget.spendOn('check');
      run.report.add('verify', await verifyPhase.work(run));
    }
    return run.report.rangeReport(job, plan, last);
  });
}

/** A run that makes no call still takes the operator's asks (they cost none): a run opened for them alone. */
async function asksOnly(deps: EngineDeps, s: RunSettings): Promise<Pick<RunReport, 'asked'>> {
  if (!s.operatorAsks) return {};
  const asked = await withRun(deps, s, async (run) => run.report.asked);
  return asked ? { asked } : {};
}

/** A range that cannot run now (the token's limit, the cap) says where its job stands, and writes nothing. */
async function refuseRange(deps: EngineDeps, s: RangeRunSettings, fromWall: number, toWall: number): Promise<RunReport | undefined> {
  const pre = await loadState(deps, s);
  const peek = new Run(deps, s, new RunState(deps, s, pre));
  const state = peek.state;
  const wanted = newJob(peek, fromWall, toWall, s.refetch ?? false, 0);
  const job = jobReport(state, state.backfills.find((b) => sameJob(b, wanted)) ?? wanted);
  if (pre && tokenLimited(pre, deps.clock())) return idleReport('token-limit-wait', { budgetExhausted: true, tokenLimitUntil: new Date(pre.tokenLimitUntil!).toISOString(), callsToday: state.callsToday(), job });
  const room = peek.budget.room('history');
  if (room.calls <= 0) return idleReport(room.by, { budgetExhausted: true, callsToday: state.callsToday(), allowance: allowanceFigures(peek, peek.reserve), job });
  return undefined;
}

/** The range's job: the same range queued before (resumed), or a new one. */
async function takeJob(run: Run, fromWall: number, toWall: number): Promise<Job> {
  const { state } = run;
  const wanted = newJob(run, fromWall, toWall, run.settings.refetch ?? false);
  let job = state.backfills.find((b) => sameJob(b, wanted));
  if (job) {
    // Walked again from its start: spans whose windows are all stored cost no call, and
    // windows an earlier run gave up on (quarantined) or that were deleted since are fetched
    // again. A refetch skips nothing, and a search cut short resumes on its saved spans:
    // both go on from where they stopped.
    run.deps.log.info('resuming the range where an earlier run stopped', { from: describeWindow(job.from).window_start, to: describeWindow(job.to).window_start, stopped_at: describeWindow(job.next).window_start });
    if (!job.refetch && !state.searches.has(jobSearchKey(job))) job.next = job.from;
  } else {
    job = wanted;
    state.backfills.push(job);
  }
  await state.save();
  return job;
}

export interface RangePlan {
  /** Windows of the range that have ended. */
  readonly planned: number;
  /** Windows of the range that have not ended yet. */
  readonly notYetDue: number;
  /** What an earlier run settled and this one does not walk again. */
  readonly settled: number;
}

async function planRange(run: Run, job: Job): Promise<RangePlan> {
  let planned = 0;
  let notYetDue = 0;
  const now = run.now();
  // Walked lazily, never held as a list: a year is as cheap as a day.
  for (const w of iterateWindows(job.from, job.to.startWall)) windowEndInstant(w) <= now ? (planned += 1) : (notYetDue += 1);
  // A search cut short skips the windows of its spans already stored when it resumes: read
  // them now (the resumed search reads them anyway), so that the bar counts what is left as
  // the stopped run's summary did.
  const search = run.state.searches.get(jobSearchKey(job));
  if (search?.[0] && !job.refetch) await run.stored.ensure({ fromWall: Math.min(...search.map((n) => n.fromWall)), toWall: search[0].toWall, timeZone: run.timeZone });
  // A refetch or a search cut short goes on from where it stopped.
  const settled = Math.max(0, planned + notYetDue - backfillRemaining(run.state, run.stored.has, [job]));
  run.settings.onPlanned?.(planned - settled);
  return { planned, notYetDue, settled };
}

/**
 * Works `pass` again while it stops on transient trouble, with growing pauses, for at most
 * `waitForTransientMs` a spell (0: not at all, the Lambda's way); the last pass's outcome.
 */
async function waitOutTrouble(run: Run, pass: () => Promise<Outcome>): Promise<Outcome> {
  const limit = run.settings.waitForTransientMs ?? 0;
  let spell = 0;
  let step = 0;
  for (;;) {
    const last = await pass();
    run.report.add('backfill', last);
    // Any window collected ends the spell; the pause shrinks only as windows succeed, so a
    // half-working API (maintenance failing most calls) is met with longer and longer pauses.
    if (last.collected.count > 0) {
      spell = 0;
      step = Math.max(0, step - last.collected.count);
    }
    const error = last.stoppedAt?.error;
    // Storage trouble is ours to fix, and a lease lost to another collector is not ours to wait for.
    if (last.stop !== 'transient-error' || !error || error instanceof StorageError || error instanceof LeaseHeldError || run.budget.stopRequested()) return last;
    const ms = error instanceof WolkvoxTokenBusyError ? Math.max(1_000, run.deps.client.busyUntil() - run.now()) : WAIT_STEPS_MS[Math.min(step, WAIT_STEPS_MS.length - 1)]!;
    if (spell + ms > limit) {
      run.report.gaveUpWaiting = limit > 0;
      return last;
    }
    run.settings.onWaiting?.({ ms, error, waitedMs: spell, limitMs: limit });
    run.deps.log.info('waiting out transient trouble', { ms, error_class: error.name, error_message: error.message, waited_ms: spell });
    await run.state.save();
    await pause(run, ms);
    spell += ms;
    run.report.waitedMs += ms;
    step += 1;
  }
}

/** Sleeps `ms` in slices, renewing the lease and answering a stop request meanwhile. */
async function pause(run: Run, ms: number): Promise<void> {
  const sleep = run.deps.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t)));
  const until = run.now() + ms;
  while (run.now() < until && !run.budget.stopRequested()) {
    await sleep(Math.min(WAIT_SLICE_MS, until - run.now()));
    await run.state.progress();
  }
}

function tokenLimited(state: Pick<StateData, 'tokenLimitUntil'>, now: number): boolean {
  return state.tokenLimitUntil !== null && now < state.tokenLimitUntil;
}

/** A scheduled run while the vendor's daily limit holds: no call, and the alarm says why. */
function tokenLimitWait(deps: EngineDeps, s: LiveRunSettings, pre: StateData): RunReport {
  deps.log.warn('token daily limit reached earlier: no API call until it resets', { until: new Date(pre.tokenLimitUntil!).toISOString() });
  deps.metrics.count(METRIC.tokenBudgetExhausted, 1);
  const latest = latestDueWindow(deps.clock(), s.timeZone, s.settleMinutes);
  const cursor = pre.nextWindow ?? latest;
  return idleReport('token-limit-wait', { budgetExhausted: true, windowsBehind: countWindows(cursor, latest), tokenLimitUntil: new Date(pre.tokenLimitUntil!).toISOString(), backfillRemaining: backfillRemaining({ backfills: pre.backfills, searches: new Map() }) });
}

function queueBackfill(run: Run, b: NonNullable<LiveRunSettings['backfill']>): void {
  const job = newJob(run, b.fromWall, b.toWall, b.refetch ?? false);
  // The same request twice (an invoke sent again) is one job.
  if (!run.state.backfills.some((q) => sameJob(q, job))) run.state.backfills.push(job);
  run.deps.log.info('backfill queued', { from: describeWindow(job.from).window_start, to: describeWindow(job.to).window_start, refetch: job.refetch });
}

function newJob(run: Run, fromWall: number, toWall: number, refetch: boolean, requestedAt = run.now()): Job {
  const from = run.windowAt(fromWall);
  return { from, to: run.windowAt(toWall), next: from, requestedAt, refetch };
}

function firstRunStart(now: number, s: LiveRunSettings): Window {
  const latest = latestDueWindow(now, s.timeZone, s.settleMinutes);
  return planDueWindows({ now, timeZone: s.timeZone, settleMinutes: s.settleMinutes, firstRunWindows: s.firstRunWindows ?? 1, limit: 1 })[0] ?? latest;
}
