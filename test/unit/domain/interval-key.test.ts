import { describe, expect, it } from 'vitest';
import { intervalBounds } from '../../../lambda/domain/interval-key.ts';

describe('Function: intervalBounds', () => {
  it.each([
    { key: '0_5_seg', min: 0, max: 5 },
    { key: '6_20_seg', min: 6, max: 20 },
    { key: '21_60_seg', min: 21, max: 60 },
    { key: '61_120_seg', min: 61, max: 120 },
    { key: 'greater_than_121', min: 122, max: null },
  ])('returns min $min max $max for the known key $key', ({ key, min, max }) => {
    // Act & Assess
    expect(intervalBounds(key)).toEqual({ min, max });
  });

  it.each([
    { key: '0-5 sec', min: 0, max: 5 },
    { key: '0_5', min: 0, max: 5 },
    { key: '0_5_SEG', min: 0, max: 5 },
    { key: ' 6 - 20 seconds ', min: 6, max: 20 },
    { key: '21-60 segundos', min: 21, max: 60 },
    { key: '61_120_s', min: 61, max: 120 },
    { key: '121+', min: 121, max: null },
    { key: '121 plus', min: 121, max: null },
    { key: '121_or_more', min: 121, max: null },
    { key: 'more_than_121', min: 122, max: null },
    { key: 'more than 121 sec', min: 122, max: null },
    { key: 'Greater-Than-121-Seg', min: 122, max: null },
    { key: 'mas_de_121_segundos', min: 122, max: null },
    { key: 'gt_121', min: 122, max: null },
  ])('returns min $min max $max for the variant "$key"', ({ key, min, max }) => {
    // Act & Assess
    expect(intervalBounds(key)).toEqual({ min, max });
  });

  it.each(['foo', '', 'seg', '5_0_seg', 'less_than_5', '0_5_minutes', 'greater_than', '#0'])('returns null bounds for the unknown key "%s"', (key) => {
    // Act & Assess
    expect(intervalBounds(key)).toEqual({ min: null, max: null });
  });

  it('leaves exactly 121 s outside every known key (notes: "61-121" vs "more than 121")', () => {
    // Prepare
    const keys = ['0_5_seg', '6_20_seg', '21_60_seg', '61_120_seg', 'greater_than_121'];

    // Act
    const holding121 = keys.filter((k) => {
      const { min, max } = intervalBounds(k);
      return min !== null && min <= 121 && (max === null || max >= 121);
    });

    // Assess
    expect(holding121).toEqual([]);
  });
});
