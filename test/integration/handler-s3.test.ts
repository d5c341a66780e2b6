import { S3LeaseStore } from '../../lambda/storage/s3-lease-store.ts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { ALLOWANCE_DEFAULTS, type LambdaConfig } from '../../lambda/config.ts';
import { checkpointKey, dataKey } from '../../lambda/domain/layout.ts';
import { windowsBetween } from '../../lambda/domain/planner.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { createHandler } from '../../lambda/runtime/collector-handler.ts';
import { MAX_BACKFILL_DAYS, MAX_QUEUED_BACKFILLS } from '../../lambda/runtime/lambda-event.ts';
import type { ObjectStore } from '../../lambda/storage/object-store.ts';
import { S3Store } from '../../lambda/storage/s3-store.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { secretTokenProvider } from '../../lambda/wolkvox/secret-token.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';
import { sumRows } from '../support/totals.ts';

const TZ = 'America/Bogota';
const SERVER = '0032';
const TOKEN = 'tok-INTEGRATION-7f3a9c1e5b';
const SECRET_ID = 'wolkvox/0032/token';
const MINUTE = 60_000;
const FIRST_DAY = '2026-10-01';

const secrets = mockClient(SecretsManagerClient);

/** A store that fails chosen puts, as S3 does on a bad day. */
class FlakyStore implements ObjectStore {
  puts = 0;
  private readonly inner: ObjectStore;
  private readonly failPut: (n: number, key: string) => boolean;
  constructor(inner: ObjectStore, failPut: (n: number, key: string) => boolean) {
    this.inner = inner;
    this.failPut = failPut;
  }
  async put(key: string, body: string, type: string) {
    this.puts += 1;
    if (this.failPut(this.puts, key)) throw new (await import('../../lambda/domain/errors.ts')).StorageError(`injected failure writing ${key}`);
    return this.inner.put(key, body, type);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getBytes(key: string) {
    return this.inner.getBytes(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  describe(key: string) {
    return this.inner.describe(key);
  }
}

describe('Function: handler (collector over a real S3 wire protocol)', () => {
  let s3: LocalS3;
  let sim: Simulator;
  let clock: ManualClock;
  let prefixCounter = 0;

  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3.close();
  });
  beforeEach(async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: TOKEN }) });
    clock = new ManualClock(instantOfWall('2026-11-20 01:10', TZ));
    sim = await startSimulator({ token: TOKEN, server: SERVER, timeZone: TZ, now: clock.now });
  });
  afterEach(async () => {
    await sim.close();
  });

  function setup(overrides: { store?: (s: ObjectStore) => ObjectStore; settleMinutes?: number; clock?: () => number; firstDay?: string } = {}) {
    const prefix = `run${++prefixCounter}`;
    const config: LambdaConfig = {
      server: SERVER,
      timeZone: TZ,
      baseUrl: sim.origin,
      prefix,
      settleMinutes: overrides.settleMinutes ?? 65,
      requestTimeoutMs: 5_000,
      restateAfterMinutes: 0,
      dailyCallCap: undefined,
      verifyAfterMinutes: 240,
      quietFreshnessMinutes: 30,
      ...ALLOWANCE_DEFAULTS,
      tokenSecretId: SECRET_ID,
      bucket: s3.bucket,
      firstDay: overrides.firstDay ?? FIRST_DAY,
    };
    const log = new CaptureLog();
    const metrics = Object.assign(new MetricsTally(), { publish: () => {} });
    const token = secretTokenProvider({ client: new SecretsManagerClient({ region: 'us-east-1' }), secretId: SECRET_ID });
    const base = new S3Store(s3.client, s3.bucket);
    const store = overrides.store ? overrides.store(base) : base;
    const handler = createHandler({
      config,
      store,
      leases: new S3LeaseStore(s3.client, s3.bucket),
      token,
      client: createCdr4Client({ baseUrl: sim.origin, server: SERVER, token, clock: overrides.clock ?? clock.now }),
      log,
      metrics,
      clock: overrides.clock ?? clock.now,
      sleep: async () => {},
    });
    const context = { getRemainingTimeInMillis: () => 240_000 };
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(clock.ms).toISOString() };
    return { handler, context, scheduled, log, metrics, prefix, store };
  }

  async function readAll(prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const key of await s3.listKeys(`${prefix}/`)) out.set(key, await s3.read(key));
    return out;
  }

  it('returns the true daily totals per interval when a day is collected in irregular runs with faults in between', async () => {
    // Prepare
    const { handler, context, scheduled, log, prefix } = setup();
    const errors: string[] = [];
    const end = instantOfWall('2026-11-21 01:15', TZ);
    let run = 0;

    // Act
    while (clock.ms <= end) {
      run += 1;
      if (run % 7 === 3) sim.inject({ kind: 'maintenance' });
      if (run % 5 === 4) sim.inject({ kind: 'http503' }, 2);
      if (run % 9 === 5) sim.inject({ kind: 'badJson' });
      await handler(scheduled, context).catch((e: Error) => errors.push(`${e.name}: ${e.message}`));
      clock.advance(47 * MINUTE);
    }
    await handler(scheduled, context);

    // Assess
    const objects = await readAll(prefix);
    const dayKeys = [...objects.keys()].filter((k) => k.startsWith(`${prefix}/cdr_4/operation=${SERVER}/dt=2026-11-20/`));
    const expectedKeys = windowsBetween({ startWall: parseWall('2026-11-20 00:00')!, timeZone: TZ }, parseWall('2026-11-21 00:00')!).map((w) => dataKey(prefix, SERVER, w));
    expect(dayKeys).toEqual([...expectedKeys].sort());
    const { totals, rows } = sumRows(dayKeys.map((k) => objects.get(k)!));
    const truth = sim.trueTotals('20261120000000', '20261120235959');
    for (const [interval, t] of Object.entries(truth)) {
      expect(totals[interval]?.calls ?? 0, interval).toBe(t.calls);
      expect(totals[interval]?.minutes ?? 0, interval).toBeCloseTo(t.seconds / 60, -0.5);
    }
    expect(new Set(rows.map((r) => `${r.window_start}|${r.interval}`)).size).toBe(rows.length);
    expect(sim.stats.maxInFlight).toBe(1);
    expect(sim.stats.rejectedConcurrent).toBe(0);
    expect(errors).toEqual([]);
    const leaks = [...objects.values(), ...log.lines].filter((t) => t.includes(TOKEN));
    expect(leaks).toEqual([]);
  });

  it('verifies a whole day once it is past its horizon, says so in its result and leaves a verified row in S3', async () => {
    // Prepare: a day collected run by run, then a run 4 h 30 min after it ended.
    const { handler, context, scheduled, prefix } = setup();
    while (clock.ms <= instantOfWall('2026-11-21 00:30', TZ)) {
      await handler(scheduled, context);
      clock.advance(60 * MINUTE);
    }
    clock.set(instantOfWall('2026-11-21 04:30', TZ));
    const before = sim.stats.requests;

    // Act
    const result = await handler(scheduled, context);

    // Assess
    expect(result.daysVerified).toEqual(['2026-11-20']);
    const dayCalls = sim.stats.log.slice(before).filter((e) => e.dateIni === '20261120000000' && e.dateEnd === '20261120235959').length;
    expect(result.verificationCalls).toBe(dayCalls);
    expect(dayCalls).toBeGreaterThanOrEqual(1);
    const rows = [...(await readAll(prefix)).entries()].filter(([k]) => k.startsWith(`${prefix}/cdr_4_verifications/operation=${SERVER}/dt=2026-11-20/verified-`));
    expect(rows).toHaveLength(1);
    const truth = Object.values(sim.trueTotals('20261120000000', '20261120235959')).reduce((n, t) => n + t.calls, 0);
    expect(JSON.parse(rows[0]![1])).toMatchObject({ status: 'verified', vendor_calls: truth, stored_calls: truth });
  });

  it('resumes at the failed window and duplicates nothing when S3 writes fail mid-run', async () => {
    // Prepare
    clock.set(instantOfWall('2026-11-20 03:10', TZ));
    let failing = true;
    const { handler, context, scheduled, prefix } = setup({
      store: (s) => new FlakyStore(s, (n, key) => failing && n >= 9 && /^run\d+\/cdr_4\//.test(key)),
    });
    await handler(scheduled, context); // first run: only the latest due window (02:00)
    clock.advance(60 * MINUTE);

    // Act
    const broken = await handler(scheduled, context);
    failing = false;
    const repaired = await handler(scheduled, context);

    // Assess
    expect(broken.stopReason).toBe('transient-error');
    expect(broken.windowsBehind).toBeGreaterThan(0);
    expect(repaired.stopReason).toBe('done');
    expect(repaired.windowsBehind).toBe(0);
    const cp = JSON.parse((await s3.read(checkpointKey(prefix, SERVER))) as string);
    expect(cp.next_window).toBe('2026-11-20 03:05:00');
    const objects = await readAll(`${prefix}/cdr_4`);
    const { totals } = sumRows([...objects.values()]);
    const truth = sim.trueTotals('20261120020000', '20261120030459');
    for (const [interval, t] of Object.entries(truth)) expect(totals[interval]?.calls ?? 0, interval).toBe(t.calls);
    expect(objects.size).toBe(13);
  });

  it('throws the vendor message, re-reads the secret once and makes no second call when the secret has not changed', async () => {
    // Prepare
    const { handler, context, scheduled, log, prefix } = setup();
    sim.setToken('tok-ROTATED-elsewhere-000');
    const before = sim.stats.reportRequests;

    // Act
    const error = await handler(scheduled, context).then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('WolkvoxAuthError');
    expect(error?.message).toContain('PLEASE VALIDATE TOKEN');
    expect(error?.message).not.toContain(TOKEN);
    // The same token again would get the same answer: the re-read secret decides whether to call again.
    expect(sim.stats.reportRequests - before).toBe(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    const fetches = await readAll(`${prefix}/cdr_4_fetches`);
    expect([...fetches.values()].map((t) => JSON.parse(t).error_class)).toEqual(['WolkvoxAuthError']);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('collects with the rotated token when the secret changed since the container read it', async () => {
    // Prepare
    const { handler, context, scheduled, log } = setup();
    await handler(scheduled, context);
    const rotated = 'tok-ROTATED-2a2b2c2d2e';
    sim.setToken(rotated);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: rotated }) });
    clock.advance(10 * MINUTE);

    // Act
    const result = await handler(scheduled, context);

    // Assess
    expect(result.stopReason).toBe('done');
    expect(result.windowsCollected).toBe(2);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(log.lines.join('\n')).not.toContain(rotated);
  });

  it('makes no API call and counts TokenMissing when the secret holds no token', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: '' }) });
    const { handler, context, scheduled, metrics } = setup();

    // Act
    const error = await handler(scheduled, context).then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('SecretError');
    expect(error?.message).toContain('put-secret-value');
    expect(sim.stats.reportRequests).toBe(0);
    expect(metrics.totals.get('TokenMissing')).toBe(1);
  });

  it('stops before the deadline with the checkpoint written when the run is short of time', async () => {
    // Prepare: every clock read costs a second, so the run's 40 s budget runs out part-way.
    clock.set(instantOfWall('2026-11-20 06:10', TZ));
    let tick = 0;
    const ticking = () => (clock.ms += tick);
    const { handler, scheduled, prefix } = setup({ clock: ticking });
    await handler(scheduled, { getRemainingTimeInMillis: () => 240_000 });
    clock.advance(5 * 60 * MINUTE);

    // Act
    tick = 1_000;
    const short = await handler(scheduled, { getRemainingTimeInMillis: () => 40_000 });
    tick = 0;
    const next = await handler(scheduled, { getRemainingTimeInMillis: () => 240_000 });

    // Assess
    expect(short.stopReason).toBe('deadline');
    expect(short.windowsCollected).toBeGreaterThan(0);
    expect(short.windowsBehind).toBeGreaterThan(0);
    expect(parseWall(next.firstWindow!)! - parseWall(short.lastWindow!)!).toBe(5 * MINUTE);
    expect(next.stopReason).toBe('done');
    const cp = JSON.parse(await s3.read(checkpointKey(prefix, SERVER)));
    expect(parseWall(cp.next_window)! - parseWall(next.lastWindow!)!).toBe(5 * MINUTE);
  });

  it('rejects an event that is not the schedule with a ConfigError naming its keys', async () => {
    // Prepare
    const { handler, context } = setup();

    // Act
    const error = await handler({ Records: [] }, context).then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('Records');
    expect(sim.stats.reportRequests).toBe(0);
  });

  it.each([
    ['it starts before the first day', FIRST_DAY, { from: '2026-09-30 00:00', to: '2026-10-01 01:00' }, `"from" 2026-09-30 00:00 is before the operation's first day ${FIRST_DAY} (wolkvox:firstDay)`],
    ['it ends after now', FIRST_DAY, { from: '2026-11-20 00:00', to: '2026-11-20 01:15' }, '"to" 2026-11-20 01:15 is after now (2026-11-20 01:10 on the America/Bogota clock)'],
    ['it spans more than the longest range', '2026-01-01', { from: '2026-08-01 00:00', to: '2026-11-20 01:10', refetch: true }, `spans 112 days, more than the longest of ${MAX_BACKFILL_DAYS}`],
  ])('refuses a backfill with no API call, no write and the reason in its error and its log when %s', async (_case, firstDay, backfill, reason) => {
    // Prepare: the clock is at 2026-11-20 01:10.
    const { handler, context, log, prefix } = setup({ firstDay });

    // Act
    const error = await handler({ backfill }, context).then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('BackfillRefusedError');
    expect(error?.message).toContain(reason);
    const failed = log.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'run failed');
    expect(failed).toEqual([expect.objectContaining({ level: 'error', error_class: 'BackfillRefusedError', error_message: error?.message, retryable: false })]);
    expect(sim.stats.requests).toBe(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(await s3.listKeys(`${prefix}/`)).toEqual([]);
  });

  it('refuses a backfill beyond the queued jobs with no API call, leaves the queue as it was and takes a queued request again', async () => {
    // Prepare: five one-day jobs wait in the checkpoint, queued by runs that had no time to work on them.
    const { handler, context, log, prefix } = setup();
    const noTime = { getRemainingTimeInMillis: () => 10_000 };
    const day = (i: number) => ({ backfill: { from: `2026-11-0${i + 1} 00:00`, to: `2026-11-0${i + 2} 00:00` } });
    for (let i = 0; i < MAX_QUEUED_BACKFILLS; i += 1) await handler(day(i), noTime);
    const queued = () => s3.read(checkpointKey(prefix, SERVER)).then((t) => (JSON.parse(t) as { backfills: unknown[] }).backfills);
    const before = { requests: sim.stats.requests, queue: await queued() };
    expect(before.queue).toHaveLength(MAX_QUEUED_BACKFILLS);

    // Act: a sixth day, with all the time a run has (accepted, it would be worked on at once).
    const error = await handler(day(MAX_QUEUED_BACKFILLS), context).then(() => undefined, (e: Error) => e);
    const calls = sim.stats.requests - before.requests;
    const queueAfter = await queued();
    const again = await handler(day(2), noTime).then(() => 'accepted', (e: Error) => e.name);

    // Assess
    expect(error?.name).toBe('BackfillRefusedError');
    expect(error?.message).toContain(`backfill 2026-11-06 00:00 to 2026-11-07 00:00 refused: ${MAX_QUEUED_BACKFILLS} backfills are queued already, the most at once is ${MAX_QUEUED_BACKFILLS}`);
    expect(calls).toBe(0);
    expect(queueAfter).toEqual(before.queue);
    const failed = log.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'run failed');
    expect(failed.map((l) => [l.error_class, l.error_message])).toEqual([['BackfillRefusedError', error?.message]]);
    expect(again).toBe('accepted');
    expect(await queued()).toHaveLength(MAX_QUEUED_BACKFILLS);
  });
});
