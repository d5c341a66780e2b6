import { describe, expect, it } from 'vitest';
import { dayLabel } from '../../../lambda/domain/day.ts';
import { ConfigError } from '../../../lambda/domain/errors.ts';
import { parseRecheckDays, parseVendorMode } from '../../../lambda/domain/operator-asks.ts';
import { instantOfWall } from '../../support/clock.ts';
import { thrownBy } from '../../support/thrown.ts';

const TZ = 'America/Bogota';
/** 2026-11-20 00:30 in Bogota is already 05:30 UTC: "today" is the operation's 2026-11-20. */
const BOUNDS = { now: instantOfWall('2026-11-20 00:30', TZ), timeZone: TZ, firstDay: '2026-10-01' };


describe('Function: parseRecheckDays', () => {
  it('returns the one day when a day that has ended is given', () => {
    // Act
    const days = parseRecheckDays('2026-11-19', '--recheck', BOUNDS);

    // Assess
    expect(days.map(dayLabel)).toEqual(['2026-11-19']);
  });

  it('returns every day of the range, both ends included, when a range is given', () => {
    // Act
    const days = parseRecheckDays('2026-10-30..2026-11-02', '--recheck', BOUNDS);

    // Assess
    expect(days.map(dayLabel)).toEqual(['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02']);
  });

  it.each([
    ['yesterday', 'is not a day YYYY-MM-DD'],
    ['2026-11-31', 'is not a day'],
    ['2026-11-01..2026-11-02..2026-11-03', 'is not a day'],
    ['2026-11-05..2026-11-01', 'ends before it starts'],
    ['2026-11-20', '2026-11-20 has not ended yet (today is 2026-11-20 on the America/Bogota clock)'],
    ['2026-11-19..2026-11-21', '2026-11-21 has not ended yet'],
    ['2026-09-30', 'before the operation\'s first day 2026-10-01'],
  ])('throws a ConfigError naming the flag and the problem when given %s', (text, message) => {
    // Act
    const error = thrownBy(() => parseRecheckDays(text, '--recheck', BOUNDS));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('--recheck');
    expect(error?.message).toContain(message);
  });

  it('refuses more days than a backfill may span, and takes 92', () => {
    // Act
    const tooMany = thrownBy(() => parseRecheckDays('2025-08-01..2025-11-01', 'recheck', { ...BOUNDS, firstDay: '2025-01-01' }));
    const most = parseRecheckDays('2025-08-01..2025-10-31', 'recheck', { now: BOUNDS.now, timeZone: TZ });

    // Assess
    expect(tooMany?.message).toContain('93 days, more than the 92 one request may name');
    expect(most).toHaveLength(92);
  });
});

describe('Function: parseVendorMode', () => {
  it('returns the mode when it is one', () => {
    // Act / Assess
    expect(parseVendorMode('additive', '--vendor-model')).toBe('additive');
    expect(parseVendorMode('non-additive', '--vendor-model')).toBe('non-additive');
  });

  it('throws a ConfigError listing the modes when the text is none of them', () => {
    // Act
    const error = thrownBy(() => parseVendorMode('Additive', '--vendor-model'));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe('--vendor-model: "Additive" is not a vendor model: use "additive" or "non-additive"');
  });
});
