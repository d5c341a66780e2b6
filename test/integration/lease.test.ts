/**
 * One collector per operation: the lease on each kind of store, and the CLI's --bucket
 * checks that run before any API call.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireLease, type LeaseHolder } from '../../lambda/collector/lease.ts';
import { LeaseHeldError } from '../../lambda/domain/errors.ts';
import { leaseKey } from '../../lambda/domain/layout.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { LocalLeaseStore, type LeaseStore } from '../../lambda/storage/lease-store.ts';
import { S3LeaseStore } from '../../lambda/storage/s3-lease-store.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';

const MINUTE = 60_000;
const cli = (pid: number, run = `run-${pid}`): LeaseHolder => ({ kind: 'cli', host: 'laptop', pid, run });
const lambda: LeaseHolder = { kind: 'lambda', host: '2026/11/25/[$LATEST]abc', pid: 8, run: 'r1' };

describe('Function: acquireLease', () => {
  let s3: LocalS3;
  let dir: string;
  beforeAll(async () => {
    s3 = await startLocalS3('lease-bucket');
  });
  afterAll(async () => {
    await s3.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lease-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stores: Array<[string, () => LeaseStore]> = [
    ['a folder', () => new LocalLeaseStore(dir)],
    ['S3 (s3rver)', () => new S3LeaseStore(s3.client, 'lease-bucket')],
    ['memory', () => new MemoryLeaseStore()],
  ];

  describe.each(stores)('on %s', (_name, make) => {
    it('refuses a second collector naming the holder while the first holds the lease', async () => {
      // Prepare
      const store = make();
      const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
      const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
      await acquireLease({ store, prefix, operation: '0032', holder: lambda, clock: clock.now });

      // Act
      const error = await acquireLease({ store, prefix, operation: '0032', holder: cli(100), clock: clock.now, processAlive: () => true }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect((error as Error).message).toContain('another collector of operation 0032 is running: the Lambda function (2026/11/25/[$LATEST]abc) since 2026-11-25T12:00:00.000Z');
      expect((error as Error).message).toContain('lapses at 2026-11-25T12:03:00.000Z');
    });

    it('lets the next collector in at once when the holder released it, and after its time when it died', async () => {
      // Prepare
      const store = make();
      const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
      const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
      const first = await acquireLease({ store, prefix, operation: '0032', holder: cli(1), clock: clock.now, processAlive: () => true });
      await first.release();

      // Act
      const second = await acquireLease({ store, prefix, operation: '0032', holder: cli(2), clock: clock.now, processAlive: () => true });
      clock.advance(3 * MINUTE + 1);
      const third = await acquireLease({ store, prefix, operation: '0032', holder: lambda, clock: clock.now });

      // Assess: the second never released it; once lapsed it was taken over, and its renewal now fails.
      expect(third).toBeDefined();
      expect(await second.renew().catch((e: unknown) => e)).toBeInstanceOf(LeaseHeldError);
    });

    it('keeps the lease when two renewals of one run overlap, and a release behind them lets the next collector in', async () => {
      // Prepare: a save in the background and the run's loop both find a renewal due.
      const store = make();
      const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
      const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
      const lease = await acquireLease({ store, prefix, operation: '0032', holder: cli(1), clock: clock.now, processAlive: () => true });
      clock.advance(2 * MINUTE);

      // Act
      const renewals = await Promise.allSettled([lease.renew(), lease.renew()]);
      clock.advance(2 * MINUTE);
      const inFlight = lease.renew();
      await lease.release();
      await inFlight;
      const next = await acquireLease({ store, prefix, operation: '0032', holder: cli(2), clock: clock.now, processAlive: () => true }).catch((e: unknown) => e);

      // Assess: neither renewal took the run's own write for a take-over, and the release expired what the renewal wrote.
      expect(renewals.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(next).not.toBeInstanceOf(Error);
    });
  });

  it('treats a lost create-if-absent race as held when S3 answers 412 Precondition Failed', async () => {
    // Prepare
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(client);
    mock.onAnyCommand().rejects(Object.assign(new Error('not found'), { name: 'NoSuchKey' }));
    mock.on(PutObjectCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }));

    // Act
    const error = await acquireLease({ store: new S3LeaseStore(client, 'b'), prefix: 'p', operation: '0032', holder: cli(3), clock: Date.now }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ Key: leaseKey('p', '0032'), IfNoneMatch: '*' });
    mock.restore();
  });
});

describe('Command: npm start -- --bucket (checks before any API call)', () => {
  let s3: LocalS3;
  let sim: Simulator;
  let clock: ManualClock;
  let stderr: string[];
  const TOKEN = 'tok-LEASE-SECRET-5a1f';
  beforeAll(async () => {
    s3 = await startLocalS3('cli-lease');
  });
  afterAll(async () => {
    await s3.close();
  });
  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', 'America/Bogota'));
    sim = await startSimulator({ token: TOKEN, server: '0032', now: clock.now });
    stderr = [];
  });
  afterEach(async () => {
    await sim.close();
  });
  const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30'];
  const run = (argv: string[], s3Client: S3Client) =>
    runCli(argv, { env: { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin }, io: { stdout: () => {}, stderr: (t) => stderr.push(t) }, clock: clock.now, s3Client });

  it('refuses to run beside the deployed Lambda holding the lease in the bucket', async () => {
    // Prepare
    const store = new S3LeaseStore(s3.client, 'cli-lease');
    await acquireLease({ store, prefix: 'wolkvox', operation: '0032', holder: lambda, clock: clock.now });

    // Act
    const code = await run([...range, '--bucket', 'cli-lease'], s3.client);

    // Assess
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain('the Lambda function');
    expect(sim.stats.requests).toBe(0);
    expect(await s3.listKeys('wolkvox/cdr_4/')).toEqual([]);
  });

  it.each([
    ['no region', { region: async () => Promise.reject(new Error('Region is missing')), credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, 'no AWS region is configured'],
    ['no credentials', { region: 'us-east-1', credentials: async () => Promise.reject(new Error('Could not load credentials from any providers')) }, 'AWS credentials do not resolve'],
  ])('returns exit 4 naming the problem before any API call when there are %s', async (_name, config, message) => {
    // Act
    const code = await run([...range, '--bucket', 'some-bucket'], new S3Client(config));

    // Assess
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain(message);
    expect(sim.stats.requests).toBe(0);
  });
});
