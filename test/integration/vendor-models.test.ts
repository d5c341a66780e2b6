/**
 * Issue 19 as an operation lives it: a vendor that reads `date_end` as exclusive (its totals do
 * not add up) under the schedule for three weeks, against one that adds up; then the way back
 * once the vendor is fixed, and a day tried again on demand. Calls are counted in the
 * simulator's own request log; windows are compared with the vendor's own per-window answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { lambdaResultOf } from '../../lambda/collector/run-report.ts';
import { runLive, type RunReport } from '../../lambda/collector/runs.ts';
import { parseDay, type Day } from '../../lambda/domain/day.ts';
import { ConfigError } from '../../lambda/domain/errors.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { METRIC } from '../../lambda/domain/metrics.ts';
import { summarize } from '../../lambda/local/summary.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { compareWithTruth, OP, openOperation, runScheduleUntil, type Operation } from '../support/scheduled-operation.ts';

const DAY_MS = 86_400_000;
const SUMMARY = { server: OP.operation, timeZone: OP.timeZone, where: 'memory', cap: undefined, rangeWaitMs: 0, args: { out: 'data', outGiven: false, refetch: false, verbose: false, help: false } };

/** `YYYY-MM-DD` of the n-th day after `first`. */
function dayAfter(first: string, n: number): string {
  return new Date(Date.parse(`${first}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Scheduled runs day by day through `days` days from `first`; the simulator's requests on each day, and every report. */
async function scheduleDays(op: Operation, first: string, days: number, settle = '06:00'): Promise<{ calls: Map<string, number>; reports: RunReport[] }> {
  const calls = new Map<string, number>();
  const reports: RunReport[] = [];
  for (let i = 0; i < days; i += 1) {
    const before = op.sim.stats.requests;
    reports.push(...(await runScheduleUntil(op, `${dayAfter(first, i + 1)} 00:00`)));
    calls.set(dayAfter(first, i), op.sim.stats.requests - before);
  }
  // Past the last day's late-call horizon: it is closed too.
  reports.push(...(await runScheduleUntil(op, `${dayAfter(first, days)} ${settle}`)));
  return { calls, reports };
}

interface Row {
  readonly status: string;
  readonly note: string | null;
  readonly witness_start?: string | null;
  readonly api_calls: number;
  readonly checked_at: string;
}

function rows(op: Operation, day: string): Row[] {
  const prefix = `${OP.prefix}/cdr_4_verifications/operation=${OP.operation}/dt=${day}/`;
  return [...op.store.objects.entries()]
    .filter(([k]) => k.startsWith(prefix))
    .map(([, body]) => JSON.parse(body.trim()) as Row)
    .sort((a, b) => a.checked_at.localeCompare(b.checked_at));
}

describe('Vendor model: a vendor whose totals do not add up, under the schedule', () => {
  let ops: Operation[] = [];
  afterEach(async () => {
    await Promise.all(ops.map((o) => o.close()));
    ops = [];
  });

  it('concludes the first two days, switches once, keeps every window equal to the vendor\'s and spends no more than 1.15 x the calls of a vendor that adds up from the second week on', async () => {
    // Prepare: business hours (08:00-18:00 weekdays, long calls), the same calls (seed) at both vendors.
    const metrics = new MetricsTally();
    const exclusive = await openOperation('2026-10-04 23:00', { traffic: { kind: 'business-hours' }, seed: 1, vendor: { dateEnd: 'exclusive' } }, { metrics });
    // The vendor that adds up starts the Saturday before the second week: its first days settle before they count.
    const additive = await openOperation('2026-10-10 23:00', { traffic: { kind: 'business-hours' }, seed: 1 });
    ops = [exclusive, additive];

    // Act: three weeks of runs every 5 minutes (2026-10-05 is a Monday).
    const ex = await scheduleDays(exclusive, '2026-10-05', 21);
    const add = await scheduleDays(additive, '2026-10-11', 15);

    // Assess: every window as the vendor answers it for that window, every day.
    const days = Array.from({ length: 21 }, (_, i) => dayAfter('2026-10-05', i));
    for (const day of days) {
      const truth = compareWithTruth(exclusive, day);
      expect(truth.stored, day).toBe(288);
      expect(truth.wrongWindows, day).toEqual([]);
    }
    // The first two days end with the verdict and where its witness sits; every day then closes as collected.
    const verdictDays = days.filter((d) => rows(exclusive, d).some((r) => r.status === 'unreconcilable'));
    expect(verdictDays).toEqual(['2026-10-05', '2026-10-06']);
    for (const day of verdictDays) {
      const verdict = rows(exclusive, day).filter((r) => r.status === 'unreconcilable');
      expect(verdict).toHaveLength(1);
      expect(verdict[0]!.note).toMatch(/its totals do not add up there/);
      expect(verdict[0]!.witness_start).toMatch(new RegExp(`^${day}`));
      expect(ex.reports.filter((r) => r.verification.unreconcilable.includes(day))).toHaveLength(1);
    }
    for (const day of days) {
      const closing = rows(exclusive, day).at(-1)!;
      expect(closing.status, day).toBe('collected');
      expect(closing.note, day).toMatch(/vendor_mode non-additive since/);
      expect(rows(exclusive, day).some((r) => r.status === 'verified'), day).toBe(false);
    }
    // The alarm counts each verdict day once, and no other day.
    expect(metrics.totals.get(METRIC.daysUnreconcilable)).toBe(2);
    expect(metrics.totals.get(METRIC.daysUnverified)).toBe(2);
    // The switch shows in the figures, the Lambda's result and the CLI summary.
    const switched = ex.reports.findIndex((r) => r.verification.vendorMode === 'non-additive');
    expect(switched).toBeGreaterThan(0);
    expect(ex.reports.slice(switched).every((r) => r.verification.vendorMode === 'non-additive')).toBe(true);
    expect(metrics.totals.get(METRIC.vendorNotAdditive)).toBe(ex.reports.length - switched);
    expect(lambdaResultOf(ex.reports.at(-1)!).vendorMode).toBe('non-additive');
    expect(summarize(ex.reports.at(-1)!, SUMMARY)).toContain('vendor model non-additive');
    // The calls: from the second week on, day by day, within 1.15 x the vendor that adds up.
    for (const day of days.slice(7)) {
      expect(ex.calls.get(day)!, day).toBeLessThanOrEqual(1.15 * add.calls.get(day)!);
    }
  }, 300_000);
});

describe('Vendor model: the way back once the vendor is fixed, and a day tried again', () => {
  let sims: Simulator[] = [];
  let op: Operation | undefined;
  afterEach(async () => {
    await op?.close();
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
    op = undefined;
  });

  /** Three days of an end-exclusive vendor: the operation is non-additive after them. */
  async function switchedOperation(): Promise<Operation> {
    const o = await openOperation('2026-10-04 23:00', { traffic: { kind: 'business-hours' }, seed: 2, vendor: { dateEnd: 'exclusive' } });
    await runScheduleUntil(o, '2026-10-08 06:00');
    return o;
  }

  /** The vendor fixed: the same calls, a `date_end` read as documented. */
  async function fixVendor(o: Operation): Promise<Simulator> {
    const fixed = await startSimulator({ traffic: { kind: 'business-hours' }, seed: 2, token: 'tok-SCHEDULED-0c1d2e', server: OP.operation, timeZone: OP.timeZone, now: o.clock.now });
    sims.push(fixed);
    const token = staticToken('tok-SCHEDULED-0c1d2e');
    Object.assign(o, { deps: { ...o.deps, client: createCdr4Client({ baseUrl: fixed.origin, server: OP.operation, token, clock: o.clock.now }) } });
    return fixed;
  }

  it('refuses a recheck while the operation is non-additive, before any call and changing nothing', async () => {
    // Prepare
    op = await switchedOperation();
    const checkpoint = op.store.objects.get(checkpointKey(OP.prefix, OP.operation));
    const requests = op.sim.stats.requests;

    // Act
    const run = runLive(op.deps, { ...OP, operatorAsks: { recheck: [parseDay('2026-10-05')!] } });

    // Assess
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/ask it together with the vendor model additive/);
    expect(op.sim.stats.requests).toBe(requests);
    expect(op.store.objects.get(checkpointKey(OP.prefix, OP.operation))).toBe(checkpoint);
  });

  it('verifies new days and the day asked again once the mode is set back to additive', async () => {
    // Prepare
    op = await switchedOperation();
    expect(JSON.parse(op.store.objects.get(checkpointKey(OP.prefix, OP.operation))!).vendor_mode).toBe('non-additive');
    const fixed = await fixVendor(op);
    const recheck: Day[] = [parseDay('2026-10-05')!];

    // Act: the operator's asks, then the schedule through two more days.
    const asked = await runLive(op.deps, { ...OP, operatorAsks: { vendorMode: 'additive', recheck } });
    const reports = await runScheduleUntil(op, '2026-10-10 06:00');

    // Assess
    expect(asked.asked).toEqual({ vendorMode: { from: 'non-additive', to: 'additive' }, recheck: ['2026-10-05'] });
    expect(summarize(asked, SUMMARY)).toContain('Vendor model set to additive (was non-additive)');
    const checkpoint = JSON.parse(op.store.objects.get(checkpointKey(OP.prefix, OP.operation))!) as { vendor_mode: string; unreconcilable_days: string[] };
    expect(checkpoint.vendor_mode).toBe('additive');
    expect(checkpoint.unreconcilable_days).toEqual([]);
    expect(reports.every((r) => r.verification.vendorMode === 'additive')).toBe(true);
    // The day asked again: after its verdict and its close, verified against the fixed vendor, every window as it answers.
    const statuses = rows(op, '2026-10-05').map((r) => r.status);
    expect(statuses.slice(0, statuses.indexOf('unreconcilable') + 1)).toContain('unreconcilable');
    expect(statuses.at(-1)).toBe('verified');
    expect(compareWithTruth({ ...op, sim: fixed }, '2026-10-05').wrongWindows).toEqual([]);
    // Days after the fix are verified again; the other verdict day, not asked, keeps its rows.
    expect(rows(op, '2026-10-08').at(-1)?.status).toBe('verified');
    expect(rows(op, '2026-10-06').some((r) => r.status === 'verified')).toBe(false);
  }, 120_000);
});
