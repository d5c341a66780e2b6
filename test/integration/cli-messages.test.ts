/**
 * What `npm start` tells a user, on the path a user takes: the CLI as a child process for
 * flags, folders that cannot hold data and the environment; in process (a clock the test
 * moves) for the token's limit, the progress line after the bar and a failed call retried.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli, stoppableSleep } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-MESSAGES-SECRET-5d21c7f0';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm start -- <args>` as a child process; `wrap` runs it under another command (unshare). */
function npmStart(args: readonly string[], env: Record<string, string>, opts: { wrap?: string[]; uid?: number } = {}): Promise<Ran> {
  const command = [...(opts.wrap ?? []), process.execPath, ...nodeArgsOf('start'), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A private mount namespace where a read-only file system can be mounted (root in a container, or a CI runner with it). */
const canMountReadOnly = process.platform === 'linux' && works('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs /mnt']);
/** Permissions hold only for a user other than root: as root the child runs as nobody. */
const isRoot = process.getuid?.() === 0;

describe('Command: npm start (messages, separate process)', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ });
    dir = mkdtempSync(join(tmpdir(), 'cli-messages-'));
    env = { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin };
  });
  afterEach(async () => {
    await sim.close();
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one line with the flag meant and where help is, exit 2 and no call, when a flag is unknown', async () => {
    // Act
    const ran = await npmStart(['--form', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', dir], env);

    // Assess
    expect(ran.code).toBe(EXIT.usage);
    expect(ran.stderr).toBe('error: unknown option --form; did you mean --from? (npm start -- --help lists the options)\n');
    expect(ran.stdout).toBe('');
    expect(sim.stats.requests).toBe(0);
  });

  it('refuses a folder under /proc at once, naming its file system, with no call and nothing created', async () => {
    // Act: Node's recursive mkdir loops forever there; the test's timeout is the failure.
    const ran = await npmStart(['--out', '/proc/wolkvox-data'], env);

    // Assess
    expect(ran.code).toBe(EXIT.local);
    expect(ran.stderr).toContain('--out /proc/wolkvox-data is on a proc file system, which cannot hold files; choose a folder on a writable disk');
    expect(ran.stderr).not.toContain('ENOENT');
    expect(sim.stats.requests).toBe(0);
    expect(existsSync('/proc/wolkvox-data')).toBe(false);
  }, 30_000);

  it.skipIf(!canMountReadOnly)('refuses a folder on a read-only mount before any call, saying it is read-only', async () => {
    // Act: the folder exists, on a file system mounted read-only in the child's own mount namespace.
    const ran = await npmStart(['--out', dir], env, { wrap: ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o ro tmpfs "${dir}" && exec "$@"`, 'sh'] });

    // Assess
    expect(ran.code).toBe(EXIT.local);
    expect(ran.stderr).toContain(`--out ${dir} cannot hold data: it is on a read-only file system (EROFS)`);
    expect(sim.stats.requests).toBe(0);
  }, 30_000);

  it('refuses a folder it may not write before any call, and a missing one under it is not left behind', async () => {
    // Prepare
    chmodSync(dir, 0o555);
    const below = join(dir, 'data');

    // Act
    const ran = await npmStart(['--out', below], env, isRoot ? { uid: 65534 } : {});

    // Assess
    expect(ran.code).toBe(EXIT.local);
    expect(ran.stderr).toContain(`--out ${below} cannot be created: permission denied (EACCES)`);
    expect(sim.stats.requests).toBe(0);
    expect(existsSync(below)).toBe(false);
  }, 30_000);

  it('says a negative SETTLE_MINUTES is out of range, not that it is not a number', async () => {
    // Act
    const ran = await npmStart(['--out', dir], { ...env, SETTLE_MINUTES: '-3' });

    // Assess
    expect(ran.code).toBe(EXIT.usage);
    expect(ran.stderr).toContain('SETTLE_MINUTES: must be between 0 and 1440');
    expect(sim.stats.requests).toBe(0);
  });

  it('lists every variable it reads in --help, the request timeout included', async () => {
    // Act
    const ran = await npmStart(['--help'], env);

    // Assess
    expect(ran.code).toBe(EXIT.ok);
    for (const name of ['WOLKVOX_SERVER', 'WOLKVOX_TOKEN', 'WOLKVOX_TIMEZONE', 'WOLKVOX_BASE_URL', 'DATA_PREFIX', 'SETTLE_MINUTES', 'RESTATE_AFTER_MINUTES', 'VERIFY_AFTER_MINUTES', 'QUIET_FRESHNESS_MINUTES', 'DAILY_CALL_CAP', 'WOLKVOX_REQUEST_TIMEOUT_MS']) {
      expect(ran.stdout, name).toContain(name);
    }
  });
});

describe('Function: runCli (messages)', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let stdout: string[];
  let stderr: string[];
  let faultFor: ((n: number) => Fault | undefined) | undefined;
  const io = { stdout: (t: string) => stdout.push(t), stderr: (t: string) => stderr.push(t) };

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    faultFor = undefined;
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, faultFor: () => faultFor?.(sim.stats.requests) });
    out = mkdtempSync(join(tmpdir(), 'cli-messages-run-'));
    stdout = [];
    stderr = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = () => ({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin });
  const cli = (argv: string[]) => runCli(argv, { env: env(), io, clock: clock.now, sleep: async (ms) => clock.advance(ms) });

  it('exits 1 as the exit table says, naming when to rerun, when a range meets TOKEN LIMIT EXCEEDED', async () => {
    // Prepare: the vendor's limit is met at the 30th call.
    faultFor = (n) => (n >= 30 ? { kind: 'tokenLimit' } : undefined);

    // Act
    const code = await cli(['--from', '2026-11-20 00:00', '--to', '2026-11-21 00:00', '--out', out]);

    // Assess
    expect(code).toBe(EXIT.incomplete);
    expect(stdout.join('')).toMatch(/TOKEN LIMIT EXCEEDED\): no API call until \S+; rerun the same command after that to resume/);
  });

  it('names each day verified and the day objects written on the progress line after the bar', async () => {
    // Act
    const code = await cli(['--from', '2026-11-20 00:00', '--to', '2026-11-22 00:00', '--out', out]);

    // Assess: in a log (not a terminal), one line each, after the bar's last.
    expect(code).toBe(EXIT.ok);
    const lines = stderr.join('').split('\n');
    const bar = lines.findIndex((l) => l.includes('576/576 windows 100.0%'));
    const first = lines.indexOf("verifying 2026-11-20 against Wolkvox's day total...");
    const second = lines.indexOf("verifying 2026-11-21 against Wolkvox's day total...");
    expect(bar).toBeGreaterThanOrEqual(0);
    expect(first).toBeGreaterThan(bar);
    expect(second).toBeGreaterThan(first);
    expect(stdout.join('')).toContain("Days verified against Wolkvox's day totals: 2026-11-20..2026-11-21");
  });

  it('tells a failed call that is tried again without --verbose, once per failure, and never the token', async () => {
    // Prepare: the 2nd and 3rd calls fail with a 503; the third attempt answers.
    faultFor = (n) => (n === 2 || n === 3 ? { kind: 'http503' } : undefined);

    // Act
    const code = await cli(['--out', out]);

    // Assess
    expect(code).toBe(EXIT.ok);
    const told = stderr.join('').match(/warn: a cdr_4 call for \d{14}\.\.\d{14} failed with a transient error: [^\n]*503/g) ?? [];
    expect(told).toHaveLength(2);
    expect([...stdout, ...stderr].join('')).not.toContain(TOKEN);
  });
});

describe('Function: stoppableSleep', () => {
  it('returns soon after a stop is asked for, not at the end of the pause', async () => {
    // Prepare
    let stop = false;
    setTimeout(() => (stop = true), 50);

    // Act: a 10-minute pause; vitest's 5 s timeout fails the test if it runs on.
    await stoppableSleep(() => stop)(10 * 60_000);

    // Assess
    expect(stop).toBe(true);
  });

  it('sleeps the whole pause when no stop is asked for', async () => {
    // Prepare
    const started = Date.now();

    // Act
    await stoppableSleep(() => false)(250);

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(245);
  });
});
