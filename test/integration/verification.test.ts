/**
 * Issue 13 as a user measures it: the scheduled path through a whole day and the hours
 * after, a month of history in one range and as a Lambda backfill, a day that never adds
 * up, and runs killed in the middle of a verification. API calls are counted from the
 * simulator's own request log; every window is compared with the simulator's truth.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../lambda/domain/metrics.ts';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { runLive, runRange } from '../../lambda/collector/runs.ts';
import { parseWall, WALL } from '../../lambda/domain/wall-clock.ts';
import type { Cdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import type { ObjectStore } from '../../lambda/storage/object-store.ts';
import { instantOfWall } from '../support/clock.ts';
import { callsCoveringDay, compareWithTruth, dayObjectLevel, OP, openOperation, runRangeOnce, runScheduleUntil, verificationRows, type Operation } from '../support/scheduled-operation.ts';

const DAY = '2026-11-18'; // a Wednesday
const MONTH_DAYS = Array.from({ length: 31 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);

describe('Verification: every day proven complete against the report\'s own totals', () => {
  let op: Operation | undefined;
  afterEach(async () => {
    await op?.close();
    op = undefined;
  });

  it('verifies a business weekday with its long calls, exactly, in at most 320 calls covering it (today: 576 and calls lost)', async () => {
    // Prepare: open weekdays 08:00-18:00, 1% of calls last 1-2.5 h; the schedule has run since noon the day before.
    op = await openOperation('2026-11-17 12:00', { traffic: { kind: 'business-hours' }, seed: 1 });

    // Act: a run every 5 minutes through the day and the hours after it.
    await runScheduleUntil(op, '2026-11-19 08:00');

    // Assess
    const truth = compareWithTruth(op, DAY);
    expect(truth.wrongWindows).toEqual([]);
    expect(truth.stored).toBe(288);
    expect(truth.storedCalls).toBe(truth.truthCalls);
    const rows = verificationRows(op, DAY);
    expect(rows.map((r) => r.status)).toContain('verified');
    expect(rows.at(-1)).toMatchObject({ status: 'verified', vendor_calls: truth.truthCalls, stored_calls: truth.truthCalls });
    expect(callsCoveringDay(op.sim, DAY)).toBeLessThanOrEqual(320);
  });

  it('stores a quiet night within QUIET_FRESHNESS_MINUTES of each window\'s end with a call per span, and busy windows within 10 minutes one call each', async () => {
    // Prepare
    op = await openOperation('2026-11-17 12:00', { traffic: { kind: 'business-hours' }, seed: 1 });

    // Act
    await runScheduleUntil(op, '2026-11-19 01:00');

    // Assess: the first fetch-log record of each window of the day (its first collection).
    const records = fetchRecords(op, DAY);
    const first = new Map<string, FetchLine>();
    // Window records only (a span call's own record spans more than 5 minutes).
    const isWindowRecord = (r: FetchLine) => Date.parse(`${r.window_end.replace(' ', 'T')}Z`) - Date.parse(`${r.window_start.replace(' ', 'T')}Z`) === 5 * 60_000;
    for (const r of records.sort((a, b) => a.requested_at.localeCompare(b.requested_at))) if (isWindowRecord(r) && !first.has(r.window_start)) first.set(r.window_start, r);
    const lateness = (r: FetchLine) => (Date.parse(r.requested_at) - windowEnd(r.window_start)) / 60_000;
    const busy = [...first.values()].filter((r) => r.window_start >= `${DAY} 08:30` && r.window_start < `${DAY} 18:00`);
    const night = [...first.values()].filter((r) => r.window_start >= `${DAY} 19:00` || r.window_start < `${DAY} 07:00`);
    expect(busy).toHaveLength(114);
    expect(busy.every((r) => r.date_ini === r.window_start.replace(/\D/g, '') && lateness(r) <= 10)).toBe(true);
    expect(night.length).toBeGreaterThan(100);
    expect(Math.max(...night.map(lateness))).toBeLessThanOrEqual(30);
    // Night windows were proved empty by calls over spans: each names its call, whose own record and request exist.
    const spanCalls = new Set(night.filter((r) => r.date_ini !== r.window_start.replace(/\D/g, '')).map((r) => `${r.fetch_id} ${r.date_ini} ${r.date_end}`));
    expect(spanCalls.size).toBeGreaterThan(10);
    expect(spanCalls.size).toBeLessThan(night.length / 4);
    for (const call of spanCalls) {
      const [, ini, end] = call.split(' ');
      expect(op.sim.stats.log.some((e) => e.dateIni === ini && e.dateEnd === end), call).toBe(true);
    }
  });

  it('collects every window with a call of its own when quiet periods are off (QUIET_FRESHNESS_MINUTES=0)', async () => {
    // Prepare
    op = await openOperation('2026-11-17 12:00', { traffic: { kind: 'business-hours' }, seed: 1 });

    // Act
    await runScheduleUntil(op, '2026-11-19 01:00', { quietFreshnessMinutes: 0 });

    // Assess
    const windowCalls = op.sim.stats.log.filter((e) => e.dateIni?.startsWith('20261118') && Number(e.dateEnd) - Number(e.dateIni) === 459);
    expect(new Set(windowCalls.map((e) => e.dateIni)).size).toBe(288);
  });

  it('verifies a day of a busy operation exactly without more calls than restating every window (576)', async () => {
    // Prepare: busy 07:00-20:00, lighter traffic before and after, every hour of the day.
    op = await openOperation('2026-11-17 12:00', { traffic: { kind: 'busy' }, seed: 1 });

    // Act
    await runScheduleUntil(op, '2026-11-19 08:00');

    // Assess
    const truth = compareWithTruth(op, DAY);
    expect(truth.wrongWindows).toEqual([]);
    expect(verificationRows(op, DAY).at(-1)?.status).toBe('verified');
    expect(callsCoveringDay(op.sim, DAY)).toBeLessThanOrEqual(576);
    expect(await dayObjectLevel(op.store, DAY)).toBe(true);
  });

  it('loads a month of history with one range at most 0.42 calls per window, every day exact and verified, and a Lambda backfill spends the same', async () => {
    // Prepare
    op = await openOperation('2026-11-25 12:00', { traffic: { kind: 'business-hours' }, seed: 2 });
    // The Lambda's vendor answers in 1.5 s, so the month takes several 14-minute runs.
    let slow: Operation | undefined;
    const backfill = await openOperation('2026-11-25 12:00', { traffic: { kind: 'business-hours' }, seed: 2, faultFor: () => void slow?.clock.advance(1_500) });
    slow = backfill;

    try {
      // Act: the CLI's way (one range), and the Lambda's (a backfill event, then scheduled runs of at most 15 minutes).
      const report = await runRangeOnce(op, '2026-10-01 00:00', '2026-11-01 00:00');
      let run = await runLive(backfill.deps, { ...OP, deadline: backfill.clock.ms + 14 * WALL.MINUTE_MS, backfill: { fromWall: parseWall('2026-10-01 00:00:00')!, toWall: parseWall('2026-11-01 00:00:00')! } });
      const pastBound = [run.verification.pastBound];
      for (let i = 0; i < 50 && run.backfillRemaining > 0; i += 1) {
        backfill.clock.advance(5 * WALL.MINUTE_MS);
        run = await runLive(backfill.deps, { ...OP, deadline: backfill.clock.ms + 14 * WALL.MINUTE_MS });
        pastBound.push(run.verification.pastBound);
      }
      // History loaded today is not late: no DaysUnverified while the backfill runs.
      expect(pastBound.every((n) => n === 0)).toBe(true);

      // Assess
      expect(report.job).toBeNull();
      const rangeCalls = op.sim.stats.requests;
      expect(rangeCalls / (31 * 288)).toBeLessThanOrEqual(0.42);
      for (const day of MONTH_DAYS) {
        expect(compareWithTruth(op, day).wrongWindows, day).toEqual([]);
        expect(verificationRows(op, day).at(-1)?.status, day).toBe('verified');
        expect(compareWithTruth(backfill, day).wrongWindows, day).toEqual([]);
        expect(verificationRows(backfill, day).at(-1)?.status, day).toBe('verified');
        // Written from each day's verification read-back (no closing refresh reads them again): level all the same.
        expect(await dayObjectLevel(op.store, day), day).toBe(true);
        expect(await dayObjectLevel(backfill.store, day), day).toBe(true);
      }
      expect(run.backfillRemaining).toBe(0);
      // The backfill's calls over October (its runs also collect the live windows of their own day).
      const octoberCalls = backfill.sim.stats.log.filter((e) => e.dateIni !== null && e.dateIni < '20261101000000' && (e.dateEnd ?? '') >= '20261001000000').length;
      // The same walk: within a few calls of the range (a run's deadline may cut a search between two calls).
      expect(Math.abs(octoberCalls - rangeCalls)).toBeLessThanOrEqual(Math.ceil(0.02 * rangeCalls));
    } finally {
      await backfill.close();
    }
  });

  it('concludes a day that never adds up is unreconcilable within its bound on checking, stops checking it and raises DaysUnverified once', async () => {
    // Prepare: the vendor's answer for one window of the day always lacks a call its day total has.
    op = await openOperation('2026-11-17 12:00', { traffic: { kind: 'business-hours' }, seed: 1 });
    const metrics = new MetricsTally();
    const real = op.deps.client;
    const shortWindow: Cdr4Client = {
      busyUntil: () => real.busyUntil(),
      fetchTokenInfo: (t) => real.fetchTokenInfo(t),
      fetchWindow: (w, t) => shortWindow.fetchSpan({ fromWall: w.startWall, toWall: w.startWall + 300_000, timeZone: w.timeZone }, t),
      async fetchSpan(span, timeoutMs) {
        const answer = await real.fetchSpan(span, timeoutMs);
        if (span.fromWall !== parseWall(`${DAY} 10:00:00`) || span.toWall - span.fromWall !== 300_000) return answer;
        const body = JSON.parse(answer.body) as { data: Record<string, { calls: string }> };
        const first = Object.values(body.data)[0]!;
        first.calls = String(Math.max(0, Number(first.calls) - 1));
        return { ...answer, body: JSON.stringify(body) };
      },
    };
    Object.assign(op, { deps: { ...op.deps, client: shortWindow, metrics } });

    // Act: five days of scheduled runs.
    const reports = await runScheduleUntil(op, '2026-11-23 12:00');

    // Assess
    const rows = verificationRows(op, DAY);
    expect(rows.some((r) => r.status === 'verified')).toBe(false);
    // The day's check found the witness (a span above its windows asked after it) and said so once; no check follows.
    const verdicts = rows.filter((r) => r.status === 'unreconcilable');
    expect(verdicts).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'changed').length).toBeLessThanOrEqual(2);
    expect(rows.at(-1)?.status).toBe('unreconcilable');
    const concluded = reports.filter((r) => r.verification.unreconcilable.includes(DAY));
    expect(concluded).toHaveLength(1);
    // The alarm's metric counts the day in the run that concluded it; the day no longer waits.
    expect(metrics.totals.get(METRIC.daysUnreconcilable)).toBe(1);
    expect(metrics.totals.get(METRIC.daysUnverified)).toBeGreaterThan(0);
    expect(reports.at(-1)!.verification.pendingDays).not.toContain(DAY);
    // Every other day is verified.
    expect(verificationRows(op, '2026-11-19').at(-1)?.status).toBe('verified');
    // The windows stay as the vendor answered them, in the day object too.
    expect(await dayObjectLevel(op.store, DAY)).toBe(true);
  });

  it('loses no verification work beyond the call in flight when a run is killed at any point of it', async () => {
    // Prepare: a day collected by a range while it was still open (calls still ran), the rest after it ended.
    async function collectedEarly(): Promise<Operation> {
      const o = await openOperation(`${DAY} 17:05`, { traffic: { kind: 'business-hours' }, seed: 3 });
      await runRangeOnce(o, `${DAY} 00:00`, `${DAY} 17:00`);
      o.clock.set(Date.parse('2026-11-19T05:10:00Z'));
      await runRangeOnce(o, `${DAY} 17:00`, '2026-11-19 00:00');
      // Past the day's horizon (4 h after it ended).
      o.clock.set(Date.parse('2026-11-19T09:30:00Z'));
      return o;
    }
    // The range again: its windows are all stored (no call), then the day is verified.
    const verifyRun = (o: Operation, deps = o.deps) => runRange(deps, { ...OP, waitForTransientMs: 0 }, parseWall(`${DAY} 00:00:00`)!, parseWall('2026-11-19 00:00:00')!);
    const verifyUntilDone = async (o: Operation) => {
      for (let i = 0; i < 5 && verificationRows(o, DAY).at(-1)?.status !== 'verified'; i += 1) {
        await verifyRun(o);
        o.clock.advance(5 * WALL.MINUTE_MS);
      }
    };
    const baseline = await collectedEarly();
    const before = baseline.sim.stats.requests;
    await verifyUntilDone(baseline);
    const cost = baseline.sim.stats.requests - before;
    const changed = verificationRows(baseline, DAY).find((r) => r.status === 'changed');
    await baseline.close();
    expect(changed).toBeDefined();
    expect(cost).toBeGreaterThan(5);

    for (const killAt of [1, 2, Math.floor(cost / 2), cost - 1]) {
      const o = await collectedEarly();
      const start = o.sim.stats.requests;
      // A kill: from the killAt-th call of the verification on, nothing more reaches the store or the API.
      const dead = () => o.sim.stats.requests - start >= killAt;
      const client = o.deps.client;
      const deadClient: Cdr4Client = { busyUntil: () => client.busyUntil(), fetchTokenInfo: (t) => (dead() ? Promise.reject(new Error('killed')) : client.fetchTokenInfo(t)), fetchWindow: (w, t) => (dead() ? Promise.reject(new Error('killed')) : client.fetchWindow(w, t)), fetchSpan: (sp, t) => (dead() ? Promise.reject(new Error('killed')) : client.fetchSpan(sp, t)) };
      await verifyRun(o, { ...o.deps, store: freezeAfter(o.store, dead), client: deadClient }).catch(() => undefined);
      o.clock.advance(5 * WALL.MINUTE_MS);
      await verifyUntilDone(o);

      // Assess
      expect(verificationRows(o, DAY).at(-1)?.status, `killed at call ${killAt}`).toBe('verified');
      expect(compareWithTruth(o, DAY).wrongWindows, `killed at call ${killAt}`).toEqual([]);
      expect(o.sim.stats.requests - start, `killed at call ${killAt}`).toBeLessThanOrEqual(cost + 1);
      await o.close();
    }
  });
});

interface FetchLine {
  fetch_id: string;
  window_start: string;
  window_end: string;
  date_ini: string;
  date_end: string;
  requested_at: string;
  outcome: string;
}

/** The fetch-log lines filed under a day's partitions. */
function fetchRecords(op: Operation, day: string): FetchLine[] {
  const prefix = `${OP.prefix}/cdr_4_fetches/operation=${OP.operation}/dt=${day}/`;
  return [...op.store.objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, body]) => JSON.parse(body.trim()) as FetchLine);
}

function windowEnd(windowStart: string): number {
  return instantOfWall(windowStart, OP.timeZone) + 5 * 60_000;
}

/** A store that, once `dead()` says so, keeps nothing more: what a kill -9 leaves behind. */
function freezeAfter(store: ObjectStore, dead: () => boolean): ObjectStore {
  return {
    put: (key, body, type) => (dead() ? Promise.reject(Object.assign(new Error('killed'), { name: 'Killed' })) : store.put(key, body, type)),
    get: (key) => store.get(key),
    getBytes: (key) => store.getBytes(key),
    list: (prefix) => store.list(prefix),
    describe: (key) => store.describe(key),
  };
}
