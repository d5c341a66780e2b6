/**
 * A server that spells two interval keys `__proto__` and `constructor` (the simulator's
 * vendor.intervalKeys): a day loaded as a range is stored, summed and verified with those
 * intervals counted as any other, through the parser, the totals and what is stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDay } from '../../lambda/domain/daily-parquet.ts';
import { dailyKey, DATA_TABLE, dayPrefix } from '../../lambda/domain/layout.ts';
import { INTERVAL_KEYS } from '../simulator/index.ts';
import { OP, openOperation, runRangeOnce, verificationRows, type Operation } from '../support/scheduled-operation.ts';

const DAY = '2026-11-18'; // a Wednesday
const SPELLING = { '0_5_seg': '__proto__', '6_20_seg': 'constructor' } as const;

/** Calls per interval key, in a Map: no key of an object's prototype can get in the way. */
function callsByKey(rows: Iterable<{ interval: string; calls: number | null }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(r.interval, (out.get(r.interval) ?? 0) + (r.calls ?? 0));
  return out;
}

describe('Function: runRange (interval keys named like members of every object)', () => {
  let op: Operation | undefined;
  afterEach(async () => {
    await op?.close();
    op = undefined;
  });

  it('stores, sums and verifies __proto__ and constructor like any other interval when the server spells its keys so', async () => {
    // Prepare
    op = await openOperation('2026-11-19 12:00', { traffic: { kind: 'business-hours' }, seed: 1, vendor: { intervalKeys: SPELLING } });
    const truth = op.sim.trueTotals('20261118000000', '20261118235959');
    const expected = new Map(INTERVAL_KEYS.map((k) => [k in SPELLING ? SPELLING[k as keyof typeof SPELLING] : k, truth[k]!.calls]));
    expect(expected.get('__proto__')).toBeGreaterThan(0);
    expect(expected.get('constructor')).toBeGreaterThan(0);

    // Act
    const report = await runRangeOnce(op, `${DAY} 00:00`, '2026-11-19 00:00');

    // Assess: the window objects, the day object and the day's verification all hold the true calls.
    expect(report.stopReason).toBe('done');
    const windows = op.store.keys(dayPrefix(OP.prefix, DATA_TABLE, OP.operation, DAY));
    expect(windows).toHaveLength(288);
    const rows = windows.flatMap((k) => op!.store.objects.get(k)!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { interval: string; calls: number | null }));
    expect(callsByKey(rows)).toEqual(expected);
    const day = await decodeDay((await op.store.getBytes(dailyKey(OP.prefix, OP.operation, DAY)))!);
    expect(callsByKey(day.rows)).toEqual(expected);
    const last = verificationRows(op, DAY).at(-1) as { status: string; vendor_calls_by_interval: string; stored_calls_by_interval: string } | undefined;
    expect(last?.status).toBe('verified');
    for (const side of [last?.vendor_calls_by_interval, last?.stored_calls_by_interval]) {
      expect(new Map(Object.entries(JSON.parse(side ?? '{}') as Record<string, number>))).toEqual(new Map([...expected].filter(([, n]) => n > 0)));
    }
  });
});
