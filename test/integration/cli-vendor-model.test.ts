/**
 * The way back from the non-additive mode and a day tried again, as `npm start` takes them:
 * bad values refused before any call (as a child process), the mode set and a refused recheck
 * changing nothing, then the mode set back with a recheck (in process, on a clock the test moves).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-VENDOR-MODEL-7f3a19';

function npmStart(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgsOf('start'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Command: npm start --vendor-model / --recheck', () => {
  let sim: Simulator;
  let out: string;
  let clock: ManualClock;
  let stdout: string[];
  let stderr: string[];
  const io = { stdout: (t: string) => stdout.push(t), stderr: (t: string) => stderr.push(t) };

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-20 09:00', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, traffic: { kind: 'business-hours' } });
    out = mkdtempSync(join(tmpdir(), 'cli-vendor-model-'));
    stdout = [];
    stderr = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = () => ({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin, WOLKVOX_TIMEZONE: TZ });
  const cli = async (argv: string[]) => {
    stdout = [];
    stderr = [];
    return runCli([...argv, '--out', out], { env: env(), io, clock: clock.now, sleep: async (ms) => clock.advance(ms) });
  };
  const checkpoint = () => JSON.parse(readFileSync(join(out, 'wolkvox/_state/cdr_4/operation=0032/checkpoint.json'), 'utf8')) as { vendor_mode: string; verify_days: Record<string, unknown> };

  it.each([
    [['--vendor-model', 'fixed'], 'error: --vendor-model: "fixed" is not a vendor model: use "additive" or "non-additive"\n'],
    [['--recheck', '2099-01-01'], 'error: --recheck: "2099-01-01" cannot be checked again: 2099-01-01 has not ended yet'],
    [['--recheck', 'last-week'], 'error: --recheck: "last-week" is not a day YYYY-MM-DD or a range of days YYYY-MM-DD..YYYY-MM-DD\n'],
  ])('exits 2 naming the problem, with no call and nothing written, when given %j', async (args, message) => {
    // Act
    const ran = await npmStart([...args, '--out', out], { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin });

    // Assess
    expect(ran.code).toBe(EXIT.usage);
    expect(ran.stderr.startsWith(message)).toBe(true);
    expect(ran.stdout).toBe('');
    expect(sim.stats.requests).toBe(0);
  });

  it('sets the mode, refuses a recheck alone while non-additive, and takes it with the mode set back', async () => {
    // Prepare: a first run, then the operator says the vendor does not add up.
    expect(await cli([])).toBe(EXIT.ok);
    clock.advance(5 * 60_000);
    const set = await cli(['--vendor-model', 'non-additive']);
    const setText = stdout.join('');
    clock.advance(5 * 60_000);
    const before = readFileSync(join(out, 'wolkvox/_state/cdr_4/operation=0032/checkpoint.json'), 'utf8');
    const requests = sim.stats.requests;

    // Act
    const refused = await cli(['--recheck', '2026-11-18']);
    const refusedText = stderr.join('');
    const requestsAfterRefusal = sim.stats.requests;
    const afterRefusal = readFileSync(join(out, 'wolkvox/_state/cdr_4/operation=0032/checkpoint.json'), 'utf8');
    const back = await cli(['--vendor-model', 'additive', '--recheck', '2026-11-18..2026-11-19']);
    const backText = stdout.join('');

    // Assess
    expect(set).toBe(EXIT.ok);
    expect(setText).toContain('Vendor model set to non-additive (was additive)');
    expect(setText).toContain('Once Wolkvox is fixed: npm start -- --out');
    expect(refused).toBe(EXIT.usage);
    expect(refusedText).toContain('ask it together with the vendor model additive');
    expect(refusedText).toContain('Nothing was changed');
    expect(requestsAfterRefusal).toBe(requests);
    expect(afterRefusal).toBe(before);
    expect([EXIT.ok, EXIT.incomplete]).toContain(back);
    expect(backText).toContain('Vendor model set to additive (was non-additive)');
    expect(backText).toContain("Asked to check again against Wolkvox's day totals: 2026-11-18..2026-11-19");
    expect(checkpoint().vendor_mode).toBe('additive');
    expect(setText + refusedText + backText).not.toContain(TOKEN);
    // Neither day was collected here, so neither is filled on the checking bound: each is told to be collected whole.
    expect(backText).toContain('Not verified, collected only in part: 2026-11-18..2026-11-19');
    expect(sim.stats.requests - requestsAfterRefusal).toBeLessThan(20);
  });
});
