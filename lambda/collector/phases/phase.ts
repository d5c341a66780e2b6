import type { Spending } from '../budget.ts';
import type { Outcome } from '../outcome.ts';
import type { PhaseName } from '../run-report.ts';
import type { Run } from '../run.ts';

/**
 * A kind of work a run does: live windows, reconciliation, verification, backfill. The run
 * loop (runs.ts) asks `due` before it lets a history phase spend calls, and adds what `work`
 * comes back with to the run's report.
 */
export interface Phase {
  readonly name: PhaseName;
  /** What its calls are spent on: live windows, history, or checking (its share of the day). */
  readonly spends: Spending;
  /** Whether it has work it may do now (no call, no I/O). */
  due(run: Run): boolean;
  work(run: Run): Promise<Outcome>;
}
