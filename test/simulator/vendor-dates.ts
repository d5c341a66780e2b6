/** The vendor's `YYYYmmddHHiiss` dates, read strictly as naive wall-clock ms (see lambda/domain/wall-clock.ts). */
import { formatVendor } from '../../lambda/domain/wall-clock.ts';

const VENDOR_DATE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export const MAX_RANGE_MS = 31 * 24 * 60 * 60 * 1000;

/** Naive wall ms of a `YYYYmmddHHiiss` text; undefined when malformed or impossible (20260230..., hour 24). */
export function parseVendorDate(text: string): number | undefined {
  const m = VENDOR_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls impossible fields over; a round trip exposes them.
  return formatVendor(ms) === text ? ms : undefined;
}

export type RangeCheck = { ok: true; iniWall: number; endWall: number } | { ok: false };

/** A range the vendor accepts: both dates well formed, ini <= end, at most 31 days apart. */
export function checkVendorRange(dateIni: string, dateEnd: string): RangeCheck {
  const iniWall = parseVendorDate(dateIni);
  const endWall = parseVendorDate(dateEnd);
  if (iniWall === undefined || endWall === undefined) return { ok: false };
  if (iniWall > endWall || endWall - iniWall > MAX_RANGE_MS) return { ok: false };
  return { ok: true, iniWall, endWall };
}
