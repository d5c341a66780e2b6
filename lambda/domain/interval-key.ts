/**
 * Bounds of a cdr_4 interval key. Known keys: 0_5_seg, 6_20_seg, 21_60_seg, 61_120_seg,
 * greater_than_121. Other servers may spell them differently, so bounds are parsed from
 * the key's shape; an unknown shape keeps the raw key with null bounds.
 */
export interface IntervalBounds {
  readonly min: number | null;
  readonly max: number | null;
}

const RANGE = /^(\d+)_(\d+)(?:_(?:seg|segs|sec|secs|s|seconds|segundos))?$/;
const ABOVE = /^(?:greater_than|more_than|mas_de|mayor_a|over|gt)_(\d+)(?:_(?:seg|segs|sec|secs|s|seconds|segundos))?$/;
const AT_LEAST = /^(\d+)_?(?:plus|or_more|o_mas)(?:_(?:seg|segs|sec|secs|s))?$/;

export function intervalBounds(key: string): IntervalBounds {
  const norm = key.trim().toLowerCase().replace(/\+/g, '_plus').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  const range = RANGE.exec(norm);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    return min <= max ? { min, max } : { min: null, max: null };
  }
  const above = ABOVE.exec(norm);
  // "greater than 121" counts whole seconds strictly above the bound.
  if (above) return { min: Number(above[1]) + 1, max: null };
  const atLeast = AT_LEAST.exec(norm);
  if (atLeast) return { min: Number(atLeast[1]), max: null };
  return { min: null, max: null };
}
