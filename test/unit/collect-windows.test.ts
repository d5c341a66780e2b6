import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectWindows, type CollectOptions } from '../../lambda/collector/collect-windows.ts';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { Run } from '../../lambda/collector/run.ts';
import { RunState } from '../../lambda/collector/run-state.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { dataKey } from '../../lambda/domain/layout.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { nextWindow, windowAt, type Window } from '../../lambda/domain/window.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { MemoryStore } from '../support/memory-store.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-UNIT-77aa88bb99';

describe('Function: collectWindows', () => {
  let sim: Simulator;
  let store: MemoryStore;

  beforeEach(async () => {
    // Calls take 60 ms: long enough to tell a mark written during the call from one written after it.
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, latencyMs: 60, traffic: { kind: 'busy' } });
    store = new MemoryStore();
  });
  afterEach(async () => {
    await sim.close();
  });

  const windows = (n: number): Window[] => {
    const out = [windowAt(parseWall('2026-11-18 10:00')!, TZ)];
    while (out.length < n) out.push(nextWindow(out[out.length - 1]!));
    return out;
  };
  const run = (beforeWrite: CollectOptions['beforeWrite'], ws: Window[]) => {
    const token = staticToken(TOKEN);
    const deps = { client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token }), token, store, log: silentLog, metrics: new MetricsTally(), clock: Date.now, sleep: async () => {} };
    const settings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY };
    return collectWindows(new Run(deps, settings, new RunState(deps, settings, undefined)), ws, { beforeWrite });
  };

  it('writes a window only after its beforeWrite landed, which runs while the window\'s call is out', async () => {
    // Prepare: each mark takes 40 ms, less than a call
    const marks: { window: number; started: number; landed: number }[] = [];
    const beforeWrite = async (w: Window) => {
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 40));
      marks.push({ window: w.startWall, started, landed: Date.now() });
    };
    const ws = windows(3);

    // Act
    const result = await run(beforeWrite, ws);

    // Assess
    expect(result.stop).toBe('done');
    expect(result.collected.count).toBe(3);
    expect(marks.map((m) => m.window)).toEqual(ws.map((w) => w.startWall));
    ws.forEach((w, i) => {
      const mark = marks[i]!;
      const call = sim.stats.log[i]!;
      // Started before the vendor had answered: the mark overlapped the call instead of following it.
      expect(mark.started).toBeLessThanOrEqual(call.startedAt);
      expect(store.putEndedAt.get(dataKey('p', '0032', w))!).toBeGreaterThanOrEqual(mark.landed);
    });
  });

  it('stops at the window without writing it when its beforeWrite fails', async () => {
    // Prepare: the second window's day cannot be marked
    const ws = windows(3);
    const beforeWrite = async (w: Window) => {
      if (w.startWall === ws[1]!.startWall) throw new StorageError('checkpoint write refused', {});
    };

    // Act
    const result = await run(beforeWrite, ws);

    // Assess
    expect(result.stop).toBe('transient-error');
    expect(result.stoppedAt?.window.startWall).toBe(ws[1]!.startWall);
    expect(result.stoppedAt?.error.message).toBe('checkpoint write refused');
    expect(result.collected.count).toBe(1);
    expect(store.objects.has(dataKey('p', '0032', ws[0]!))).toBe(true);
    expect(store.objects.has(dataKey('p', '0032', ws[1]!))).toBe(false);
    // No call after the one whose answer could not be kept.
    expect(sim.stats.log).toHaveLength(2);
  });
});
