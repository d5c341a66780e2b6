/**
 * What any piece of work of a run comes back with, whatever it was (a phase, a search, a list
 * of windows): why it stopped and where, what it stored, what it gave up on, the calls it made,
 * and a few figures of note. Pieces are added up with `absorb`; the run's report is built from
 * the phases' outcomes (run-report.ts).
 */
import type { Day } from '../domain/day.ts';
import type { CollectorError } from '../domain/errors.ts';
import { emptyTotals } from '../domain/totals.ts';
import type { Witness } from '../domain/vendor-model.ts';
import type { Window } from '../domain/window.ts';
import type { StopReason } from './budget.ts';

export interface CollectedWindow {
  readonly window: Window;
  readonly rows: number;
  readonly callsByInterval: Readonly<Record<string, number>>;
}

/**
 * What was durably written, summed as it goes: a run over a year of windows holds no more
 * than a run over one (memory does not grow with the number of windows).
 */
export interface CollectedSummary {
  count: number;
  rows: number;
  readonly callsByInterval: Record<string, number>;
  first?: Window;
  last?: Window;
}

/** Where work stopped short, and the error that stopped it. */
export interface Stopped {
  readonly window: Window;
  readonly error: CollectorError;
}

/** Figures of note; each piece of work fills those it has. */
export interface Notes {
  /** Windows handled (collected or given up on), in order from the first asked. */
  handled: number;
  /** Windows passed over because their objects were stored. */
  skipped: number;
  /** Windows stored again because their totals changed. */
  recollected: number;
  /** Windows stored empty on the word of a call over a span. */
  emptied: number;
  readonly verified: Day[];
  readonly changed: Day[];
  readonly partial: Day[];
  /** Days whose totals were found not to add up (a verdict). */
  readonly unreconcilable: Day[];
  /** Days left unverified at the day's bound on checking. */
  readonly unverified: Day[];
  /** Days stored whole and not compared (the vendor does not add up). */
  readonly uncompared: Day[];
  /** Where a search found the vendor's totals not to add up (it stopped there). */
  witness?: Witness;
  /** A job's first window that had not ended when its pass began, if the job reaches that far. */
  notYetDue?: Window;
}

export interface Outcome {
  stop: StopReason;
  stoppedAt?: Stopped;
  readonly collected: CollectedSummary;
  readonly quarantined: Window[];
  /** API calls made. */
  calls: number;
  readonly notes: Notes;
}

export function emptySummary(): CollectedSummary {
  return { count: 0, rows: 0, callsByInterval: emptyTotals() };
}

/** Nothing done yet (or nothing to do). */
export function emptyOutcome(): Outcome {
  return { stop: 'done', collected: emptySummary(), quarantined: [], calls: 0, notes: { handled: 0, skipped: 0, recollected: 0, emptied: 0, verified: [], changed: [], partial: [], unreconcilable: [], unverified: [], uncompared: [] } };
}

/** Adds what `add` summed up to `into` (windows in any order: first and last are the extremes). */
export function mergeSummary(into: CollectedSummary, add: CollectedSummary): void {
  into.count += add.count;
  into.rows += add.rows;
  // Interval keys are the vendor's text (__proto__ included): callsByInterval has no prototype (emptySummary).
  for (const [k, v] of Object.entries(add.callsByInterval)) into.callsByInterval[k] = (into.callsByInterval[k] ?? 0) + v;
  if (add.first && (!into.first || add.first.startWall < into.first.startWall)) into.first = add.first;
  if (add.last && (!into.last || add.last.startWall > into.last.startWall)) into.last = add.last;
}

/** Adds one window, durably written, to a summary. */
export function addCollected(into: CollectedSummary, c: CollectedWindow): void {
  mergeSummary(into, { count: 1, rows: c.rows, callsByInterval: c.callsByInterval, first: c.window, last: c.window });
}

/** Adds a later piece of work to `into`: its figures add up, and its stop is where things stand now. */
export function absorb(into: Outcome, add: Outcome): Outcome {
  mergeSummary(into.collected, add.collected);
  into.quarantined.push(...add.quarantined);
  into.calls += add.calls;
  const n = into.notes;
  n.handled += add.notes.handled;
  n.skipped += add.notes.skipped;
  n.recollected += add.notes.recollected;
  n.emptied += add.notes.emptied;
  n.verified.push(...add.notes.verified);
  n.changed.push(...add.notes.changed);
  n.partial.push(...add.notes.partial);
  n.unreconcilable.push(...add.notes.unreconcilable);
  n.unverified.push(...add.notes.unverified);
  n.uncompared.push(...add.notes.uncompared);
  if (add.notes.notYetDue) n.notYetDue = add.notes.notYetDue;
  if (add.notes.witness) n.witness = add.notes.witness;
  return stopAt(into, add.stop, add.stoppedAt);
}

/** Marks `o` stopped, for `reason`, at `where` (when a window is to blame). */
export function stopAt(o: Outcome, reason: StopReason, where?: Stopped): Outcome {
  o.stop = reason;
  if (where) o.stoppedAt = where;
  else delete o.stoppedAt;
  return o;
}
