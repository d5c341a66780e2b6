/**
 * 13. Three vendors side by side (issue 19): one that adds up (our reading), one that reads
 * `date_end` as exclusive (its totals never add up: the operation turns non-additive), one that
 * counts a call in the window of its end. The same business-hours operation and calls (seed 1),
 * scheduled every 5 minutes through three weeks; the simulator's requests per operation day, how
 * each day ended, and windows that differ from the vendor's own per-window answers.
 */
import { compareWithTruth, openOperation, runScheduleUntil, verificationRows, type Operation } from '../test/support/scheduled-operation.ts';
import type { VendorModel } from '../test/simulator/index.ts';

const FIRST = '2026-10-05'; // a Monday
const DAYS = 21;
const DAY_MS = 86_400_000;

const VENDORS: ReadonlyArray<readonly [string, VendorModel]> = [
  ['additive', {}],
  ['end_exclusive', { dateEnd: 'exclusive' }],
  ['counted_at_end', { countCallsAt: 'end' }],
];

function dayAfter(n: number): string {
  return new Date(Date.parse(`${FIRST}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

async function threeWeeks(vendor: VendorModel) {
  const op: Operation = await openOperation('2026-10-04 23:00', { traffic: { kind: 'business-hours' }, seed: 1, vendor });
  try {
    const calls: number[] = [];
    for (let i = 0; i < DAYS; i += 1) {
      const before = op.sim.stats.requests;
      await runScheduleUntil(op, `${dayAfter(i + 1)} 00:00`);
      calls.push(op.sim.stats.requests - before);
    }
    await runScheduleUntil(op, `${dayAfter(DAYS)} 06:00`);
    const endings = new Map<string, number>();
    let wrong = 0;
    for (let i = 0; i < DAYS; i += 1) {
      const status = verificationRows(op, dayAfter(i)).at(-1)?.status ?? 'none';
      endings.set(status, (endings.get(status) ?? 0) + 1);
      wrong += compareWithTruth(op, dayAfter(i)).wrongWindows.length;
    }
    const verdicts = Array.from({ length: DAYS }, (_, i) => dayAfter(i)).filter((d) => verificationRows(op, d).some((r) => r.status === 'unreconcilable'));
    return { calls, endings: Object.fromEntries(endings), wrong, verdicts };
  } finally {
    await op.close();
  }
}

export async function benchVendorModels() {
  const runs: Array<readonly [string, Awaited<ReturnType<typeof threeWeeks>>]> = [];
  for (const [name, vendor] of VENDORS) runs.push([name, await threeWeeks(vendor)] as const);
  const by = Object.fromEntries(runs);
  const additive = by.additive!.calls;
  const header = `day         ${VENDORS.map(([n]) => n.padStart(15)).join('')}`;
  const rows = Array.from({ length: DAYS }, (_, i) => `${dayAfter(i)}  ${runs.map(([, r]) => String(r.calls[i]).padStart(15)).join('')}`);
  console.log(`\n  calls per operation day (simulator's request log)\n  ${header}\n  ${rows.join('\n  ')}`);
  const ratio = (calls: readonly number[]) => Math.max(...calls.slice(7).map((c, i) => c / additive[i + 7]!));
  return {
    operation: `business hours, seed 1, scheduled every 5 min ${FIRST} .. ${dayAfter(DAYS - 1)} (3 weeks)`,
    ...Object.fromEntries(runs.flatMap(([name, r]) => [
      [`${name}_calls_per_day`, r.calls.join(',')],
      [`${name}_calls_total`, r.calls.reduce((a, b) => a + b, 0)],
      [`${name}_days_ended`, r.endings],
      [`${name}_verdict_days`, r.verdicts.join(',') || 'none'],
      [`${name}_windows_unlike_vendor`, r.wrong],
    ])),
    end_exclusive_max_ratio_week2_on: Number(ratio(by.end_exclusive!.calls).toFixed(3)),
    counted_at_end_max_ratio_week2_on: Number(ratio(by.counted_at_end!.calls).toFixed(3)),
    end_exclusive_bound_1_15_met: ratio(by.end_exclusive!.calls) <= 1.15,
  };
}
