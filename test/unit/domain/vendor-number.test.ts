import { describe, expect, it } from 'vitest';
import { parseVendorNumber } from '../../../lambda/domain/vendor-number.ts';

describe('Function: parseVendorNumber', () => {
  it.each([
    { raw: '', label: 'empty string' },
    { raw: ' ', label: 'a space' },
    { raw: '   \t ', label: 'whitespace' },
    { raw: null, label: 'null' },
    { raw: undefined, label: 'undefined' },
    { raw: '-', label: 'a dash' },
  ])('returns null without a warning for $label', ({ raw }) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result).toEqual({ value: null });
    expect(result.warning).toBeUndefined();
  });

  it.each([
    { raw: '12', value: 12 },
    { raw: '0', value: 0 },
    { raw: '3.50', value: 3.5 },
    { raw: '3,50', value: 3.5 },
    { raw: '1.234,5', value: 1234.5 },
    { raw: '1,234.5', value: 1234.5 },
    { raw: '1,234', value: 1234 },
    { raw: '1,234,567', value: 1234567 },
    { raw: '1.234.567', value: 1234567 },
    { raw: '1.234.567,89', value: 1234567.89 },
    { raw: '0,125', value: 0.125 },
    { raw: '-0,125', value: -0.125 },
    { raw: '12,5', value: 12.5 },
    { raw: '45%', value: 45 },
    { raw: '12,5%', value: 12.5 },
    { raw: ' 7 ', value: 7 },
    { raw: '-3', value: -3 },
    { raw: '+4', value: 4 },
    { raw: '1 234', value: 1234 },
  ])('returns $value without a warning for "$raw"', ({ raw, value }) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result).toEqual({ value });
  });

  it.each([
    { raw: 12, value: 12 },
    { raw: 0, value: 0 },
    { raw: 3.5, value: 3.5 },
    { raw: -1, value: -1 },
  ])('returns the number $raw itself', ({ raw, value }) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result).toEqual({ value });
  });

  it.each([
    { raw: NaN, label: 'NaN' },
    { raw: Infinity, label: 'Infinity' },
    { raw: -Infinity, label: '-Infinity' },
  ])('returns null with a warning for the number $label', ({ raw }) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result.value).toBeNull();
    expect(result.warning).toMatch(/non-finite/);
  });

  it.each(['abc', '1-2', '12abc', '1e3', '0x10', '.', ',', '--1', '12 calls'])('returns null with a warning naming the text for "%s"', (raw) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result.value).toBeNull();
    expect(result.warning).toBe(`not a number: ${JSON.stringify(raw)}`);
  });

  it('cuts the quoted text in the warning to 40 characters', () => {
    // Prepare
    const raw = 'x'.repeat(100);

    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result.warning).toBe(`not a number: ${JSON.stringify('x'.repeat(40))}`);
  });

  it.each([
    { raw: {}, type: 'object' },
    { raw: { calls: '1' }, type: 'object' },
    { raw: ['1'], type: 'object' },
    { raw: true, type: 'boolean' },
  ])('returns null with a warning naming the type for $raw', ({ raw, type }) => {
    // Act
    const result = parseVendorNumber(raw);

    // Assess
    expect(result).toEqual({ value: null, warning: `expected a string, got ${type}` });
  });
});
