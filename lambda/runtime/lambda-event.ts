import * as z from 'zod/mini';
import { MAX_BACKFILL_DAYS, MAX_QUEUED_BACKFILLS } from '../domain/backfill-bounds.ts';
import { DAY_MS, parseDay } from '../domain/day.ts';
import { BackfillRefusedError, ConfigError } from '../domain/errors.ts';
import { parseRecheckDays, parseVendorMode, type OperatorAsks } from '../domain/operator-asks.ts';
import { formatWall, parseWall, toWallClock } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

export { MAX_BACKFILL_DAYS, MAX_QUEUED_BACKFILLS };

const windowBoundary = z.pipe(
  z.string().check(
    z.refine((text) => parseWall(text) !== undefined, { error: (issue) => `"${String(issue.input)}" is not a date-time "YYYY-MM-DD HH:mm" (operation wall clock)` }),
    z.refine((text) => (parseWall(text) ?? 0) % WINDOW_MS === 0, { error: (issue) => `"${String(issue.input)}" is not on a 5-minute boundary` }),
  ),
  z.transform((text: string) => parseWall(text)!),
);

/** What may invoke the function: the EventBridge schedule, a manual `{}`, or a backfill request. */
const scheduledEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.optional(z.string()),
});
const manualEvent = z.strictObject({});
const unknownKeys = { error: (issue: { code?: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown key(s) ${(issue.keys ?? []).join(', ')}` : undefined) };
const backfillEvent = z.strictObject(
  {
    backfill: z.strictObject({ from: windowBoundary, to: windowBoundary, refetch: z.optional(z.boolean()) }, unknownKeys).check(z.refine((b) => b.to > b.from, { error: '"to" must be after "from"', path: ['to'] })),
  },
  unknownKeys,
);

/** The operator's asks: the vendor model to set, a day or days to check again (either or both). */
const asksEvent = z
  .strictObject({ vendorModel: z.optional(z.string()), recheck: z.optional(z.string()) }, unknownKeys)
  .check(z.refine((e) => e.vendorModel !== undefined || e.recheck !== undefined, { error: 'give "vendorModel", "recheck" or both' }));

const collectorEventSchema = z.union([backfillEvent, scheduledEvent, manualEvent]);

/** A backfill of the wall-clock range [fromWall, toWall). */
export interface BackfillRequest {
  readonly kind: 'backfill';
  readonly fromWall: number;
  readonly toWall: number;
  readonly refetch: boolean;
}

/** A scheduled run that first takes the operator's asks. */
export interface AsksRequest {
  readonly kind: 'asks';
  readonly asks: OperatorAsks;
}

/** What the run is asked to do beyond its schedule. */
export type CollectorRequest = { readonly kind: 'scheduled' } | BackfillRequest | AsksRequest;

/** What a backfill request is held to besides its own shape: passed in, so the parser stays pure. */
export interface BackfillBounds {
  /** The instant of the invocation (epoch ms): `to` may not be after the operation's wall clock then. */
  readonly now: number;
  /** The operation's time zone (its wall clock). */
  readonly timeZone: string;
  /** The operation's first day, `YYYY-MM-DD` (wolkvox:firstDay): `from` may not be before its midnight. */
  readonly firstDay: string;
}

/**
 * Reads an invocation's event. A malformed event is a ConfigError; a well-formed backfill outside
 * its bounds (before the first day, after now, longer than {@link MAX_BACKFILL_DAYS}) is a
 * BackfillRefusedError naming every bound it breaks. Either way before any API call.
 */
export function parseCollectorEvent(event: unknown, bounds: BackfillBounds): CollectorRequest {
  if (event !== null && typeof event === 'object' && 'backfill' in event) {
    const parsed = backfillEvent.safeParse(event);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
      throw new ConfigError(`invalid backfill event: ${detail}; expected {"backfill": {"from": "YYYY-MM-DD HH:mm", "to": "YYYY-MM-DD HH:mm", "refetch": false}} (refetch optional)`);
    }
    const request: BackfillRequest = { kind: 'backfill', fromWall: parsed.data.backfill.from, toWall: parsed.data.backfill.to, refetch: parsed.data.backfill.refetch ?? false };
    refuseOutOfBounds(request, bounds);
    return request;
  }
  if (event !== null && typeof event === 'object' && ('vendorModel' in event || 'recheck' in event)) return parseAsks(event, bounds);
  const parsed = collectorEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const keys = event && typeof event === 'object' ? Object.keys(event).slice(0, 10).join(', ') : typeof event;
    throw new ConfigError(`unsupported event (keys: ${keys || 'none'}): expected an EventBridge "Scheduled Event" from aws.events, {}, {"backfill": {"from": ..., "to": ...}} or {"vendorModel": "additive", "recheck": "YYYY-MM-DD[..YYYY-MM-DD]"}`);
  }
  return { kind: 'scheduled' };
}

/** `{"vendorModel": ..., "recheck": ...}`: read and held to its bounds (days that ended, none before the first day). */
function parseAsks(event: object, bounds: BackfillBounds): AsksRequest {
  const parsed = asksEvent.safeParse(event);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid event: ${detail}; expected {"vendorModel": "additive" | "non-additive", "recheck": "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD"} (either or both)`);
  }
  const { vendorModel, recheck } = parsed.data;
  const vendorMode = vendorModel === undefined ? undefined : parseVendorMode(vendorModel, 'vendorModel');
  const days = recheck === undefined ? undefined : parseRecheckDays(recheck, 'recheck', bounds);
  return { kind: 'asks', asks: { ...(vendorMode ? { vendorMode } : {}), ...(days ? { recheck: days } : {}) } };
}

/** `YYYY-MM-DD HH:mm`, as a request spells it. */
function minuteLabel(wall: number): string {
  return formatWall(wall).slice(0, 16);
}

/** Throws a BackfillRefusedError naming every bound the request breaks: first day, now, longest span. */
function refuseOutOfBounds(r: BackfillRequest, bounds: BackfillBounds): void {
  const firstDay = parseDay(bounds.firstDay);
  // The function's config checks the date; a bound that cannot be read must not pass as no bound.
  if (firstDay === undefined) throw new ConfigError(`the operation's first day "${bounds.firstDay}" is not a date YYYY-MM-DD: backfill requests cannot be checked`);
  const nowWall = toWallClock(bounds.now, bounds.timeZone);
  const days = (r.toWall - r.fromWall) / DAY_MS;
  const problems = [
    r.fromWall < firstDay ? `"from" ${minuteLabel(r.fromWall)} is before the operation's first day ${bounds.firstDay} (wolkvox:firstDay)` : undefined,
    r.toWall > nowWall ? `"to" ${minuteLabel(r.toWall)} is after now (${minuteLabel(nowWall)} on the ${bounds.timeZone} clock)` : undefined,
    days > MAX_BACKFILL_DAYS ? `the range spans ${Math.ceil(days)} days, more than the longest of ${MAX_BACKFILL_DAYS}: send it in parts of at most ${MAX_BACKFILL_DAYS} days (at most ${MAX_QUEUED_BACKFILLS} queued at once)` : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new BackfillRefusedError(`backfill ${minuteLabel(r.fromWall)} to ${minuteLabel(r.toWall)} refused: ${problems.join('; ')}. Nothing was queued`, { from: minuteLabel(r.fromWall), to: minuteLabel(r.toWall) });
}

/** A job already in the checkpoint's queue, as wall-clock bounds. */
export interface QueuedBackfill {
  readonly fromWall: number;
  readonly toWall: number;
  readonly refetch: boolean;
}

/**
 * Refuses a backfill that would be one job too many: {@link MAX_QUEUED_BACKFILLS} already wait.
 * The same request as a queued job (an invoke sent twice) is that job, never refused here.
 */
export function refuseQueueOverflow(r: BackfillRequest, queued: readonly QueuedBackfill[]): void {
  if (queued.some((q) => q.fromWall === r.fromWall && q.toWall === r.toWall && q.refetch === r.refetch)) return;
  if (queued.length < MAX_QUEUED_BACKFILLS) return;
  const waiting = queued.map((q) => `${minuteLabel(q.fromWall)} to ${minuteLabel(q.toWall)}`).join(', ');
  throw new BackfillRefusedError(
    `backfill ${minuteLabel(r.fromWall)} to ${minuteLabel(r.toWall)} refused: ${queued.length} backfills are queued already, the most at once is ${MAX_QUEUED_BACKFILLS} (${waiting}); send it again once one is done (backfill_windows_remaining of the run figures). Nothing was queued`,
    { from: minuteLabel(r.fromWall), to: minuteLabel(r.toWall), queued: queued.length },
  );
}
