/**
 * `npm run simulator` as a user drives it by hand: help, a profile, latency and a failure
 * switch, a port in use, Ctrl-C. A child process started from package.json's script.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../simulator/command-line.ts';
import { trueTotalsOf } from '../simulator/index.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const run = promisify(execFile);
const DAY = { ini: '20261118000000', end: '20261118235959' };

/** Starts the simulator; resolves with its origin once it listens. */
function startChild(args: string[]): Promise<{ child: ChildProcess; origin: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [...nodeArgsOf('simulator'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (origin) resolve({ child, origin, exited });
    });
    child.on('exit', (code) => reject(new Error(`the simulator exited ${code} before listening`)));
  });
}

async function cdr4(origin: string, token: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=${DAY.ini}&date_end=${DAY.end}`, { headers: { 'wolkvox-token': token } });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

describe('Command: npm run simulator', () => {
  let child: ChildProcess | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    blocker = undefined;
  });

  it('answers a day of the busy profile as its truth, after the latency asked, and stops with exit 0 on Ctrl-C', async () => {
    // Prepare
    const started = await startChild(['--port', '0', '--profile', 'busy', '--latency', '200', '--token', 'tok-hand']);
    child = started.child;
    const truth = trueTotalsOf({ traffic: { kind: 'busy' } }, DAY.ini, DAY.end);

    // Act
    const answer = await cdr4(started.origin, 'tok-hand');
    child.kill('SIGINT');
    const code = await started.exited;

    // Assess
    expect(answer.status).toBe(200);
    const data = (JSON.parse(answer.body) as { data: Record<string, { calls: string }> }).data;
    expect(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Number(v.calls)]))).toEqual(Object.fromEntries(Object.entries(truth).map(([k, v]) => [k, v.calls])));
    expect(answer.ms).toBeGreaterThanOrEqual(195);
    expect(code).toBe(0);
  });

  it('fails every call with the failure switched on', async () => {
    // Prepare
    const started = await startChild(['--port', '0', '--fault', 'maintenance']);
    child = started.child;

    // Act
    const answers = [await cdr4(started.origin, 'sim-token-0001'), await cdr4(started.origin, 'sim-token-0001')];

    // Assess
    for (const a of answers) expect(a).toMatchObject({ status: 403, body: expect.stringContaining('MAINTENANCE') });
  });

  it('says the port is in use in one line with exit 2, no stack trace', async () => {
    // Prepare
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;

    // Act
    const failed = await run(process.execPath, [...nodeArgsOf('simulator'), '--port', String(port)]).catch((e: { code: number; stderr: string }) => e);

    // Assess
    expect(failed).toMatchObject({ code: 2, stderr: `error: port ${port} is in use on 127.0.0.1 (another simulator?); choose another with --port, or --port 0 for any free one\n` });
  });

  it('prints its flags with --help and one line naming a wrong one', async () => {
    // Act
    const help = await run(process.execPath, [...nodeArgsOf('simulator'), '--help']);
    const wrong = await run(process.execPath, [...nodeArgsOf('simulator'), '--profile', 'weekend']).catch((e: { code: number; stderr: string }) => e);

    // Assess
    expect(help.stdout).toContain('--profile P');
    expect(help.stdout).toContain('--fault KIND[=SHARE]');
    expect(wrong).toMatchObject({ code: 2, stderr: 'error: --profile: "weekend" is not one of office, business-hours, busy\n' });
  });
});

describe('Function: parseSimulatorArgs', () => {
  it('returns a fault hook that fails about the share of calls asked, the same calls for the same seed', () => {
    // Prepare
    const draw = (seed: string) => {
      const hook = parseSimulatorArgs(['--fault', 'http503=0.25', '--fault', 'slow=0.25', '--slow-ms', '900', '--seed', seed]).options.faultFor!;
      return Array.from({ length: 4000 }, () => hook({ dateIni: DAY.ini, dateEnd: DAY.end, nowMs: 0 }));
    };

    // Act
    const [first, again, other] = [draw('7'), draw('7'), draw('8')];

    // Assess
    const share = (kind: string) => first.filter((f) => f?.kind === kind).length / first.length;
    expect(share('http503')).toBeGreaterThan(0.22);
    expect(share('http503')).toBeLessThan(0.28);
    expect(share('slow')).toBeGreaterThan(0.22);
    expect(first.find((f) => f?.kind === 'slow')).toEqual({ kind: 'slow', ms: 900 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it.each([
    [['--port', '70000'], '--port: "70000" is not a whole number from 0 to 65535'],
    [['--latency=-5'], '--latency: "-5" is not a whole number'],
    [['--fault', 'flood'], '--fault: "flood" is not one of'],
    [['--tz', 'Mars/Base'], '--tz: "Mars/Base" is not an IANA time zone'],
  ])('throws naming the flag when given %j', (argv, message) => {
    // Act / Assess
    expect(() => parseSimulatorArgs(argv)).toThrow(message);
  });
});
