/**
 * The live windows: those due since the last run, oldest first, a call each (or, in a quiet
 * period, one call for all of them). Their cursor (`nextWindow`) moves only past windows whose
 * objects are durable. Our own daily cap is hard: once spent, even live windows wait.
 */
import { latestDueWindow, planDueWindows } from '../../domain/planner.ts';
import { METRIC } from '../../domain/metrics.ts';
import { describeWindow, nextWindow, type Window } from '../../domain/window.ts';
import { collectWindows } from '../collect-windows.ts';
import { emptyOutcome, type Outcome } from '../outcome.ts';
import type { Run } from '../run.ts';
import { isWindowPoison } from '../vendor-caller.ts';
import type { Phase } from './phase.ts';
import { collectQuiet, noteQuiet, quietPlan } from './quiet.ts';

/** Reconcile each hour once its last window ended this long ago, unless set otherwise. */
export const DEFAULT_RESTATE_MINUTES = 90;

export const livePhase: Phase = {
  name: 'live',
  spends: 'live',
  due: () => true,
  async work(run) {
    const windows = planLive(run);
    const quiet = quietPlan(run.now(), run.settings.quietFreshnessMinutes, run.state, windows);
    run.deps.log.info('run planned', { windows: windows.length, from: windows[0] && describeWindow(windows[0]).window_start, resumed: run.report.resumed, quiet: quiet.kind });
    run.report.planned = windows.length;
    run.report.deferred = quiet.kind === 'defer';
    const out = quiet.kind === 'defer' ? emptyOutcome() : quiet.kind === 'span' ? await collectQuiet(run, quiet.span) : await collectDue(run, windows);
    afterLive(run, windows, out);
    return out;
  },
};

/** The due windows, from the cursor (or the first-run start) up to the latest due one. */
function planLive(run: Run): Window[] {
  const { state, settings: s } = run;
  const now = run.now();
  run.report.resumed = state.nextWindow !== null;
  const windows = planDueWindows({ now, timeZone: s.timeZone, settleMinutes: s.settleMinutes, cursor: state.nextWindow ?? undefined, firstRunWindows: s.firstRunWindows ?? 1, limit: s.maxWindowsPerRun ?? 2016 });
  state.nextWindow ??= windows[0] ?? latestDueWindow(now, s.timeZone, s.settleMinutes);
  return windows;
}

function collectDue(run: Run, windows: readonly Window[]): Promise<Outcome> {
  const { state, settings: s } = run;
  const quarantineAfter = s.quarantineAfter ?? 3;
  return collectWindows(run, windows, {
    quarantine: (w) => (state.failures.get(w.startWall) ?? 0) + 1 >= quarantineAfter,
    onCollected: (c) => {
      noteQuiet(state, c.window, c.callsByInterval);
      s.onCollected?.(c);
    },
    afterHandled: async (w, outcome) => {
      state.noteHandled(w, outcome);
      state.nextWindow = nextWindow(w);
      await state.progress();
    },
  });
}

/** What the live windows leave for the rest of the run and the next one. */
function afterLive(run: Run, windows: readonly Window[], out: Outcome): void {
  const { state, deps } = run;
  for (const w of out.quarantined) {
    deps.metrics.count(METRIC.windowsQuarantined, 1);
    deps.log.error('window quarantined after repeated non-transient failures; the day\'s verification tries it again', { window_start: describeWindow(w).window_start });
  }
  if (out.stoppedAt && isWindowPoison(out.stoppedAt.error)) {
    const start = out.stoppedAt.window.startWall;
    state.failures.set(start, (state.failures.get(start) ?? 0) + 1);
  }
  // A window collected in this very run is already as late as a re-collection would be.
  for (const w of windows.slice(0, out.notes.handled)) run.fresh.add(w.startWall);
  if ((run.settings.restateAfterMinutes ?? DEFAULT_RESTATE_MINUTES) > 0) state.restateNext ??= windows[0] ?? null;
  else state.restateNext = null;
}
