import { describe, expect, it } from 'vitest';
import { chunkSpan, DAY_MS, daySpan, MAX_SPAN_MS, splitSpan, spanDates, spanOf, windowsOf, type Span } from '../../../lambda/domain/span.ts';
import { formatWall, WALL } from '../../../lambda/domain/wall-clock.ts';
import { WINDOW_MS } from '../../../lambda/domain/window.ts';

const BOGOTA = 'America/Bogota';
const SANTIAGO = 'America/Santiago';
const NEW_YORK = 'America/New_York';
const HOUR = WALL.HOUR_MS;

const wall = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);
const span = (fromWall: number, toWall: number, timeZone = BOGOTA): Span => ({ fromWall, toWall, timeZone });
const label = (ms: number): string => formatWall(ms).slice(0, 16);

/** Both halves hold at least one window and together are the span, without gap or overlap. */
function expectTiling(s: Span, [left, right]: readonly [Span, Span]): void {
  expect(left.fromWall).toBe(s.fromWall);
  expect(right.toWall).toBe(s.toWall);
  expect(left.toWall).toBe(right.fromWall);
  expect(left.toWall - left.fromWall).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(right.toWall - right.fromWall).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(left.toWall % WINDOW_MS).toBe(0);
  expect(left.timeZone).toBe(s.timeZone);
  expect(right.timeZone).toBe(s.timeZone);
}

describe('Function: splitSpan', () => {
  it('returns halves cut at a midnight when the span covers several days', () => {
    // Prepare: 2 days and 22 hours; the middle in time (Nov 21 18:00) is not a midnight
    const s = span(wall(2026, 11, 20, 7), wall(2026, 11, 23, 5));

    // Act
    const halves = splitSpan(s);

    // Assess
    expectTiling(s, halves);
    expect(halves[0].toWall % DAY_MS).toBe(0);
    expect(label(halves[0].toWall)).toBe('2026-11-22 00:00');
  });

  it('returns halves cut at a midnight when the span is two whole days', () => {
    // Prepare
    const s = span(wall(2026, 11, 20), wall(2026, 11, 22));

    // Act
    const halves = splitSpan(s);

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe('2026-11-21 00:00');
  });

  it('returns halves cut at 12:00 when the span is one whole day', () => {
    // Prepare
    const s = daySpan('2026-11-20', BOGOTA);

    // Act
    const halves = splitSpan(s);

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe('2026-11-20 12:00');
  });

  it('returns halves cut at a full hour when the span lies within a day and is not hour aligned', () => {
    // Prepare: 08:35 to 11:50, middle 10:12:30
    const s = span(wall(2026, 11, 20, 8, 35), wall(2026, 11, 20, 11, 50));

    // Act
    const halves = splitSpan(s);

    // Assess
    expectTiling(s, halves);
    expect(halves[0].toWall % HOUR).toBe(0);
    expect(label(halves[0].toWall)).toBe('2026-11-20 10:00');
  });

  it('returns halves cut at a window boundary when the span lies within one hour', () => {
    // Prepare: 08:00 to 09:00, no full hour inside
    const s = span(wall(2026, 11, 20, 8), wall(2026, 11, 20, 9));

    // Act
    const halves = splitSpan(s);

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe('2026-11-20 08:30');
  });

  it('returns two windows when the span is two windows', () => {
    // Prepare
    const s = span(wall(2026, 11, 20, 8, 55), wall(2026, 11, 20, 9, 5));

    // Act
    const [left, right] = splitSpan(s);

    // Assess
    expect(left).toEqual(spanOf({ startWall: wall(2026, 11, 20, 8, 55), timeZone: BOGOTA }));
    expect(right).toEqual(spanOf({ startWall: wall(2026, 11, 20, 9, 0), timeZone: BOGOTA }));
  });

  it('returns halves cut at the requested middle when it is a boundary inside the span', () => {
    // Prepare: within one hour, ask for 08:20
    const s = span(wall(2026, 11, 20, 8), wall(2026, 11, 20, 9));

    // Act
    const halves = splitSpan(s, wall(2026, 11, 20, 8, 20));

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe('2026-11-20 08:20');
  });

  it('returns halves cut at the full hour nearest the requested middle when the span holds several hours', () => {
    // Prepare: 00:00 to 12:00, ask for 09:40 (not the middle in time)
    const s = span(wall(2026, 11, 20, 0), wall(2026, 11, 20, 12));

    // Act
    const halves = splitSpan(s, wall(2026, 11, 20, 9, 40));

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe('2026-11-20 10:00');
  });

  it.each([
    { name: 'before the span', middle: wall(2026, 11, 20, 7), cut: '2026-11-20 08:05' },
    { name: 'at the span start', middle: wall(2026, 11, 20, 8), cut: '2026-11-20 08:05' },
    { name: 'at the span end', middle: wall(2026, 11, 20, 9), cut: '2026-11-20 08:55' },
    { name: 'after the span', middle: wall(2026, 11, 21, 3), cut: '2026-11-20 08:55' },
  ])('returns halves of at least one window when the requested middle is $name', ({ middle, cut }) => {
    // Prepare
    const s = span(wall(2026, 11, 20, 8), wall(2026, 11, 20, 9));

    // Act
    const halves = splitSpan(s, middle);

    // Assess
    expectTiling(s, halves);
    expect(label(halves[0].toWall)).toBe(cut);
  });

  it('returns tiling halves for every span of 2 to 300 windows starting at any window of an hour', () => {
    // Prepare
    const spans: Span[] = [];
    for (let start = 0; start < 12; start += 1) {
      for (let n = 2; n <= 300; n += 1) spans.push(span(wall(2026, 11, 20, 0, start * 5), wall(2026, 11, 20, 0, start * 5) + n * WINDOW_MS));
    }

    // Act
    const bad = spans.filter((s) => {
      const [left, right] = splitSpan(s);
      return left.fromWall !== s.fromWall || right.toWall !== s.toWall || left.toWall !== right.fromWall || left.toWall % WINDOW_MS !== 0 || left.toWall <= s.fromWall || right.fromWall >= s.toWall;
    });

    // Assess
    expect(spans).toHaveLength(12 * 299);
    expect(bad.map((s) => `${label(s.fromWall)} to ${label(s.toWall)}`)).toEqual([]);
  });

  it('throws when the span is a single window', () => {
    // Prepare
    const s = spanOf({ startWall: wall(2026, 11, 20, 8), timeZone: BOGOTA });

    // Act & Assess
    expect(() => splitSpan(s)).toThrow(RangeError);
    expect(() => splitSpan(s, s.fromWall + WINDOW_MS / 2)).toThrow(RangeError);
  });
});

describe('Function: chunkSpan', () => {
  /** Chunks of [from, to) one after the other, as a range would walk them. */
  function chunks(from: number, to: number, maxMs?: number): Span[] {
    const out: Span[] = [];
    for (let at = from; at < to; ) {
      const c = chunkSpan(at, to, BOGOTA, maxMs);
      out.push(c);
      at = c.toWall;
      if (out.length > 1000) throw new Error('chunkSpan does not advance');
    }
    return out;
  }

  it('returns the whole range when it is at most 31 days', () => {
    // Act
    const c = chunkSpan(wall(2026, 10, 1, 10), wall(2026, 11, 1, 10), BOGOTA);

    // Assess
    expect(c).toEqual(span(wall(2026, 10, 1, 10), wall(2026, 11, 1, 10)));
    expect(c.toWall - c.fromWall).toBe(MAX_SPAN_MS);
  });

  it('returns a chunk ending at a midnight when the range is longer than 31 days and starts mid-day', () => {
    // Act
    const c = chunkSpan(wall(2026, 1, 1, 10, 35), wall(2026, 6, 1), BOGOTA);

    // Assess
    expect(c.fromWall).toBe(wall(2026, 1, 1, 10, 35));
    expect(label(c.toWall)).toBe('2026-02-01 00:00');
    expect(c.toWall - c.fromWall).toBeLessThanOrEqual(MAX_SPAN_MS);
  });

  it('returns chunks of at most 31 days that tile the range and end at midnights when the range is a year', () => {
    // Prepare
    const from = wall(2025, 12, 31, 22, 15);
    const to = wall(2027, 1, 2, 3, 20);

    // Act
    const all = chunks(from, to);

    // Assess
    expect(all[0]?.fromWall).toBe(from);
    expect(all[all.length - 1]?.toWall).toBe(to);
    for (const [i, c] of all.entries()) {
      expect(c.toWall - c.fromWall).toBeLessThanOrEqual(MAX_SPAN_MS);
      expect(c.toWall).toBeGreaterThan(c.fromWall);
      if (i > 0) expect(c.fromWall).toBe(all[i - 1]?.toWall);
      if (i < all.length - 1) expect(c.toWall % DAY_MS).toBe(0);
    }
    expect(all.length).toBe(Math.ceil((to - from) / MAX_SPAN_MS));
  });

  it('returns chunks of at most the given length when a shorter maximum is asked', () => {
    // Act
    const all = chunks(wall(2026, 3, 1, 6), wall(2026, 3, 20), 3 * DAY_MS);

    // Assess
    expect(all.map((c) => label(c.toWall))).toEqual([
      '2026-03-04 00:00',
      '2026-03-07 00:00',
      '2026-03-10 00:00',
      '2026-03-13 00:00',
      '2026-03-16 00:00',
      '2026-03-19 00:00',
      '2026-03-20 00:00',
    ]);
  });
});

describe('Function: daySpan', () => {
  it('returns the span from midnight to the next midnight when the day is a plain day', () => {
    // Act
    const s = daySpan('2026-11-20', BOGOTA);

    // Assess
    expect(s).toEqual(span(wall(2026, 11, 20), wall(2026, 11, 21)));
    expect(windowsOf(s)).toHaveLength(288);
  });

  it('throws when the day is not YYYY-MM-DD', () => {
    // Act & Assess
    expect(() => daySpan('2026-02-30', BOGOTA)).toThrow(RangeError);
    expect(() => daySpan('20/11/2026', BOGOTA)).toThrow(RangeError);
  });

  it('returns windows without the skipped 00:00-00:55 labels when the day springs forward at midnight (Santiago 2026-09-06)', () => {
    // Act
    const ws = windowsOf(daySpan('2026-09-06', SANTIAGO));
    const labels = ws.map((w) => label(w.startWall));

    // Assess
    expect(ws).toHaveLength(276);
    expect(labels[0]).toBe('2026-09-06 01:00');
    expect(labels[labels.length - 1]).toBe('2026-09-06 23:55');
    expect(labels.some((l) => l.startsWith('2026-09-06 00:'))).toBe(false);
    expect(ws.every((w) => w.timeZone === SANTIAGO)).toBe(true);
  });

  it('returns windows without the skipped 02:00-02:55 labels when the day springs forward at 02:00 (New York 2026-03-08)', () => {
    // Act
    const labels = windowsOf(daySpan('2026-03-08', NEW_YORK)).map((w) => label(w.startWall));

    // Assess
    expect(labels).toHaveLength(276);
    expect(labels.some((l) => l.startsWith('2026-03-08 02:'))).toBe(false);
    expect(labels).toContain('2026-03-08 01:55');
    expect(labels).toContain('2026-03-08 03:00');
    expect(labels[0]).toBe('2026-03-08 00:00');
  });

  it('returns each repeated label once when the day falls back (Santiago 2026-04-04, 23:00 repeats)', () => {
    // Act
    const labels = windowsOf(daySpan('2026-04-04', SANTIAGO)).map((w) => label(w.startWall));

    // Assess
    expect(labels).toHaveLength(288);
    expect(new Set(labels).size).toBe(288);
  });
});

describe('Function: spanDates', () => {
  it("returns the first second and the vendor's inclusive last second when the span is a day", () => {
    // Act
    const dates = spanDates(daySpan('2026-09-06', SANTIAGO));

    // Assess
    expect(dates).toEqual({ date_ini: '20260906000000', date_end: '20260906235959' });
  });

  it("returns the window's first and last second when the span is one window", () => {
    // Act
    const dates = spanDates(spanOf({ startWall: wall(2026, 11, 20, 8, 55), timeZone: BOGOTA }));

    // Assess
    expect(dates).toEqual({ date_ini: '20261120085500', date_end: '20261120085959' });
  });

  it('returns a last second on the previous day when the span ends at a midnight', () => {
    // Act
    const dates = spanDates(span(wall(2026, 12, 31, 23), wall(2027, 1, 1)));

    // Assess
    expect(dates).toEqual({ date_ini: '20261231230000', date_end: '20261231235959' });
  });
});
