import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { runLive, type LiveRunSettings } from '../../lambda/collector/runs.ts';
import { checkpointKey, dataKey } from '../../lambda/domain/layout.ts';
import { parseWall, WALL } from '../../lambda/domain/wall-clock.ts';
import { dateEnd, dateIni, windowAt } from '../../lambda/domain/window.ts';
import { parseCollectorEvent } from '../../lambda/runtime/lambda-event.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryStore } from '../support/memory-store.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-RELIABILITY-77aa88bb';
const MINUTE = WALL.MINUTE_MS;

describe('Function: runLive (late data, backfill, budget)', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let store: MemoryStore;
  let metrics: MetricsTally;
  let faultFor: ((r: { dateIni: string }) => Fault | undefined) | undefined;

  async function start(options: { reportDelayMs?: number; dailyLimit?: number } = {}) {
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, faultFor: (r) => faultFor?.(r), ...options });
  }
  beforeEach(() => {
    clock = new ManualClock(instantOfWall('2026-11-20 10:00', TZ));
    store = new MemoryStore();
    metrics = new MetricsTally();
    faultFor = undefined;
  });
  afterEach(async () => {
    await sim.close();
  });

  function deps(tick = 0) {
    const token = staticToken(TOKEN);
    const now = () => (clock.ms += tick);
    return { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: now }), token, store, log: new CaptureLog(), metrics, clock: now, sleep: async () => {} };
  }
  const base: LiveRunSettings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY };
  const checkpoint = async () => JSON.parse((await store.get(checkpointKey('p', '0032')))!);
  const rowsOf = async (label: string) => {
    const body = (await store.get(dataKey('p', '0032', windowAt(parseWall(label)!, TZ))))!;
    return body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { calls: number; revision: number; interval: string });
  };

  it('overwrites a window with revision 2 holding the late calls when it is restated an hour later', async () => {
    // Prepare: calls reach the report 20 minutes after they end.
    await start({ reportDelayMs: 20 * MINUTE });
    const d = deps();
    await runLive(d, { ...base, restateAfterMinutes: 60 });
    const first = await rowsOf('2026-11-20 09:50');
    const truth = () => Object.values(sim.trueTotals(dateIni(windowAt(parseWall('2026-11-20 09:50')!, TZ)), dateEnd(windowAt(parseWall('2026-11-20 09:50')!, TZ)))).reduce((n, t) => n + t.calls, 0);
    const seenAtFirst = truth();

    // Act
    clock.advance(70 * MINUTE);
    const report = await runLive(d, { ...base, restateAfterMinutes: 60 });
    const restated = await rowsOf('2026-11-20 09:50');

    // Assess
    expect(first.every((r) => r.revision === 1)).toBe(true);
    expect(first.reduce((n, r) => n + r.calls, 0)).toBe(seenAtFirst);
    expect(report.restated).toBeGreaterThan(0);
    expect(restated.every((r) => r.revision === 2)).toBe(true);
    expect(restated.reduce((n, r) => n + r.calls, 0)).toBe(truth());
    expect(truth()).toBeGreaterThan(seenAtFirst);
    const fetchRevisions = store.keys('p/cdr_4_fetches/').filter((k) => k.includes('20261120095000-20261120095459')).map((k) => JSON.parse(store.objects.get(k)!).revision).sort();
    expect(fetchRevisions).toEqual([1, 2]);
    expect((await checkpoint()).restate_next > '2026-11-20 09:50:00').toBe(true);
  });

  it('does not restate windows it collected in the same run when they were already an hour old', async () => {
    // Prepare
    await start();

    // Act
    const report = await runLive(deps(), { ...base, firstRunWindows: 24, restateAfterMinutes: 60 });

    // Assess
    expect(report.collected.count).toBe(24);
    expect(report.restated).toBe(0);
    // 24 for the windows; a new store's first run also reads token_info and looks back over the month before.
    expect(report.apiCalls).toBe(26);
    expect((await checkpoint()).restate_next).toBe('2026-11-20 09:00:00');
  });

  it('works a queued backfill through several short runs after the live windows and then forgets it', async () => {
    // Prepare: each clock read costs 1 s, so a 60 s run handles only part of the day.
    await start();
    const d = deps(1_000);
    const event = parseCollectorEvent({ backfill: { from: '2026-11-19 00:00', to: '2026-11-19 06:00' } }, { now: clock.ms, timeZone: TZ, firstDay: '2026-10-01' });
    if (event.kind !== 'backfill') throw new Error('expected a backfill request');
    const remaining: number[] = [];
    const liveCollected: number[] = [];

    // Act
    const stored: number[] = [];
    const storedNow = () => store.keys('p/cdr_4/operation=0032/dt=2026-11-19/').length;
    let report = await runLive(d, { ...base, restateAfterMinutes: 0, deadline: clock.ms + 60_000, backfill: { fromWall: event.fromWall, toWall: event.toWall } });
    remaining.push(report.backfillRemaining);
    stored.push(storedNow());
    for (let i = 0; i < 40 && report.backfillRemaining > 0; i += 1) {
      clock.advance(5 * MINUTE);
      report = await runLive(d, { ...base, restateAfterMinutes: 0, deadline: clock.ms + 60_000 });
      remaining.push(report.backfillRemaining);
      stored.push(storedNow());
      liveCollected.push(report.collected.count);
    }

    // Assess
    expect(remaining[0]).toBeGreaterThan(0);
    // Top down, a run may spend itself asking spans before it stores a window: progress shows
    // over the runs, never going back.
    expect(remaining.some((r) => r > 0 && r < 72)).toBe(true);
    expect(remaining.at(-1)).toBe(0);
    expect([...remaining].sort((a, b) => b - a)).toEqual(remaining);
    // Every window of the 72 is either stored or counted as left, never both.
    expect(remaining.map((r, i) => r + stored[i]!)).toEqual(remaining.map(() => 72));
    // Each run still took the live window that became due since the one before.
    expect(liveCollected.every((n) => n >= 1)).toBe(true);
    expect(store.keys('p/cdr_4/operation=0032/dt=2026-11-19/')).toHaveLength(72);
    expect((await checkpoint()).backfills).toEqual([]);
    expect(sim.stats.maxInFlight).toBe(1);
  });

  it('collects a backfill longer than one planning chunk in full when time allows', async () => {
    // Prepare
    await start();
    const d = deps();

    // Act
    const report = await runLive(d, { ...base, restateAfterMinutes: 0, maxWindowsPerRun: 10, backfill: { fromWall: parseWall('2026-11-19 00:00')!, toWall: parseWall('2026-11-19 02:30')! } });

    // Assess
    expect(report.backfilled).toBe(30);
    expect(report.backfillRemaining).toBe(0);
    expect((await checkpoint()).backfills).toEqual([]);
  });

  it('pauses restatement and backfill but keeps live windows when the daily cap leaves nothing for history', async () => {
    // Prepare: 10:00 leaves 168 live windows today; a cap of 200 with 40 calls spent leaves no room for history.
    await start();
    const d = deps();
    await runLive(d, { ...base, dailyCallCap: 200 });
    const cp = await checkpoint();
    await store.put(checkpointKey('p', '0032'), JSON.stringify({ ...cp, budget: { day: '2026-11-20', calls: 40 } }), 'application/json');
    clock.advance(90 * MINUTE);

    // Act
    const report = await runLive(d, { ...base, dailyCallCap: 200, backfill: { fromWall: parseWall('2026-11-19 00:00')!, toWall: parseWall('2026-11-19 01:00')! } });

    // Assess
    expect(report.collected.count).toBe(18);
    expect(report.restated).toBe(0);
    expect(report.backfilled).toBe(0);
    expect(report.budgetExhausted).toBe(true);
    expect(report.backfillRemaining).toBe(12);
    expect(metrics.totals.get('TokenBudgetExhausted')).toBe(1);
    expect((await checkpoint()).budget).toEqual({ day: '2026-11-20', calls: 58 });
  });

  it('keeps the rest of the day\'s live windows when a large backfill meets a token with no DAILY_CALL_CAP', async () => {
    // Prepare: the token allows 1,000 calls a day and nothing is kept for other integrations, so
    // only the live reserve stands between a 10-day backfill and the schedule's windows.
    await start({ dailyLimit: 1_000 });
    const d = deps();
    const settings: LiveRunSettings = { ...base, restateAfterMinutes: 0, tokenReserve: { calls: 0 } };
    await runLive(d, settings);

    // Act: the backfill, then the schedule hourly until the day's last window.
    const backfill = await runLive(d, { ...settings, backfill: { fromWall: parseWall('2026-11-05 00:00')!, toWall: parseWall('2026-11-15 00:00')! } });
    const later = [];
    while (clock.ms < instantOfWall('2026-11-20 23:00', TZ)) {
      clock.advance(60 * MINUTE);
      later.push(await runLive(d, settings));
    }

    // Assess
    // History stopped for today with most of the backfill left, and no call went unanswered.
    expect(backfill.budgetExhausted).toBe(true);
    expect(backfill.backfillRemaining).toBeGreaterThan(1_000);
    expect(later.map((r) => r.stopReason).filter((s) => s === 'token-limit')).toEqual([]);
    expect(sim.stats.byStatus[403] ?? 0).toBe(0);
    const stored = new Set(store.keys('p/cdr_4/operation=0032/dt=2026-11-20/'));
    const due: string[] = [];
    for (let w = parseWall('2026-11-20 10:00')!; w <= parseWall('2026-11-20 22:50')!; w += 5 * MINUTE) due.push(dataKey('p', '0032', windowAt(w, TZ)));
    expect(due.filter((k) => !stored.has(k))).toEqual([]);
    expect(due).toHaveLength(155);
  });

  it('stops even live windows when the hard daily cap is spent', async () => {
    // Prepare
    await start();
    const d = deps();
    await runLive(d, { ...base, dailyCallCap: 5, restateAfterMinutes: 0 });
    clock.advance(60 * MINUTE);

    // Act
    const report = await runLive(d, { ...base, dailyCallCap: 5, restateAfterMinutes: 0 });

    // Assess
    expect(report.apiCalls).toBe(4);
    expect(report.stopReason).toBe('budget');
    expect(report.budgetExhausted).toBe(true);
    expect(report.windowsBehind).toBe(8);
  });

  it('takes a quarantined window out of quarantine when a backfill collects it', async () => {
    // Prepare
    await start();
    const d = deps();
    await runLive(d, { ...base, restateAfterMinutes: 0 });
    faultFor = (r) => (r.dateIni === '20261120095500' ? { kind: 'badShape' } : undefined);
    for (let i = 0; i < 3; i += 1) {
      clock.advance(5 * MINUTE);
      await runLive(d, { ...base, restateAfterMinutes: 0 });
    }
    expect((await checkpoint()).quarantined).toEqual(['2026-11-20 09:55:00']);
    faultFor = undefined;

    // Act
    const report = await runLive(d, { ...base, restateAfterMinutes: 0, backfill: { fromWall: parseWall('2026-11-20 09:55')!, toWall: parseWall('2026-11-20 10:00')! } });

    // Assess
    expect(report.backfilled).toBe(1);
    expect((await checkpoint()).quarantined).toEqual([]);
    expect(await store.get(dataKey('p', '0032', windowAt(parseWall('2026-11-20 09:55')!, TZ)))).not.toBeNull();
  });

  it('keeps one job when the same backfill is requested twice', async () => {
    // Prepare
    await start();
    const d = deps();
    const backfill = { fromWall: parseWall('2026-11-20 09:30')!, toWall: parseWall('2026-11-20 12:00')! };

    // Act
    await runLive(d, { ...base, restateAfterMinutes: 0, backfill });
    await runLive(d, { ...base, restateAfterMinutes: 0, backfill });

    // Assess
    expect((await checkpoint()).backfills).toHaveLength(1);
  });

  it('finishes the run and keeps both jobs queued when two backfills wait for windows that have not ended', async () => {
    // Prepare: the clock is 10:00; both ranges reach past it.
    await start();
    const d = deps();
    await runLive(d, { ...base, restateAfterMinutes: 0, backfill: { fromWall: parseWall('2026-11-20 09:40')!, toWall: parseWall('2026-11-20 11:00')! } });

    // Act
    const report = await runLive(d, { ...base, restateAfterMinutes: 0, backfill: { fromWall: parseWall('2026-11-20 09:30')!, toWall: parseWall('2026-11-20 12:00')! } });

    // Assess: each job went as far as time allows and waits in the queue for the rest.
    const jobs = (await checkpoint()).backfills.map((b: { from: string; next: string }) => [b.from, b.next]).sort();
    expect(jobs).toEqual([
      ['2026-11-20 09:30:00', '2026-11-20 10:00:00'],
      ['2026-11-20 09:40:00', '2026-11-20 10:00:00'],
    ]);
    expect(report.backfillRemaining).toBeGreaterThan(0);
  });
});

describe('Function: runLive (a backfill ending in the hour a clock change skips)', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it('finishes the job and the run when what is left of the job lies in the skipped hour', async () => {
    // Prepare: Chile springs forward at 2026-09-06 00:00 (to 01:00). At 01:01 the last window
    // that has ended is 23:55, and the job's rest, 00:00 to 01:00, holds no window at all.
    const tz = 'America/Santiago';
    const clock = new ManualClock(instantOfWall('2026-09-06 01:01', tz));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: tz, now: clock.now });
    const store = new MemoryStore();
    const token = staticToken(TOKEN);
    const d = { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }), token, store, log: new CaptureLog(), metrics: new MetricsTally(), clock: clock.now, sleep: async () => {} };
    const settings: LiveRunSettings = { operation: '0032', prefix: 'p', timeZone: tz, settleMinutes: 0, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY, restateAfterMinutes: 0 };

    // Act
    const report = await runLive(d, { ...settings, backfill: { fromWall: parseWall('2026-09-05 23:00')!, toWall: parseWall('2026-09-06 01:00')! } });

    // Assess
    expect(report.backfillRemaining).toBe(0);
    expect(JSON.parse((await store.get(checkpointKey('p', '0032')))!).backfills).toEqual([]);
    expect(store.keys('p/cdr_4/operation=0032/dt=2026-09-05/').filter((k) => k.includes('hour=23'))).toHaveLength(12);
  });
});

describe('Function: runLive (a report that only answers 404)', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it('raises ReportSilentDays and names the silence once no answer has shown a call for longer than SILENT_DAYS', async () => {
    // Prepare: the server answers 404 "Validate dates entered" to every cdr_4 call, for 8 days of hourly runs.
    const clock = new ManualClock(instantOfWall('2026-11-20 10:00', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, vendor: { answer404: true } });
    const metrics = new MetricsTally();
    const token = staticToken(TOKEN);
    const d = { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }), token, store: new MemoryStore(), log: new CaptureLog(), metrics, clock: clock.now, sleep: async () => {} };
    const settings: LiveRunSettings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY, restateAfterMinutes: 0, silentDays: 7 };
    const first = await runLive(d, settings);

    // Act
    let last = first;
    for (let hour = 0; hour < 8 * 24; hour += 1) {
      clock.advance(60 * MINUTE);
      last = await runLive(d, settings);
    }

    // Assess: the new store's look back already found a month without a call.
    expect(first.verification.silentSince).toBeDefined();
    expect(last.verification.silentSince).toBe(first.verification.silentSince);
    expect(metrics.totals.get('ReportSilentDays')).toBeGreaterThanOrEqual(7);
  });

  it('reports no silence when the answers show calls', async () => {
    // Prepare
    const clock = new ManualClock(instantOfWall('2026-11-20 10:00', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
    const metrics = new MetricsTally();
    const token = staticToken(TOKEN);
    const d = { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }), token, store: new MemoryStore(), log: new CaptureLog(), metrics, clock: clock.now, sleep: async () => {} };

    // Act
    const report = await runLive(d, { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY, silentDays: 7 });

    // Assess
    expect(report.verification.silentSince).toBeUndefined();
    expect(metrics.totals.get('ReportSilentDays')).toBeUndefined();
  });
});
