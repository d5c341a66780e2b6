import { describe, expect, it } from 'vitest';
import { parseCdr4Response } from '../../../lambda/domain/cdr4-report.ts';
import { addTotals, callCount, canonicalTotals, sameTotals, subtractTotals, sumTotals, totalsOf, totalsOfReport, totalsOfRows, NO_CALLS } from '../../../lambda/domain/totals.ts';

describe('Function: sumTotals', () => {
  it('returns the calls per interval added over all totals when keys overlap in part', () => {
    // Act
    const sum = sumTotals([{ '0_5_seg': 1, '6_20_seg': 2 }, {}, { '6_20_seg': 3, greater_than_121: 4 }]);

    // Assess
    expect(sum).toEqual({ '0_5_seg': 1, '6_20_seg': 5, greater_than_121: 4 });
  });

  it('returns no calls when there is nothing to add', () => {
    // Act & Assess
    expect(sumTotals([])).toEqual(NO_CALLS);
  });
});

describe('Function: subtractTotals', () => {
  it('returns a negative count when the second totals hold more calls in an interval', () => {
    // Act
    const diff = subtractTotals({ '0_5_seg': 3, '6_20_seg': 1 }, { '6_20_seg': 2, '21_60_seg': 1 });

    // Assess
    expect(diff).toEqual({ '0_5_seg': 3, '6_20_seg': -1, '21_60_seg': -1 });
  });
});

describe('Function: sameTotals', () => {
  it('returns true when the totals differ only by keys holding zero', () => {
    // Act & Assess
    expect(sameTotals({ '0_5_seg': 2, '6_20_seg': 0 }, { '0_5_seg': 2, greater_than_121: 0 })).toBe(true);
    expect(sameTotals({}, { '0_5_seg': 0 })).toBe(true);
  });

  it('returns false when one interval differs', () => {
    // Act & Assess
    expect(sameTotals({ '0_5_seg': 2, '6_20_seg': 1 }, { '0_5_seg': 2 })).toBe(false);
  });
});

describe('Function: canonicalTotals', () => {
  it('returns the keys sorted without zeros when the totals are unordered', () => {
    // Act
    const canonical = canonicalTotals({ greater_than_121: 1, '6_20_seg': 0, '21_60_seg': 4, '0_5_seg': 2 });

    // Assess
    expect(Object.entries(canonical)).toEqual([
      ['0_5_seg', 2],
      ['21_60_seg', 4],
      ['greater_than_121', 1],
    ]);
  });
});

describe('Function: totalsOfRows', () => {
  it('returns the calls per interval with null calls counted as 0 when rows repeat an interval', () => {
    // Act
    const totals = totalsOfRows([
      { interval: '0_5_seg', calls: 2 },
      { interval: '0_5_seg', calls: 3 },
      { interval: '6_20_seg', calls: null },
      { interval: '21_60_seg', calls: 1 },
    ]);

    // Assess
    expect(totals).toEqual({ '0_5_seg': 5, '6_20_seg': 0, '21_60_seg': 1 });
  });
});

describe('Function: totalsOfReport (interval keys named like members of every object)', () => {
  // Keys a plain object answers without holding them: counted as any other key, or lost.
  const body = JSON.stringify({ code: 200, data: JSON.parse('{"__proto__":{"calls":"2"},"constructor":{"calls":"3"},"toString":{"calls":"4"},"0_5_seg":{"calls":"1"}}') });

  it('counts __proto__, constructor and toString like any other key when the vendor sends them', () => {
    // Prepare
    const report = parseCdr4Response(200, body);

    // Act
    const totals = totalsOfReport(report);

    // Assess
    expect(report.intervals.map((i) => [i.key, i.calls])).toEqual([['__proto__', 2], ['constructor', 3], ['toString', 4], ['0_5_seg', 1]]);
    expect(Object.entries(totals)).toEqual([['__proto__', 2], ['constructor', 3], ['toString', 4], ['0_5_seg', 1]]);
    expect(callCount(totals)).toBe(10);
  });

  it('adds, subtracts, compares and spells them as any other key when windows are summed and checked', () => {
    // Prepare
    const rows = (n: number) => ['__proto__', 'constructor', 'hasOwnProperty'].map((interval) => ({ interval, calls: n }));
    const window = totalsOfRows(rows(1));

    // Act
    const day = sumTotals([window, window, totalsOfRows(rows(2))]);
    const vendor = totalsOf(JSON.parse('{"__proto__":4,"constructor":4,"hasOwnProperty":5}') as Record<string, number>);

    // Assess
    expect(Object.entries(day)).toEqual([['__proto__', 4], ['constructor', 4], ['hasOwnProperty', 4]]);
    expect(sameTotals(day, vendor)).toBe(false);
    expect(Object.entries(subtractTotals(vendor, day))).toEqual([['__proto__', 0], ['constructor', 0], ['hasOwnProperty', 1]]);
    expect(sameTotals(addTotals(day, totalsOfRows([{ interval: 'hasOwnProperty', calls: 1 }])), vendor)).toBe(true);
    expect(JSON.stringify(canonicalTotals(day))).toBe('{"__proto__":4,"constructor":4,"hasOwnProperty":4}');
  });
});
