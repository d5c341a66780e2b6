import * as z from 'zod/mini';
import { CheckpointError } from './errors.ts';
import { totalsOf } from './totals.ts';
import { formatWall, parseWall } from './wall-clock.ts';
import { WINDOW_MS, type Window } from './window.ts';

const wallLabel = z.string().check(
  z.refine((s) => {
    const ms = parseWall(s);
    return ms !== undefined && ms % WINDOW_MS === 0;
  }, 'must be a window start "YYYY-MM-DD HH:mm:ss" on a 5-minute boundary'),
);

const isoInstant = z.iso.datetime();

/**
 * A history range [from, to) to collect, from a CLI range or a Lambda backfill event: the
 * same job either way. `next` only moves past windows whose objects are stored; windows
 * already stored are skipped unless `refetch`.
 */
const backfillJobSchema = z.object({
  from: wallLabel,
  to: wallLabel,
  next: wallLabel,
  requested_at: isoInstant,
  refetch: z._default(z.boolean(), false),
});

export type BackfillJob = z.infer<typeof backfillJobSchema>;

/**
 * Calls per interval, keyed by the vendor's interval keys: not z.record, which drops a key named
 * `__proto__`; read into an object without prototype, where every key counts (totals.ts).
 */
const callsByInterval = z.pipe(
  z.custom<Record<string, number>>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((n) => Number.isSafeInteger(n) && (n as number) >= 0),
    'must be calls per interval: an object of whole numbers from 0',
  ),
  z.transform((v: Record<string, number>) => totalsOf(v)),
);

/** A span still to settle (domain/settle.ts), as saved between runs. */
const settleNodeSchema = z.object({
  from: wallLabel,
  to: wallLabel,
  vendor: z.optional(callsByInterval),
  parent: z.optional(callsByInterval),
  filled: z.optional(z.boolean()),
  /** fetch_id of the call its totals came from (the parent's, when derived). */
  by: z.optional(z.string()),
  /** The last window it fetched again, when a check was cut short while fetching. */
  fetched: z.optional(wallLabel),
});

export type SavedSettleNode = z.infer<typeof settleNodeSchema>;

const dayLabel = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/));

/** A day waiting to be verified against the vendor's total for it. */
const pendingDaySchema = z.object({
  /** When its first window was written (the verification bound counts from the day's end). */
  since: isoInstant,
  /** Checks made so far (each one call for the whole day, and what narrowing it needed). */
  checks: z._default(z.int().check(z.nonnegative()), 0),
  /** No check before this instant: after a check found changes, the next waits a while. */
  next_check: z._default(z.nullable(isoInstant), null),
  /** API calls spent checking the day so far (the day's bound counts them). */
  calls: z._default(z.int().check(z.nonnegative()), 0),
  /** Every window of the day was wanted (a range or backfill covered the whole day): missing ones are filled before its check. */
  whole: z.optional(z.boolean()),
  /** Concluded before the operation stopped relying on the vendor's totals: its windows with calls from here on are collected again once. */
  restate_next: z.optional(wallLabel),
  /** The check in progress (its narrowing was cut short): what the day call said, and what it has cost so far. */
  check: z.optional(z.object({ vendor: callsByInterval, stored: callsByInterval, fetch_id: z.string(), calls: z.int().check(z.nonnegative()) })),
});

export type PendingDay = z.infer<typeof pendingDaySchema>;

/** What a run leaves for the next one. Stored as JSON under `{prefix}/_state/`. */
export const checkpointSchema = z.object({
  version: z.literal(1),
  operation: z.string(),
  timezone: z.string(),
  /**
   * First live window not yet collected: every window before it is collected or quarantined.
   * Null until a scheduled (live) run has run: a store filled only by ranges has no live cursor.
   */
  next_window: z.nullable(wallLabel),
  /** First window the scheduled path ever collected: days from here on are the schedule's to complete (and verify). */
  live_from: z._default(z.nullable(wallLabel), null),
  /** No API call before this instant: the vendor said the token's daily limit is spent. */
  token_limit_until: z._default(z.nullable(isoInstant), null),
  /** Consecutive runs in which a window failed with a non-transient error. */
  failures: z._default(z.record(wallLabel, z.int().check(z.positive())), {}),
  /** Windows given up after repeated non-transient failures; a backfill can retry them. */
  quarantined: z._default(z.array(wallLabel), []),
  /** First collected window not yet re-collected for late data; null while restatement is off. */
  restate_next: z._default(z.nullable(wallLabel), null),
  /** Requested history ranges [from, to), worked through after live windows; `next` is the progress. */
  backfills: z._default(z.array(backfillJobSchema), []),
  /** API calls made on one operation day, every run and job together (our cap, the token's allowance). */
  budget: z._default(z.nullable(z.object({ day: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)), calls: z.int().check(z.nonnegative()) })), null),
  /** Of them, verification's and reconciliation's (checking's share of the day). */
  check_budget: z._default(z.nullable(z.object({ day: dayLabel, calls: z.int().check(z.nonnegative()) })), null),
  /** The token's allowance as last read with token_info (null fields: the answer could not be read). */
  allowance: z._default(
    z.nullable(z.object({ read_at: isoInstant, day: dayLabel, limit: z.nullable(z.int().check(z.positive())), used: z.nullable(z.int().check(z.nonnegative())), ours_at_read: z.int().check(z.nonnegative()) })),
    null,
  ),
  /** How the vendor's totals are treated: additive (compared, narrowed) until two days are found not to add up. */
  vendor_mode: z._default(z.enum(['additive', 'non-additive']), 'additive'),
  vendor_mode_since: z._default(z.nullable(isoInstant), null),
  /** Days found not to add up (their verdict row says where): never checked again unless asked. */
  unreconcilable_days: z._default(z.array(dayLabel), []),
  /** Days left unverified at their bound on checking: windows written later do not reopen their check (a recheck does). */
  unverified_days: z._default(z.array(dayLabel), []),
  /** The end (wall clock) of the latest span an answer showed calls in: no silence is claimed before it; null while none has. */
  last_call_seen: z._default(z.nullable(wallLabel), null),
  /** From when (wall clock) the store has looked for calls: a new store's look back, or its first window. */
  watched_from: z._default(z.nullable(wallLabel), null),
  /** Up to when (wall clock, exclusive) answers have been read. */
  looked_until: z._default(z.nullable(wallLabel), null),
  /** Whether the schedule's one look back over the month before its first window was made. */
  looked_back: z._default(z.boolean(), false),
  /**
   * Days (YYYY-MM-DD) whose window objects may have changed since their day object was
   * written: marked before the first window of a day is written, cleared once the day
   * object is rewritten, so a run that dies in between leaves the day to the next run.
   */
  days_dirty: z._default(z.array(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))), []),
  /** Days with stored windows not yet verified against the vendor's day total. */
  verify_days: z._default(z.record(dayLabel, pendingDaySchema), {}),
  /**
   * Searches in progress (spans still to settle), by what they serve (`verify:DAY`,
   * `reconcile`, `quiet`, `job:FROM|TO`): a killed run loses at most the call in flight.
   */
  searches: z._default(z.record(z.string(), z.array(settleNodeSchema)), {}),
  /** Start of the run of windows without calls that ends at the live cursor (quiet periods); null after a window with calls. */
  quiet_since: z._default(z.nullable(wallLabel), null),
  /** Share of calls that reached the report only after a window was first collected (learned at reconciliation). */
  late_share: z._default(z.nullable(z.number().check(z.gte(0), z.lte(1))), null),
  updated_at: isoInstant,
});

export type Checkpoint = z.infer<typeof checkpointSchema>;
/** A checkpoint as it may be written: fields with defaults may be left out (an older collector's, a test's). */
export type CheckpointInput = z.input<typeof checkpointSchema>;

export function parseCheckpoint(text: string, where: string, expected: { operation: string; timeZone: string }): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CheckpointError(`checkpoint ${where} is not JSON; fix or delete it (the next run then starts at the latest due window)`, { where });
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new CheckpointError(`checkpoint ${where} is not valid: ${detail}`, { where });
  }
  const cp = parsed.data;
  if (cp.operation !== expected.operation) {
    throw new CheckpointError(`checkpoint ${where} belongs to operation ${cp.operation}, not ${expected.operation}`, { where });
  }
  if (cp.timezone !== expected.timeZone) {
    // Window labels are wall-clock times of the stored zone: reading them in another zone would skip or repeat windows.
    throw new CheckpointError(
      `time zone mismatch: this store's windows of operation ${cp.operation} are labelled in ${cp.timezone} (recorded in ${where}) but WOLKVOX_TIMEZONE is ${expected.timeZone}; set WOLKVOX_TIMEZONE=${cp.timezone}, or collect ${expected.timeZone} into another folder or DATA_PREFIX. Nothing was fetched or written`,
      { where },
    );
  }
  return cp;
}

/** The live cursor, or undefined when no scheduled run has run yet. */
export function cursorOf(cp: Checkpoint): Window | undefined {
  return cp.next_window === null ? undefined : { startWall: parseWall(cp.next_window)!, timeZone: cp.timezone };
}

export function labelOf(w: Window): string {
  return formatWall(w.startWall);
}

export function serializeCheckpoint(cp: CheckpointInput): string {
  return `${JSON.stringify(cp, null, 2)}\n`;
}
