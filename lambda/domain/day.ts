/**
 * An operation day as a value: the wall-clock ms of its midnight (naive wall ms, see
 * wall-clock.ts). The engine holds days as such values, compares and adds them as numbers, and
 * spells them `YYYY-MM-DD` only where a day meets a key, a row, a message or the checkpoint.
 */
import { formatDate, parseWall, WALL } from './wall-clock.ts';

export const DAY_MS = 24 * WALL.HOUR_MS;

export type Day = number & { readonly __day: never };

/** The day that holds this wall-clock instant. */
export function dayOf(wall: number): Day {
  return (Math.floor(wall / DAY_MS) * DAY_MS) as Day;
}

/** `YYYY-MM-DD`. */
export function dayLabel(day: Day): string {
  return formatDate(day);
}

/** The day a `YYYY-MM-DD` label names; undefined when it is not one. */
export function parseDay(label: string): Day | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(label)) return undefined;
  const wall = parseWall(`${label} 00:00:00`);
  return wall === undefined ? undefined : (wall as Day);
}

/** The days that [fromWall, toWall) touches, oldest first. */
export function daysOf(fromWall: number, toWall: number): Day[] {
  const out: Day[] = [];
  for (let d: number = dayOf(fromWall); d < toWall; d += DAY_MS) out.push(d as Day);
  return out;
}
