/**
 * What the run knows of the store and of the vendor's day totals: the calls per window stored,
 * read back a day at a time and kept level with the run's own writes; and what calls over
 * whole days said earlier in the run.
 */
import { dayLabel, dayOf, daysOf, type Day } from '../domain/day.ts';
import type { Totals } from '../domain/totals.ts';
import type { Window } from '../domain/window.ts';
import type { Span } from '../domain/span.ts';
import { levelDayTotals, readDayTotals, storedWindowStarts, type DayScope } from './day-objects.ts';
import type { CollectorDeps } from './vendor-caller.ts';

/** Stored calls per window, read back from the store a day at a time, kept level with this run's writes. */
export class StoredDays {
  private readonly days = new Map<Day, Map<number, Totals>>();
  /** The one day whose listing a walk that reads no totals (a refetch) holds. */
  private listing: { day: Day; starts: Set<number> } | undefined;

  private readonly deps: Pick<CollectorDeps, 'store' | 'log'>;
  private readonly scope: DayScope;

  constructor(deps: Pick<CollectorDeps, 'store' | 'log'>, scope: DayScope) {
    this.deps = deps;
    this.scope = scope;
  }

  /** Reads the days of the span not read yet in this run. */
  async ensure(span: Span): Promise<void> {
    for (const day of daysOf(span.fromWall, span.toWall)) {
      if (!this.days.has(day)) this.days.set(day, await readDayTotals(this.deps.store, this.scope, dayLabel(day), this.deps.log));
    }
  }

  /**
   * Reads the day again from the store (a verification compares with what is there, not with
   * what we wrote), bringing its day object level on the way: `written` lands with it.
   */
  async reread(day: Day): Promise<{ totals: Map<number, Totals>; written: Promise<void> }> {
    const fresh = await levelDayTotals(this.deps.store, this.scope, dayLabel(day), this.deps.log);
    this.days.set(day, fresh.totals);
    return fresh;
  }

  /** Which windows of the day are stored now (one LIST). */
  storedStarts(day: Day): Promise<Set<number>> {
    return storedWindowStarts(this.deps.store, this.scope, dayLabel(day), this.deps.log);
  }

  /** Whether the window's object is stored: one LIST per day, one day held at a time (a year's walk holds one day). */
  async listed(w: Window): Promise<boolean> {
    const day = dayOf(w.startWall);
    if (this.listing?.day !== day) this.listing = { day, starts: await this.storedStarts(day) };
    return this.listing.starts.has(w.startWall);
  }

  readonly lookup = (w: Window): Totals | undefined => this.days.get(dayOf(w.startWall))?.get(w.startWall);

  /** Whether the window starting at this wall time is known to be stored (its day was read in this run). */
  readonly has = (startWall: number): boolean => this.days.get(dayOf(startWall))?.has(startWall) === true;

  set(w: Window, totals: Totals): void {
    this.days.get(dayOf(w.startWall))?.set(w.startWall, totals);
  }
}

/** A call that covered whole days: what the vendor said of each (for verification without another call). */
export interface DayAnswer {
  readonly totals: Totals;
  readonly fetchId: string;
  readonly at: number;
  /** The answer was "no records" (an empty answer, or the 404 the vendor gives for a range without data). */
  readonly noRecords: boolean;
}

/** What calls over whole days said in this run, and which days got windows fetched since. */
export class DayAnswers {
  readonly answers = new Map<Day, DayAnswer>();
  readonly fetchedDays = new Set<Day>();

  /** Top down, a day is asked before any of its windows is fetched: a fetch into it makes its answer stale. */
  answered(day: Day, answer: DayAnswer): void {
    this.answers.set(day, answer);
  }

  fetched(day: Day): void {
    this.fetchedDays.add(day);
  }

  /** The day's answer, when one was given in this run and nothing was fetched into the day since. */
  usable(day: Day): DayAnswer | undefined {
    return this.fetchedDays.has(day) ? undefined : this.answers.get(day);
  }
}
