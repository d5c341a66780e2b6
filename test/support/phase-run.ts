/**
 * A run's context built by hand, without runLive or runRange: for tests of one phase. The
 * state is the one stored for the operation (what the next run would read), seeded by `seed`.
 */
import { Run, type EngineSettings } from '../../lambda/collector/run.ts';
import { loadState, RunState } from '../../lambda/collector/run-state.ts';
import { dataKey } from '../../lambda/domain/layout.ts';
import { spanDates, spanOf } from '../../lambda/domain/span.ts';
import type { Window } from '../../lambda/domain/window.ts';
import { OP, type Operation } from './scheduled-operation.ts';

/** A Run on the operation's stored state, with the scheduled path's settings (and `over`). */
export async function runOn(op: Operation, over: Partial<EngineSettings> = {}): Promise<Run> {
  const settings = { ...OP, ...over };
  const data = await loadState(op.deps, settings);
  return new Run(op.deps, settings, new RunState(op.deps, settings, data, undefined, op.deps.refreshDays !== undefined));
}

/** Writes the operation's state after `shape` changed a fresh one (a checkpoint as earlier runs would have left it). */
export async function seedState(op: Operation, shape: (state: RunState) => void): Promise<void> {
  const state = new RunState(op.deps, OP, await loadState(op.deps, OP), undefined, true);
  shape(state);
  await state.save();
}

/** Windows whose stored calls per interval differ from the simulator's truth now (a window not stored differs). */
export function windowsOffTruth(op: Operation, windows: readonly Window[]): Window[] {
  return windows.filter((w) => {
    const body = op.store.objects.get(dataKey(OP.prefix, OP.operation, w));
    if (body === undefined) return true;
    const got: Record<string, number> = {};
    for (const line of body.split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as { interval: string; calls: number | null };
      got[row.interval] = (got[row.interval] ?? 0) + (row.calls ?? 0);
    }
    const { date_ini, date_end } = spanDates(spanOf(w));
    const truth = op.sim.trueTotals(date_ini, date_end);
    return Object.entries(truth).some(([k, v]) => (got[k] ?? 0) !== v.calls) || Object.keys(got).some((k) => (truth[k]?.calls ?? 0) !== got[k]);
  });
}

/** Rows of a window's stored object. */
export function rowsOf(op: Operation, w: Window): Array<{ interval: string; calls: number; revision: number }> {
  return (op.store.objects.get(dataKey(OP.prefix, OP.operation, w)) ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { interval: string; calls: number; revision: number });
}
