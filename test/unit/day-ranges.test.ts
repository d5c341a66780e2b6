import { describe, expect, it } from 'vitest';
import { dayRanges, formatDays, windowRanges } from '../../lambda/local/day-ranges.ts';

describe('Function: formatDays', () => {
  it('returns a month as one range and a lone day by itself when days come in any order', () => {
    // Prepare
    const october = Array.from({ length: 31 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);

    // Act
    const text = formatDays(['2026-11-03', ...october.reverse(), '2026-10-15']);

    // Assess
    expect(text).toBe('2026-10-01..2026-10-31, 2026-11-03');
  });

  it('returns runs across a month and a year end, split where a day is missing', () => {
    // Act
    const ranges = dayRanges(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-03', '2027-02-28', '2027-03-01']);

    // Assess
    expect(ranges).toEqual([
      { from: '2026-12-30', to: '2027-01-01', count: 3 },
      { from: '2027-01-03', to: '2027-01-03', count: 1 },
      { from: '2027-02-28', to: '2027-03-01', count: 2 },
    ]);
  });

  it('returns nothing for no days and throws on a label that is not a day', () => {
    // Act / Assess
    expect(formatDays([])).toBe('');
    expect(() => formatDays(['yesterday'])).toThrow(RangeError);
  });
});

describe('Function: windowRanges', () => {
  it('returns consecutive 5-minute windows as one range', () => {
    // Act
    const ranges = windowRanges(['2026-11-20 08:05:00', '2026-11-20 08:00:00', '2026-11-20 08:10:00', '2026-11-20 09:00:00']);

    // Assess
    expect(ranges).toEqual([
      { from: '2026-11-20 08:00:00', to: '2026-11-20 08:10:00', count: 3 },
      { from: '2026-11-20 09:00:00', to: '2026-11-20 09:00:00', count: 1 },
    ]);
  });
});
