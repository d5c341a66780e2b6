/**
 * How a run ends when it fails: the lease is what keeps two collectors from writing one
 * operation's objects at once, so it is given back only after the failed run's own writes.
 * A window's objects landing after it would overwrite what the next holder wrote (a refetch's
 * revision 2 with the failed run's revision 1).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { runRange, type RangeRunSettings } from '../../lambda/collector/runs.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-RUNEND-3f9a1c07';

/** Writes that take a little real time, counted while they are in flight; checkpoint saves fail after the first `savesOk`. */
class SlowStore extends MemoryStore {
  inFlight = 0;
  private saves = 0;
  private readonly savesOk: number;
  constructor(savesOk: number) {
    super();
    this.savesOk = savesOk;
  }
  override async put(key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
    this.inFlight += 1;
    try {
      await new Promise((r) => setTimeout(r, 15));
      if (key === checkpointKey('p', '0032') && ++this.saves > this.savesOk) throw new StorageError(`could not write ${key}: disk full`, { key });
      await super.put(key, body, contentType);
    } finally {
      this.inFlight -= 1;
    }
  }
}

describe('Function: runRange (a run that fails)', () => {
  let sim: Simulator;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('gives the lease back only after every write it started has landed when a save fails mid-walk', async () => {
    // Prepare: a day's range whose ninth save fails while the next window's objects are being written.
    const store = new SlowStore(8);
    const leases = new MemoryLeaseStore();
    const inFlightAtLeaseWrites: number[] = [];
    const replace = leases.replaceIfMatch.bind(leases);
    leases.replaceIfMatch = async (...args) => {
      inFlightAtLeaseWrites.push(store.inFlight);
      return replace(...args);
    };
    const token = staticToken(TOKEN);
    const deps = {
      client: createCdr4Client({ baseUrl: sim.origin, server: '0032', token, clock: clock.now }),
      token,
      store,
      leases,
      holder: { kind: 'cli' as const, host: 'test', pid: 1, run: 'r1' },
      log: new CaptureLog(),
      metrics: new MetricsTally(),
      clock: clock.now,
      sleep: async () => {},
    };
    const settings: RangeRunSettings = { operation: '0032', prefix: 'p', timeZone: TZ, settleMinutes: 5, requestTimeoutMs: 5_000, deadline: Number.POSITIVE_INFINITY };

    // Act
    const error = await runRange(deps, settings, parseWall('2026-11-20 00:00')!, parseWall('2026-11-21 00:00')!).catch((e: unknown) => e);

    // Assess: the run failed with the save's error, and its lease was given back (the last
    // lease write) with none of its writes still in flight.
    expect(error).toBeInstanceOf(StorageError);
    expect(inFlightAtLeaseWrites.length).toBeGreaterThan(0);
    expect(inFlightAtLeaseWrites.at(-1)).toBe(0);
    expect(store.inFlight).toBe(0);
  });
});
