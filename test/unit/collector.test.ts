import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { runLive, runRange, type LiveRunSettings } from '../../lambda/collector/runs.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryStore } from '../support/memory-store.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-UNIT-0b1c2d3e4f';
const MINUTE = 60_000;

describe('Function: runLive', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let store: MemoryStore;
  let faultFor: ((r: { dateIni: string }) => Fault | undefined) | undefined;

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-20 09:00', TZ));
    faultFor = undefined;
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, faultFor: (r) => faultFor?.(r) });
    store = new MemoryStore();
  });
  afterEach(async () => {
    await sim.close();
  });

  function deps() {
    const token = staticToken(TOKEN);
    const metrics = new MetricsTally();
    const log = new CaptureLog();
    const sleeps: number[] = [];
    return {
      deps: { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }), token, store, log, metrics, clock: clock.now, sleep: async (ms: number) => void sleeps.push(ms) },
      metrics,
      log,
      sleeps,
    };
  }
  const settings: LiveRunSettings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY, restateAfterMinutes: 0 };
  const checkpoint = async () => JSON.parse((await store.get(checkpointKey('p', '0032')))!);

  it('returns only the latest due window when there is no checkpoint', async () => {
    // Act
    const report = await runLive(deps().deps, settings);

    // Assess
    expect(report.collected.count).toBe(1);
    expect(report.collected.first?.startWall).toBe(parseWall('2026-11-20 08:50'));
    expect((await checkpoint()).next_window).toBe('2026-11-20 08:55:00');
  });

  it('writes two objects per window and one checkpoint per run when windows are collected', async () => {
    // Prepare
    const { deps: d, metrics } = deps();
    await runLive(d, settings);
    clock.advance(60 * MINUTE);
    store.puts = 0;

    // Act
    const report = await runLive(d, settings);

    // Assess
    expect(report.collected.count).toBe(12);
    expect(report.apiCalls).toBe(12);
    expect(store.puts).toBe(12 * 2 + 1);
    expect(metrics.totals.get('WindowsCollected')).toBe(13);
  });

  it('retries a 503 with backoff within the run when the failure is transient', async () => {
    // Prepare
    const { deps: d, sleeps } = deps();
    sim.inject({ kind: 'http503' }, 2);

    // Act
    const report = await runLive(d, settings);

    // Assess
    expect(report.stopReason).toBe('done');
    // Three for the window; a new store's first run also reads token_info and looks back over the month before.
    expect(report.apiCalls).toBe(5);
    expect(sleeps).toEqual([1_000, 4_000]);
    const outcomes = store.keys('p/cdr_4_fetches/').map((k) => JSON.parse(store.objects.get(k)!).outcome).sort();
    // The look back's answer is logged too.
    expect(outcomes).toEqual(['collected', 'collected', 'failed', 'failed']);
  });

  it('stops at the window without retrying when the API is in maintenance', async () => {
    // Prepare
    const { deps: d } = deps();
    await runLive(d, settings);
    clock.advance(30 * MINUTE);
    faultFor = (r) => (r.dateIni === '20261120090500' ? { kind: 'maintenance' } : undefined);

    // Act
    const stopped = await runLive(d, settings);
    faultFor = undefined;
    const resumed = await runLive(d, settings);

    // Assess
    expect(stopped.stopReason).toBe('transient-error');
    expect(stopped.collected.count).toBe(2);
    expect([stopped.collected.first?.startWall, stopped.collected.last?.startWall]).toEqual([parseWall('2026-11-20 08:55'), parseWall('2026-11-20 09:00')]);
    expect(stopped.apiCalls).toBe(3);
    expect(resumed.collected.first?.startWall).toBe(parseWall('2026-11-20 09:05'));
    expect(resumed.windowsBehind).toBe(0);
  });

  it('quarantines a window on its third failing run and moves on when its answer cannot be parsed', async () => {
    // Prepare
    const { deps: d, log } = deps();
    await runLive(d, settings);
    clock.advance(10 * MINUTE);
    faultFor = (r) => (r.dateIni === '20261120085500' ? { kind: 'badShape' } : undefined);

    // Act
    const runs = [];
    for (let i = 0; i < 3; i += 1) runs.push(await runLive(d, settings));

    // Assess
    expect(runs.map((r) => r.stopReason)).toEqual(['failed', 'failed', 'done']);
    expect(runs.map((r) => r.apiCalls)).toEqual([1, 1, 2]);
    const cp = await checkpoint();
    expect(cp.quarantined).toEqual(['2026-11-20 08:55:00']);
    expect(cp.failures).toEqual({});
    expect(cp.next_window).toBe('2026-11-20 09:05:00');
    expect(log.lines.some((l) => l.includes('quarantined'))).toBe(true);
    const outcomes = store.keys('p/cdr_4_fetches/').filter((k) => k.includes('20261120085500')).map((k) => JSON.parse(store.objects.get(k)!).outcome as string);
    expect(outcomes.filter((o) => o === 'quarantined')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(2);
  });

  it('makes no call until the operation\'s midnight when the vendor says the daily limit is spent', async () => {
    // Prepare
    const { deps: d, metrics } = deps();
    await runLive(d, settings);
    clock.advance(30 * MINUTE);
    sim.inject({ kind: 'tokenLimit' });

    // Act
    const limited = await runLive(d, settings);
    clock.advance(60 * MINUTE);
    const waiting = await runLive(d, settings);
    const before = sim.stats.requests;
    clock.set(instantOfWall('2026-11-21 00:01', TZ));
    const nextDay = await runLive(d, settings);

    // Assess
    expect(limited.stopReason).toBe('token-limit');
    expect((await checkpoint()).token_limit_until).toBe(null);
    expect(waiting.stopReason).toBe('token-limit-wait');
    expect(waiting.apiCalls).toBe(0);
    // The first run's window, token_info and the new store's look back, then the limited call.
    expect(before).toBe(4);
    expect(nextDay.stopReason).toBe('done');
    expect(nextDay.collected.first?.startWall).toBe(parseWall('2026-11-20 08:55'));
    expect(metrics.totals.get('TokenBudgetExhausted')).toBe(2);
  });

  it('overlaps writing a window with the request for the next when writes are slow', async () => {
    // Prepare
    store = new MemoryStore(100);
    const { deps: d } = deps();
    clock.set(instantOfWall('2026-11-20 12:00', TZ));

    // Act
    const report = await runRange(d, settings, parseWall('2026-11-20 08:00')!, parseWall('2026-11-20 09:40')!);

    // Assess
    expect(report.collected.count).toBe(20);
    expect(sim.stats.maxInFlight).toBe(1);
    const dataKeys = store.keys('p/cdr_4/');
    expect(dataKeys).toHaveLength(20);
    // Ordering, not speed: request N+1 went out before window N's object was stored.
    const requests = sim.stats.log;
    const overlapped = dataKeys.slice(0, -1).filter((key, i) => (requests[i + 1]?.startedAt ?? Infinity) < store.putEndedAt.get(key)!);
    expect(overlapped.length).toBeGreaterThanOrEqual(12);
  });

  it('leaves the checkpoint before a window whose write failed when S3 rejects it', async () => {
    // Prepare
    const { deps: d } = deps();
    await runLive(d, settings);
    clock.advance(30 * MINUTE);
    const put = store.put.bind(store);
    store.put = async (key, body, type) => {
      if (key.includes('/cdr_4/') && key.includes('20261120090500')) throw new Error('injected S3 failure');
      return put(key, body, type);
    };

    // Act
    const report = await runLive(d, settings);

    // Assess
    expect(report.stopReason).toBe('transient-error');
    expect(report.stoppedAt?.window.startWall).toBe(parseWall('2026-11-20 09:05'));
    expect((await checkpoint()).next_window).toBe('2026-11-20 09:05:00');
  });
});
