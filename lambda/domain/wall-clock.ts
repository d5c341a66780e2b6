/**
 * Wall-clock arithmetic in an IANA time zone without a date library.
 *
 * The vendor's API speaks the operation's wall clock (`YYYYmmddHHiiss`), so windows are
 * planned as wall-clock labels. A label is held as "naive" epoch milliseconds: the wall
 * fields read as if they were UTC. That keeps 5-minute steps plain integer arithmetic,
 * and only the conversion to real instants needs the zone (and knows about DST).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone name. */
/** The zone's canonical IANA spelling, as Intl resolves it (case fixed: america/bogota -> America/Bogota). */
export function canonicalTimeZone(timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Naive wall-clock ms of a real instant in the zone. */
export function toWallClock(instantMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    return part ? Number(part.value) : 0;
  };
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  // Intl drops sub-second precision; keep it so conversions round-trip.
  return wall + (instantMs - Math.floor(instantMs / 1000) * 1000);
}

/** Offset (wall minus UTC) in ms at a real instant. */
export function offsetAt(instantMs: number, timeZone: string): number {
  return toWallClock(instantMs, timeZone) - instantMs;
}

/**
 * Every real instant showing this wall-clock label: none inside a spring-forward gap,
 * two inside a fall-back repeat, one otherwise. Sorted ascending.
 */
export function instantsOf(wallMs: number, timeZone: string): readonly number[] {
  // Asked for every window of every span the collector plans (a day node is 288 labels), and
  // each answer costs several Intl calls: remembered, as a pure function of its arguments.
  const key = `${timeZone}|${wallMs}`;
  const known = instantsCache.get(key);
  if (known) return known;
  // Zone offsets change at most once in any 24 h span in practice, so the offsets half a
  // day either side cover every candidate.
  const candidates = new Set([offsetAt(wallMs - 12 * HOUR_MS, timeZone), offsetAt(wallMs + 12 * HOUR_MS, timeZone)]);
  const found: number[] = [];
  for (const offset of candidates) {
    const instant = wallMs - offset;
    if (toWallClock(instant, timeZone) === wallMs) found.push(instant);
  }
  const result = Object.freeze([...new Set(found)].sort((a, b) => a - b));
  if (instantsCache.size >= INSTANTS_CACHE_SIZE) instantsCache.clear();
  instantsCache.set(key, result);
  return result;
}

/** About a year of 5-minute labels of one zone: a long range walks them once, a run reuses them. */
const INSTANTS_CACHE_SIZE = 120_000;
const instantsCache = new Map<string, readonly number[]>();

/** The real instant a wall-clock label ends up meaning; a label inside a gap maps to the gap's end. */
export function firstInstantOf(wallMs: number, timeZone: string): number {
  const found = instantsOf(wallMs, timeZone);
  if (found[0] !== undefined) return found[0];
  // Inside a gap: the clock jumped over this label, so it is reached at the instant the gap
  // ends, the zone's transition. Before it the old offset holds: search between the two.
  let lo = wallMs - offsetAt(wallMs + 12 * HOUR_MS, timeZone);
  let hi = wallMs - offsetAt(wallMs - 12 * HOUR_MS, timeZone);
  const before = offsetAt(lo, timeZone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The last real instant showing this label (the later one in a fall-back repeat). */
export function lastInstantOf(wallMs: number, timeZone: string): number {
  const found = instantsOf(wallMs, timeZone);
  const last = found[found.length - 1];
  return last ?? firstInstantOf(wallMs, timeZone);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function fields(wallMs: number) {
  const d = new Date(wallMs);
  return {
    y: pad(d.getUTCFullYear(), 4),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
  };
}

/** `YYYYmmddHHiiss`, the vendor's date format. */
export function formatVendor(wallMs: number): string {
  const f = fields(wallMs);
  return `${f.y}${f.mo}${f.d}${f.h}${f.mi}${f.s}`;
}

/** `YYYY-MM-DD HH:mm:ss`, the row format (Athena's timestamp literal). */
export function formatWall(wallMs: number): string {
  const f = fields(wallMs);
  return `${f.y}-${f.mo}-${f.d} ${f.h}:${f.mi}:${f.s}`;
}

/** `YYYY-MM-DD` */
export function formatDate(wallMs: number): string {
  const f = fields(wallMs);
  return `${f.y}-${f.mo}-${f.d}`;
}

/** `HH` */
export function formatHour(wallMs: number): string {
  return fields(wallMs).h;
}

const WALL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Parses `YYYY-MM-DD HH:mm[:ss]` (or with `T`) into naive wall ms; undefined when the
 * text is not such a date or names an impossible one (2026-02-30, 24:00).
 */
export function parseWall(text: string): number | undefined {
  const m = WALL_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi) {
    return undefined;
  }
  return ms;
}

export const WALL = { MINUTE_MS, HOUR_MS } as const;
