/**
 * What an operator may ask of a run besides collecting: set how the vendor's totals are treated
 * (back to additive once the vendor is fixed) and try days' checks again. Read here from the
 * text a flag or an event gives, held to its bounds before any API call.
 */
import { MAX_BACKFILL_DAYS } from './backfill-bounds.ts';
import { dayLabel, dayOf, DAY_MS, parseDay, type Day } from './day.ts';
import { ConfigError } from './errors.ts';
import type { VendorMode } from './vendor-model.ts';
import { toWallClock } from './wall-clock.ts';

export interface OperatorAsks {
  /** The mode to set (the non-additive one is also entered by two verdicts). */
  readonly vendorMode?: VendorMode;
  /** Days whose check against the vendor's day totals is tried again, verdicts and bounds forgotten. */
  readonly recheck?: readonly Day[];
}

export const VENDOR_MODES: readonly VendorMode[] = ['additive', 'non-additive'];

export function parseVendorMode(text: string, where: string): VendorMode {
  const mode = VENDOR_MODES.find((m) => m === text);
  if (!mode) throw new ConfigError(`${where}: "${text}" is not a vendor model: use ${VENDOR_MODES.map((m) => `"${m}"`).join(' or ')}`);
  return mode;
}

export interface RecheckBounds {
  /** The instant of the request (epoch ms): only days that have ended may be checked. */
  readonly now: number;
  readonly timeZone: string;
  /** The operation's first day, when known: no day before it holds anything of ours. */
  readonly firstDay?: string;
}

/**
 * `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (both ends included): days that have ended, at most
 * as many as a backfill may span, none before the first day. `where` names the flag or key in
 * the error.
 */
export function parseRecheckDays(text: string, where: string, bounds: RecheckBounds): Day[] {
  const [fromText = '', toText = fromText, extra] = text.split('..');
  const from = parseDay(fromText);
  const to = parseDay(toText);
  if (extra !== undefined || from === undefined || to === undefined) throw new ConfigError(`${where}: "${text}" is not a day YYYY-MM-DD or a range of days YYYY-MM-DD..YYYY-MM-DD`);
  if (to < from) throw new ConfigError(`${where}: "${text}" ends before it starts`);
  const today = dayOf(toWallClock(bounds.now, bounds.timeZone));
  const count = (to - from) / DAY_MS + 1;
  const first = bounds.firstDay === undefined ? undefined : parseDay(bounds.firstDay);
  const problems = [
    to >= today ? `${dayLabel(to)} has not ended yet (today is ${dayLabel(today)} on the ${bounds.timeZone} clock)` : undefined,
    count > MAX_BACKFILL_DAYS ? `${count} days, more than the ${MAX_BACKFILL_DAYS} one request may name` : undefined,
    first !== undefined && from < first ? `${dayLabel(from)} is before the operation's first day ${bounds.firstDay}` : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new ConfigError(`${where}: "${text}" cannot be checked again: ${problems.join('; ')}`);
  const days: Day[] = [];
  for (let d: number = from; d <= to; d += DAY_MS) days.push(d as Day);
  return days;
}
