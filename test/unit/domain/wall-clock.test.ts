import { describe, expect, it } from 'vitest';
import {
  firstInstantOf,
  formatDate,
  formatHour,
  formatVendor,
  formatWall,
  instantsOf,
  isValidTimeZone,
  lastInstantOf,
  offsetAt,
  parseWall,
  toWallClock,
  WALL,
} from '../../../lambda/domain/wall-clock.ts';

const BOGOTA = 'America/Bogota';
const MADRID = 'Europe/Madrid';
const SANTIAGO = 'America/Santiago';

/** Naive wall-clock ms: the wall fields read as if they were UTC. */
const wall = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);
const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('Function: toWallClock', () => {
  it.each([
    { zone: BOGOTA, instant: '2026-11-20T13:00:00.000Z', expected: wall(2026, 11, 20, 8, 0) },
    { zone: BOGOTA, instant: '2026-01-01T04:59:59.000Z', expected: wall(2025, 12, 31, 23, 59, 59) },
    { zone: BOGOTA, instant: '2026-07-01T05:00:00.000Z', expected: wall(2026, 7, 1, 0, 0) },
    { zone: MADRID, instant: '2026-01-15T12:00:00.000Z', expected: wall(2026, 1, 15, 13, 0) },
    { zone: MADRID, instant: '2026-07-15T12:00:00.000Z', expected: wall(2026, 7, 15, 14, 0) },
    { zone: SANTIAGO, instant: '2026-01-15T12:00:00.000Z', expected: wall(2026, 1, 15, 9, 0) },
    { zone: SANTIAGO, instant: '2026-07-15T12:00:00.000Z', expected: wall(2026, 7, 15, 8, 0) },
  ])('returns the wall clock of $instant in $zone', ({ zone, instant, expected }) => {
    // Act
    const result = toWallClock(utc(instant), zone);

    // Assess
    expect(formatWall(result)).toBe(formatWall(expected));
    expect(result).toBe(expected);
  });

  it('keeps the sub-second part of the instant', () => {
    // Prepare
    const instant = utc('2026-11-20T13:00:00.123Z');

    // Act
    const result = toWallClock(instant, BOGOTA);

    // Assess
    expect(result).toBe(wall(2026, 11, 20, 8, 0) + 123);
  });

  it('shows midnight as hour 00, not 24', () => {
    // Act
    const result = toWallClock(utc('2026-11-21T05:00:00.000Z'), BOGOTA);

    // Assess
    expect(formatWall(result)).toBe('2026-11-21 00:00:00');
  });

  it('maps both passes of the Madrid fall-back hour to the same label', () => {
    // Act
    const first = toWallClock(utc('2026-10-25T00:30:00Z'), MADRID);
    const second = toWallClock(utc('2026-10-25T01:30:00Z'), MADRID);

    // Assess
    expect(first).toBe(wall(2026, 10, 25, 2, 30));
    expect(second).toBe(wall(2026, 10, 25, 2, 30));
  });

  it('jumps from 01:59:59 to 03:00:00 at the Madrid spring-forward change', () => {
    // Act
    const before = toWallClock(utc('2026-03-29T00:59:59Z'), MADRID);
    const after = toWallClock(utc('2026-03-29T01:00:00Z'), MADRID);

    // Assess
    expect(formatWall(before)).toBe('2026-03-29 01:59:59');
    expect(formatWall(after)).toBe('2026-03-29 03:00:00');
  });
});

describe('Function: offsetAt', () => {
  it.each([
    { zone: BOGOTA, instant: '2026-03-29T12:00:00Z', hours: -5 },
    { zone: BOGOTA, instant: '2026-10-25T12:00:00Z', hours: -5 },
    { zone: MADRID, instant: '2026-03-29T00:59:59Z', hours: 1 },
    { zone: MADRID, instant: '2026-03-29T01:00:00Z', hours: 2 },
    { zone: MADRID, instant: '2026-10-25T00:59:59Z', hours: 2 },
    { zone: MADRID, instant: '2026-10-25T01:00:00Z', hours: 1 },
    { zone: SANTIAGO, instant: '2026-04-05T02:59:59Z', hours: -3 },
    { zone: SANTIAGO, instant: '2026-04-05T03:00:00Z', hours: -4 },
    { zone: SANTIAGO, instant: '2026-09-06T03:59:59Z', hours: -4 },
    { zone: SANTIAGO, instant: '2026-09-06T04:00:00Z', hours: -3 },
  ])('returns $hours h in $zone at $instant', ({ zone, instant, hours }) => {
    // Act
    const result = offsetAt(utc(instant), zone);

    // Assess
    expect(result).toBe(hours * WALL.HOUR_MS);
  });
});

describe('Function: instantsOf', () => {
  it.each([
    { zone: BOGOTA, label: wall(2026, 11, 20, 8, 0), expected: ['2026-11-20T13:00:00.000Z'] },
    { zone: BOGOTA, label: wall(2026, 3, 29, 2, 30), expected: ['2026-03-29T07:30:00.000Z'] },
    { zone: MADRID, label: wall(2026, 3, 29, 1, 55), expected: ['2026-03-29T00:55:00.000Z'] },
    { zone: MADRID, label: wall(2026, 3, 29, 3, 0), expected: ['2026-03-29T01:00:00.000Z'] },
    { zone: MADRID, label: wall(2026, 10, 25, 1, 55), expected: ['2026-10-24T23:55:00.000Z'] },
    { zone: MADRID, label: wall(2026, 10, 25, 3, 0), expected: ['2026-10-25T02:00:00.000Z'] },
    { zone: SANTIAGO, label: wall(2026, 4, 4, 22, 55), expected: ['2026-04-05T01:55:00.000Z'] },
    { zone: SANTIAGO, label: wall(2026, 9, 6, 1, 0), expected: ['2026-09-06T04:00:00.000Z'] },
  ])('returns one instant for an ordinary label in $zone ($expected)', ({ zone, label, expected }) => {
    // Act
    const result = instantsOf(label, zone).map(iso);

    // Assess
    expect(result).toEqual(expected);
  });

  it.each([
    { zone: MADRID, label: wall(2026, 3, 29, 2, 0) },
    { zone: MADRID, label: wall(2026, 3, 29, 2, 30) },
    { zone: MADRID, label: wall(2026, 3, 29, 2, 59, 59) },
    { zone: SANTIAGO, label: wall(2026, 9, 6, 0, 0) },
    { zone: SANTIAGO, label: wall(2026, 9, 6, 0, 45) },
  ])('returns no instant for a label inside the spring-forward gap ($zone $label)', ({ zone, label }) => {
    // Act
    const result = instantsOf(label, zone);

    // Assess
    expect(result).toEqual([]);
  });

  it.each([
    { zone: MADRID, label: wall(2026, 10, 25, 2, 0), expected: ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z'] },
    { zone: MADRID, label: wall(2026, 10, 25, 2, 30), expected: ['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'] },
    { zone: MADRID, label: wall(2026, 10, 25, 2, 55), expected: ['2026-10-25T00:55:00.000Z', '2026-10-25T01:55:00.000Z'] },
    { zone: SANTIAGO, label: wall(2026, 4, 4, 23, 0), expected: ['2026-04-05T02:00:00.000Z', '2026-04-05T03:00:00.000Z'] },
    { zone: SANTIAGO, label: wall(2026, 4, 4, 23, 30), expected: ['2026-04-05T02:30:00.000Z', '2026-04-05T03:30:00.000Z'] },
  ])('returns both instants, ascending, for a label in the fall-back repeat ($zone)', ({ zone, label, expected }) => {
    // Act
    const result = instantsOf(label, zone).map(iso);

    // Assess
    expect(result).toEqual(expected);
  });

  it('round-trips every instant through toWallClock for a whole Madrid fall-back day', () => {
    // Prepare
    const labels: number[] = [];
    for (let t = wall(2026, 10, 25); t < wall(2026, 10, 26); t += 5 * WALL.MINUTE_MS) labels.push(t);

    // Act
    const counts = labels.map((l) => instantsOf(l, MADRID).length);
    const roundTrips = labels.flatMap((l) => instantsOf(l, MADRID).map((i) => toWallClock(i, MADRID) === l));

    // Assess
    expect(counts.filter((c) => c === 2)).toHaveLength(12);
    expect(counts.filter((c) => c === 1)).toHaveLength(288 - 12);
    expect(roundTrips.every(Boolean)).toBe(true);
  });
});

describe('Function: firstInstantOf', () => {
  it('returns the only instant of an ordinary Bogota label', () => {
    // Act
    const result = firstInstantOf(wall(2026, 11, 20, 8, 0), BOGOTA);

    // Assess
    expect(iso(result)).toBe('2026-11-20T13:00:00.000Z');
  });

  it('returns the earlier pass of a repeated Madrid label', () => {
    // Act
    const result = firstInstantOf(wall(2026, 10, 25, 2, 30), MADRID);

    // Assess
    expect(iso(result)).toBe('2026-10-25T00:30:00.000Z');
  });

  it('returns the earlier pass of a repeated Santiago label', () => {
    // Act
    const result = firstInstantOf(wall(2026, 4, 4, 23, 30), SANTIAGO);

    // Assess
    expect(iso(result)).toBe('2026-04-05T02:30:00.000Z');
  });

  it('maps the first label of the Madrid gap (02:00) to the gap end 01:00Z', () => {
    // Act
    const result = firstInstantOf(wall(2026, 3, 29, 2, 0), MADRID);

    // Assess
    expect(iso(result)).toBe('2026-03-29T01:00:00.000Z');
  });

  // BUG: the doc comment promises "a label inside a gap maps to the gap's end" (the clock
  // "reaches it at the instant the gap ends", 03:00 CEST = 01:00Z), but a label further into
  // the gap is shifted by the gap length instead: 02:30 -> 01:30Z (03:30 CEST).
  it('maps a label in the middle of the Madrid gap (02:30) to the gap end 01:00Z', () => {
    // Act
    const result = firstInstantOf(wall(2026, 3, 29, 2, 30), MADRID);

    // Assess
    expect(iso(result)).toBe('2026-03-29T01:00:00.000Z');
  });

  it('maps a label in the Santiago gap to an instant at or after the gap end, never before it', () => {
    // Act
    const result = firstInstantOf(wall(2026, 9, 6, 0, 30), SANTIAGO);

    // Assess
    expect(result).toBeGreaterThanOrEqual(utc('2026-09-06T04:00:00Z'));
  });
});

describe('Function: lastInstantOf', () => {
  it.each([
    { zone: MADRID, label: wall(2026, 10, 25, 2, 30), expected: '2026-10-25T01:30:00.000Z' },
    { zone: SANTIAGO, label: wall(2026, 4, 4, 23, 30), expected: '2026-04-05T03:30:00.000Z' },
    { zone: BOGOTA, label: wall(2026, 11, 20, 8, 0), expected: '2026-11-20T13:00:00.000Z' },
    { zone: MADRID, label: wall(2026, 10, 25, 3, 0), expected: '2026-10-25T02:00:00.000Z' },
  ])('returns $expected for a label in $zone', ({ zone, label, expected }) => {
    // Act
    const result = lastInstantOf(label, zone);

    // Assess
    expect(iso(result)).toBe(expected);
  });

  it('returns the same instant as firstInstantOf for a label inside a gap', () => {
    // Prepare
    const label = wall(2026, 3, 29, 2, 0);

    // Act
    const result = lastInstantOf(label, MADRID);

    // Assess
    expect(result).toBe(firstInstantOf(label, MADRID));
  });
});

describe('Function: isValidTimeZone', () => {
  it.each(['America/Bogota', 'Europe/Madrid', 'America/Santiago', 'UTC'])('returns true for %s', (zone) => {
    // Act & Assess
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['Mars/Olympus_Mons', 'Bogota', 'not a zone'])('returns false for %s', (zone) => {
    // Act & Assess
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('Function: formatVendor', () => {
  it.each([
    { label: wall(2026, 11, 20, 8, 0, 0), expected: '20261120080000' },
    { label: wall(2026, 11, 20, 8, 4, 59), expected: '20261120080459' },
    { label: wall(2026, 1, 2, 23, 59, 59), expected: '20260102235959' },
    { label: wall(2026, 12, 31, 0, 0, 0), expected: '20261231000000' },
  ])('returns $expected', ({ label, expected }) => {
    // Act & Assess
    expect(formatVendor(label)).toBe(expected);
  });
});

describe('Function: formatWall', () => {
  it.each([
    { label: wall(2026, 11, 20, 8, 0, 0), expected: '2026-11-20 08:00:00' },
    { label: wall(2026, 1, 2, 3, 4, 5), expected: '2026-01-02 03:04:05' },
    { label: wall(2026, 12, 31, 23, 59, 59), expected: '2026-12-31 23:59:59' },
  ])('returns $expected', ({ label, expected }) => {
    // Act & Assess
    expect(formatWall(label)).toBe(expected);
  });
});

describe('Function: formatDate', () => {
  it.each([
    { label: wall(2026, 11, 20, 8, 0), expected: '2026-11-20' },
    { label: wall(2026, 1, 2, 23, 59, 59), expected: '2026-01-02' },
  ])('returns $expected', ({ label, expected }) => {
    // Act & Assess
    expect(formatDate(label)).toBe(expected);
  });
});

describe('Function: formatHour', () => {
  it.each([
    { label: wall(2026, 11, 20, 8, 0), expected: '08' },
    { label: wall(2026, 11, 20, 0, 0), expected: '00' },
    { label: wall(2026, 11, 20, 23, 55), expected: '23' },
  ])('returns $expected', ({ label, expected }) => {
    // Act & Assess
    expect(formatHour(label)).toBe(expected);
  });
});

describe('Function: parseWall', () => {
  it.each([
    { text: '2026-11-20 08:00', expected: wall(2026, 11, 20, 8, 0) },
    { text: '2026-11-20 08:00:00', expected: wall(2026, 11, 20, 8, 0) },
    { text: '2026-11-20 08:04:59', expected: wall(2026, 11, 20, 8, 4, 59) },
    { text: '2026-11-20T08:05', expected: wall(2026, 11, 20, 8, 5) },
    { text: '2026-11-20T08:05:30', expected: wall(2026, 11, 20, 8, 5, 30) },
    { text: '  2026-11-20 08:00  ', expected: wall(2026, 11, 20, 8, 0) },
    { text: '2028-02-29 23:59:59', expected: wall(2028, 2, 29, 23, 59, 59) },
    { text: '2026-03-29 02:30', expected: wall(2026, 3, 29, 2, 30) },
  ])('returns the naive wall ms of "$text"', ({ text, expected }) => {
    // Act
    const result = parseWall(text);

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    '2026-02-30 08:00',
    '2026-02-29 08:00',
    '2026-13-01 00:00',
    '2026-00-10 00:00',
    '2026-11-31 00:00',
    '2026-11-20 24:00',
    '2026-11-20 08:60',
    '2026-11-20 08:00:60',
    '2026-11-20 23:59:60',
    '2026-11-20',
    '2026-11-20 8:00',
    '20261120080000',
    '2026/11/20 08:00',
    '2026-11-20 08:00Z',
    '2026-11-20 08:00:00.000',
    'garbage',
    '',
  ])('returns undefined for "%s"', (text) => {
    // Act
    const result = parseWall(text);

    // Assess
    expect(result).toBeUndefined();
  });

  it('round-trips with formatWall', () => {
    // Prepare
    const label = wall(2026, 10, 25, 2, 35);

    // Act
    const result = parseWall(formatWall(label));

    // Assess
    expect(result).toBe(label);
  });
});
