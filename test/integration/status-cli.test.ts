/**
 * `npm run status` over a store that runs against the simulator filled: days verified,
 * waiting, collected only in part, an interrupted range queued; plus what the engine leaves
 * for a day whose check found changes, quarantined windows and a status of a later version.
 * In process with the test's clock for the figures of the day; as a child process for the
 * path a user takes, which must make no API call.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verificationRecord, writeVerificationRecord } from '../../lambda/collector/verification-records.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { runStatus } from '../../lambda/local/run-status.ts';
import type { StoreStatus } from '../../lambda/local/store-status.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { nodeArgsOf } from '../support/npm-script.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';

const run = promisify(execFile);
const TZ = 'America/Bogota';
const TOKEN = 'tok-STATUS-SECRET-6b0f2e93';

describe('Command: npm run status', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let left: number;
  const env = () => ({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin });

  beforeAll(async () => {
    clock = new ManualClock(instantOfWall('2026-11-21 02:00', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
    out = mkdtempSync(join(tmpdir(), 'status-cli-'));
    const cli = async (argv: string[], shouldStop?: () => boolean) => {
      const stdout: string[] = [];
      const code = await runCli([...argv, '--out', out], { env: env(), io: { stdout: (t) => stdout.push(t), stderr: () => {} }, clock: clock.now, ...(shouldStop ? { shouldStop } : {}) });
      return { code, stdout: stdout.join('') };
    };
    // 18 and 19 verified; 20 ended less than VERIFY_AFTER_MINUTES ago: waiting; 17 from noon only: in part.
    expect((await cli(['--from', '2026-11-17 12:00', '--to', '2026-11-20 12:00'])).code).toBe(EXIT.ok);
    // A range stopped by Ctrl-C: queued with windows left, its days waiting.
    const callsBefore = sim.stats.requests;
    const stopped = await cli(['--from', '2026-11-10 00:00', '--to', '2026-11-13 00:00'], () => sim.stats.requests - callsBefore >= 400);
    expect(stopped.code).toBe(EXIT.interrupted);
    left = Number(/Left in this range: (\d+) window label/.exec(stopped.stdout)?.[1]);
    // What the engine leaves when a day's check found changes, a window given up on, and a status of a later version.
    const store = new LocalStore(out);
    const scope = { prefix: 'wolkvox', operation: '0032', timeZone: TZ };
    await writeVerificationRecord(store, scope, '2026-11-15', verificationRecord('pending', clock.ms - 3_600_000, TZ));
    await writeVerificationRecord(store, scope, '2026-11-15', verificationRecord('changed', clock.ms - 60_000, TZ, { vendor: { '0_5_seg': 3 }, stored: { '0_5_seg': 2 }, apiCalls: 2, windowsRecollected: 1, fetchId: 'f-day' }));
    await writeVerificationRecord(store, scope, '2026-11-14', verificationRecord('unreconcilable' as 'verified', clock.ms - 60_000, TZ));
    const cpPath = join(out, checkpointKey('wolkvox', '0032'));
    const cp = JSON.parse(readFileSync(cpPath, 'utf8'));
    cp.verify_days['2026-11-15'] = { since: new Date(clock.ms - 3_600_000).toISOString(), checks: 1, next_check: new Date(clock.ms + 3_600_000).toISOString() };
    cp.quarantined = ['2026-11-10 08:00:00', '2026-11-10 08:05:00', '2026-11-10 08:10:00', '2026-11-11 09:00:00'];
    writeFileSync(cpPath, JSON.stringify(cp));
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  async function statusIn(argv: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runStatus(argv, { env: env(), io: { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) }, clock: clock.now });
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  }

  it('returns every day as date ranges of its standing, the last window and the calls of the day', async () => {
    // Prepare
    const calls = sim.stats.requests;

    // Act
    const { code, stdout } = await statusIn(['--out', out]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('Operation 0032 (America/Bogota)');
    expect(stdout).toContain('    2026-11-10..2026-11-11: waiting for verification (2 days)');
    expect(stdout).toContain('    2026-11-14: unreconcilable');
    expect(stdout).toContain("    2026-11-15: changed: Wolkvox's day total differed, what differed was re-collected; checked again later");
    expect(stdout).toContain('    2026-11-17: collected only in part, not verified (a range over the whole day completes it)');
    expect(stdout).toContain('    2026-11-18..2026-11-19: verified (2 days)');
    expect(stdout).toContain('    2026-11-20: waiting for verification');
    expect(stdout).toContain('Last window stored: 2026-11-20 11:55 America/Bogota; no scheduled run yet (ranges only)');
    expect(stdout).toContain(`API calls on 2026-11-21: ${calls} (no DAILY_CALL_CAP set here;`);
    // The ranges read token_info before their history calls: the reading is in the checkpoint.
    expect(stdout).toMatch(/the token's daily limit is 1000000, \d+ used by every integration at 2026-11-2\dT[\d:.]+Z \(token_info\)\)/);
    expect(stdout).toContain('Quarantined windows: 2026-11-10 08:00:00..2026-11-10 08:10:00, 2026-11-11 09:00:00');
    expect(sim.stats.requests).toBe(calls);
  });

  it('returns the windows a stopped range has left as its summary counted them', async () => {
    // Act
    const { stdout } = await statusIn(['--out', out, '--json']);
    const status = JSON.parse(stdout) as StoreStatus;

    // Assess
    expect(left).toBeGreaterThan(0);
    const [job] = status.operations[0]!.backfills;
    expect(job).toMatchObject({ from: '2026-11-10 00:00:00', to: '2026-11-13 00:00:00', refetch: false, windowsLeft: left });
  });

  it('returns the same standing as JSON, a count per status and the cap set here', async () => {
    // Act
    const { code, stdout } = await statusIn(['--out', out, '--json']);
    const status = JSON.parse(stdout) as StoreStatus;

    // Assess
    expect(code).toBe(0);
    const op = status.operations[0]!;
    expect(op.days.map((d) => [d.from, d.to, d.status])).toEqual([
      ['2026-11-10', '2026-11-11', 'waiting'],
      ['2026-11-14', '2026-11-14', 'unreconcilable'],
      ['2026-11-15', '2026-11-15', 'changed'],
      ['2026-11-17', '2026-11-17', 'partial'],
      ['2026-11-18', '2026-11-19', 'verified'],
      ['2026-11-20', '2026-11-20', 'waiting'],
    ]);
    expect(op.dayCounts).toEqual({ waiting: 3, unreconcilable: 1, changed: 1, partial: 1, verified: 2 });
    expect(op.callsToday).toEqual({ day: '2026-11-21', calls: sim.stats.requests, cap: null });
  });

  it('prints the standing from a child process with no API call, and exit 1 with a note for an empty folder', async () => {
    // Prepare
    const calls = sim.stats.requests;
    const empty = mkdtempSync(join(tmpdir(), 'status-empty-'));

    // Act
    const text = await run(process.execPath, [...nodeArgsOf('status'), '--out', out], { env: { ...process.env, ...env(), DAILY_CALL_CAP: '500' } });
    const json = await run(process.execPath, [...nodeArgsOf('status'), '--out', out, '--json'], { env: { ...process.env, ...env() } });
    const none = await run(process.execPath, [...nodeArgsOf('status'), '--out', empty], { env: process.env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    rmSync(empty, { recursive: true, force: true });

    // Assess
    expect(text.stdout).toContain('2026-11-18..2026-11-19: verified (2 days)');
    expect(text.stdout).toContain('of DAILY_CALL_CAP=500');
    expect((JSON.parse(json.stdout) as StoreStatus).operations[0]!.days).toHaveLength(6);
    expect(sim.stats.requests).toBe(calls);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect((none as { stderr: string }).stderr).toContain(`note: no collected data under ${join(empty, 'wolkvox')}`);
    expect(text.stdout + text.stderr + json.stdout).not.toContain(TOKEN);
  });

  it('returns exit 2 with one line when a flag is unknown or --out and --bucket are both given', async () => {
    // Act
    const unknown = await statusIn(['--jsn']);
    const both = await statusIn(['--out', out, '--bucket', 'my-lake']);

    // Assess
    expect(unknown).toMatchObject({ code: 2, stderr: 'error: unknown option --jsn; did you mean --json? (npm run status -- --help lists the options)\n' });
    expect(both).toMatchObject({ code: 2, stderr: 'error: --out and --bucket exclude each other: choose one store\n' });
  });

  describe('with --bucket', () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startLocalS3('status-bucket');
    });
    afterAll(async () => {
      await s3.close();
    });

    it('returns the same days for a bucket as for a folder filled by the same range', async () => {
      // Prepare
      const io = { stdout: () => {}, stderr: () => {} };
      expect(await runCli(['--from', '2026-11-18 00:00', '--to', '2026-11-20 00:00', '--bucket', 'status-bucket'], { env: env(), io, clock: clock.now, s3Client: s3.client })).toBe(EXIT.ok);
      const stdout: string[] = [];

      // Act
      const code = await runStatus(['--bucket', 'status-bucket', '--json'], { env: env(), io: { stdout: (t) => stdout.push(t), stderr: () => {} }, clock: clock.now, s3Client: s3.client });

      // Assess
      expect(code).toBe(0);
      const op = (JSON.parse(stdout.join('')) as StoreStatus).operations[0]!;
      expect(op.days.map((d) => [d.from, d.to, d.status])).toEqual([['2026-11-18', '2026-11-19', 'verified']]);
      expect(op.lastWindowStored).toBe('2026-11-19 23:55:00');
    });
  });
});
