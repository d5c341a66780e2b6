/**
 * Backfill: the queued history jobs (Lambda `{"backfill": …}` events; a CLI range is such a job,
 * worked on now). A job is walked top down: a span of up to 31 days is asked in one call, and
 * only spans with calls are split, down to windows (domain/settle.ts); windows already stored
 * are never asked for again. A refetch job collects every window again, one call each.
 */
import { DAY_MS, daysOf } from '../../domain/day.ts';
import { iterateWindows, latestDueWindow } from '../../domain/planner.ts';
import { chunkSpan, type Span } from '../../domain/span.ts';
import { describeWindow, nextWindow, windowEndInstant, WINDOW_MS, type Window } from '../../domain/window.ts';
import { jobSearchKey } from '../checkpoint-codec.ts';
import { collectWindows } from '../collect-windows.ts';
import { absorb, emptyOutcome, type Outcome } from '../outcome.ts';
import { backfillRemaining } from '../run-report.ts';
import type { Run } from '../run.ts';
import type { Job } from '../run-state.ts';
import { settleSearch } from '../settle-span.ts';
import type { Phase } from './phase.ts';

/**
 * Each job at most once per run, in queue order; one that waits for windows to end goes to the
 * back of the queue, so it does not hold up the jobs behind it.
 */
export const backfillPhase: Phase = {
  name: 'backfill',
  spends: 'history',
  due: (run) => run.state.backfills.length > 0,
  async work(run) {
    const { state } = run;
    const out = emptyOutcome();
    const waiting = new Set<Job>();
    for (let job = nextJob(run, waiting); job && out.stop === 'done' && run.budget.room().calls > 0; job = nextJob(run, waiting)) {
      const before = job.next.startWall;
      const pass = await workJob(run, job);
      absorb(out, pass);
      const done = jobDone(job);
      if (done) dropJob(run, job);
      run.deps.log.info('backfill progress', { from: describeWindow(job.from).window_start, to: describeWindow(job.to).window_start, next: describeWindow(job.next).window_start, collected_this_run: pass.collected.count, skipped_stored: pass.notes.skipped, windows_remaining: backfillRemaining(state, run.stored.has) });
      // A pass that went through without moving the job would be taken again at once: it waits for the next run.
      if (!done && pass.stop === 'done' && (pass.notes.notYetDue || job.next.startWall === before)) {
        waiting.add(job);
        state.backfills.push(...state.backfills.splice(state.backfills.indexOf(job), 1));
      }
    }
    return out;
  },
};

function nextJob(run: Run, waiting: ReadonlySet<Job>): Job | undefined {
  return run.state.backfills.find((b) => !waiting.has(b));
}

export function jobDone(job: Job): boolean {
  return job.next.startWall >= job.to.startWall;
}

export function dropJob(run: Run, job: Job): void {
  const i = run.state.backfills.indexOf(job);
  if (i >= 0) run.state.backfills.splice(i, 1);
}

/** One pass over a job, as far as time, budget and the windows that have ended allow. */
export async function workJob(run: Run, job: Job): Promise<Outcome> {
  const out = job.refetch ? await refetchJob(run, job) : await walkJob(run, job);
  markWholeDays(run, job);
  return out;
}

/** Days the job has settled from midnight to midnight were wanted whole: their verification fills any window missing. */
function markWholeDays(run: Run, job: Job): void {
  for (const day of daysOf(job.from.startWall, job.next.startWall)) {
    const pending = run.state.verifyDays.get(day);
    if (pending && day >= job.from.startWall && day + DAY_MS <= job.next.startWall) pending.whole = true;
  }
}

/**
 * One pass over a job, top down: `job.next` moves past each finished span; a search cut short
 * resumes on its own saved spans.
 */
async function walkJob(run: Run, job: Job): Promise<Outcome> {
  const end = job.to.startWall;
  // Only windows that have ended: the first that has not is where this pass stops.
  const endedTo = Math.min(end, latestDueWindow(run.now(), run.timeZone, 0).startWall + WINDOW_MS);
  const notYetDue = endedTo < end ? firstWindow(run, endedTo, end) : undefined;
  const key = jobSearchKey(job);
  const out = emptyOutcome();
  // Wall time a clock change skips holds no window: a job whose rest lies there has nothing left.
  if (!firstWindow(run, job.next.startWall, end)) {
    job.next = job.to;
    return out;
  }
  while (job.next.startWall < endedTo) {
    const chunk = nextChunk(run, job, key, endedTo);
    const outcome = await settleSearch(run, { mode: 'fill', key, quarantine: true, ...(run.settings.onCollected ? { onCollected: run.settings.onCollected } : {}), onSkipped: (windows) => skipped(run, windows) }, chunk);
    absorb(out, outcome);
    if (outcome.stop !== 'done') break;
    job.next = run.windowAt(chunk.toWall);
    await run.state.progress();
  }
  if (out.stop === 'done' && notYetDue && job.next.startWall < notYetDue.startWall) job.next = notYetDue;
  if (notYetDue) out.notes.notYetDue = notYetDue;
  return out;
}

/** The span the job works on next: what its saved search has left of its chunk, or a new chunk. */
function nextChunk(run: Run, job: Job, key: string, endedTo: number): Span {
  // A search cut short resumes on its own spans; the bottom one ends where its chunk ends.
  const saved = run.state.searches.get(key)?.[0];
  return saved ? { fromWall: job.next.startWall, toWall: saved.toWall, timeZone: run.timeZone } : chunkSpan(job.next.startWall, endedTo, run.timeZone);
}

function skipped(run: Run, windows: readonly Window[]): void {
  for (const w of windows) {
    run.state.touchDay(w);
    run.settings.onSkipped?.(w);
  }
}

function firstWindow(run: Run, fromWall: number, toWall: number): Window | undefined {
  return iterateWindows(run.windowAt(fromWall), toWall).next().value ?? undefined;
}

/**
 * One pass over a refetch job: every window from `job.next` again, oldest first (revision 2
 * where one was stored), stopping before the first that has not ended. `job.next` moves only
 * past windows that are handled.
 */
async function refetchJob(run: Run, job: Job): Promise<Outcome> {
  const { state } = run;
  const storedBefore = new Set<number>();
  let notYetDue: Window | undefined;
  async function* todo(): AsyncGenerator<Window> {
    for (const w of iterateWindows(job.next, job.to.startWall)) {
      if (windowEndInstant(w) > run.now()) {
        notYetDue = w;
        return;
      }
      if (await run.stored.listed(w)) storedBefore.add(w.startWall);
      yield w;
    }
  }
  const result = await collectWindows(run, todo(), {
    revisionOf: (w) => (storedBefore.has(w.startWall) ? 2 : 1),
    quarantine: () => true,
    afterHandled: async (w, outcome) => {
      state.noteHandled(w, outcome);
      job.next = nextWindow(w);
      await state.progress();
    },
  });
  job.next = result.stop !== 'done' ? (result.resumeAt ?? job.next) : (notYetDue ?? job.to);
  if (notYetDue) result.notes.notYetDue = notYetDue;
  return result;
}
