/**
 * The CLI as a separate process, as a user runs it: killed with SIGKILL mid-run, stopped
 * with SIGINT, and with --verbose. Real time; the simulator runs in this process on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelOf, serializeCheckpoint } from '../../lambda/domain/checkpoint.ts';
import { checkpointKey } from '../../lambda/domain/layout.ts';
import { latestDueWindow } from '../../lambda/domain/planner.ts';
import { WINDOW_MS } from '../../lambda/domain/window.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-PROCESS-SECRET-19fe03b2';

function countFiles(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) n += 1;
    }
  };
  try {
    walk(dir);
  } catch {
    return 0;
  }
  return n;
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Command: npm start (separate process, signals)', () => {
  let sim: Simulator;
  let out: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    // A little latency per call, so a signal lands mid-run.
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, latencyMs: 3 });
    out = mkdtempSync(join(tmpdir(), 'cli-process-'));
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = { ...process.env, WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, RESTATE_AFTER_MINUTES: '0', SETTLE_MINUTES: '5' };

  function start(args: string[], nodeArgs: string[] = []): { done: Promise<number | null>; stdout: () => string; stderr: () => string } {
    let stdout = '';
    let stderr = '';
    child = spawn(process.execPath, [...nodeArgs, ...nodeArgsOf('start'), ...args], { env: { ...env, WOLKVOX_BASE_URL: sim.origin }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    return { done, stdout: () => stdout, stderr: () => stderr };
  }

  it('loses at most 100 windows of work when a live catch-up of 333 windows is killed with SIGKILL', async () => {
    // Prepare: a store whose live cursor is 333 windows behind.
    const latest = latestDueWindow(Date.now(), TZ, 5);
    const behind = { startWall: latest.startWall - 332 * WINDOW_MS, timeZone: TZ };
    const cpPath = join(out, checkpointKey('wolkvox', '0032'));
    mkdirSync(join(cpPath, '..'), { recursive: true });
    writeFileSync(cpPath, serializeCheckpoint({ version: 1, operation: '0032', timezone: TZ, next_window: labelOf(behind), live_from: null, token_limit_until: null, failures: {}, quarantined: [], restate_next: null, backfills: [], budget: null, days_dirty: [], verify_days: {}, searches: {}, quiet_since: null, late_share: null, updated_at: new Date().toISOString() }));
    const dataDir = join(out, 'wolkvox/cdr_4');

    // Act: kill -9 once 200 calls were answered, then run again in this process.
    const run = start(['--out', out]);
    await until(() => sim.stats.reportRequests >= 200);
    child!.kill('SIGKILL');
    await run.done;
    const storedAtKill = countFiles(dataDir);
    const callsBefore = sim.stats.reportRequests;
    const code = await runCli(['--out', out], { env: { ...env, WOLKVOX_BASE_URL: sim.origin }, io: { stdout: () => {}, stderr: () => {} } });
    const rerunCalls = sim.stats.reportRequests - callsBefore;
    const storedAfter = countFiles(dataDir);

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(storedAtKill).toBeGreaterThanOrEqual(190);
    expect(storedAfter).toBeGreaterThanOrEqual(333);
    // Calls of the rerun that went to windows the killed run had already stored.
    const refetched = rerunCalls - (storedAfter - storedAtKill);
    expect(refetched).toBeGreaterThanOrEqual(0);
    expect(refetched).toBeLessThanOrEqual(100);
  });

  it('abandons a call that hangs 2 s after SIGINT instead of waiting for its 65 s timeout, exits 130, and the rerun collects that window', async () => {
    // Prepare: the vendor stops answering after 20 calls (the request timeout stays at its default, 65 s).
    let hanging = true;
    await sim.close();
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, faultFor: () => (hanging && sim.stats.reportRequests > 20 ? { kind: 'hang' } : undefined) });
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 12:00', '--out', out];

    // Act
    const run = start(range);
    await until(() => sim.stats.inFlight === 1 && sim.stats.reportRequests > 20);
    const signalled = Date.now();
    child!.kill('SIGINT');
    const code = await run.done;
    const stoppedAfter = Date.now() - signalled;
    hanging = false;
    const rerunCode = await start(range).done;

    // Assess: well before the request's own timeout; the window in flight is asked again by the rerun.
    expect(code).toBe(EXIT.interrupted);
    expect(stoppedAfter).toBeLessThan(30_000);
    expect(run.stderr()).toContain('the call in flight is abandoned');
    expect(run.stdout()).toContain('Interrupted: what was collected is stored and progress is saved; rerun the same command to resume');
    expect(rerunCode).toBe(EXIT.ok);
    expect(countFiles(join(out, 'wolkvox/cdr_4'))).toBe(48);
  });

  it('finishes the window in flight, prints the summary and exits 130 on SIGINT, and the rerun completes the range', async () => {
    // Prepare
    const range = ['--from', '2026-11-20 00:00', '--to', '2026-11-22 00:00', '--out', out];

    // Act
    const run = start(range);
    await until(() => sim.stats.reportRequests >= 100);
    child!.kill('SIGINT');
    const code = await run.done;
    const callsFirst = sim.stats.reportRequests;
    const storedFirst = countFiles(join(out, 'wolkvox/cdr_4'));
    const rerun = start(range);
    const rerunCode = await rerun.done;

    // Assess
    expect(code).toBe(EXIT.interrupted);
    expect(run.stderr()).toContain('SIGINT: stopping after the window in flight');
    expect(run.stdout()).toContain('Interrupted: what was collected is stored and progress is saved; rerun the same command to resume');
    // Every window call of the stopped run left its window stored: nothing in flight was dropped
    // (the few other calls asked spans, top down, and each of those answers is kept too).
    const spanCalls = sim.stats.log.slice(0, callsFirst).filter((e) => e.dateIni !== null && e.dateEnd !== null && Number(e.dateEnd) - Number(e.dateIni) !== 459).length;
    expect(storedFirst).toBe(callsFirst - spanCalls);
    expect(spanCalls).toBeLessThan(20);
    expect(rerunCode).toBe(EXIT.ok);
    // Not one window fetched twice: the rerun goes on with the saved search.
    const windowCalls = sim.stats.log.filter((e) => e.dateIni !== null && e.dateEnd !== null && Number(e.dateEnd) - Number(e.dateIni) === 459).map((e) => e.dateIni);
    expect(new Set(windowCalls).size).toBe(windowCalls.length);
    expect(sim.stats.reportRequests).toBeLessThanOrEqual(Math.floor(1.1 * 576));
    expect(rerun.stdout()).toContain(`Due windows: 576; collected now: ${576 - storedFirst}`);
    expect(rerun.stdout()).toContain(`already stored, skipped: ${storedFirst}`);
  });

  it('logs the request, status, latency, rows and write of each window with --verbose', async () => {
    // Act
    const run = start(['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:15', '--out', out, '--verbose']);
    const code = await run.done;

    // Assess
    expect(code).toBe(EXIT.ok);
    const stderr = run.stderr();
    // One call over the quarter hour, then one per window.
    expect(stderr.match(/debug: cdr_4 request \{"date_ini":"202611200[0-9]{5}"/g)).toHaveLength(4);
    expect(stderr).toContain('debug: cdr_4 request {"date_ini":"20261120080000","date_end":"20261120081459"');
    const stored = stderr.match(/debug: window stored \{[^\n]*/g) ?? [];
    expect(stored).toHaveLength(3);
    for (const line of stored) expect(line).toMatch(/"http_status":(200|404),"latency_ms":\d+,"rows":\d+,"write_ms":\d+,"key":"[^"]+\.json"/);
    expect(stderr + run.stdout()).not.toContain(TOKEN);
  });

  it('reaches its calls without loading Node\'s TypeScript stripper or undici once the compile cache is warm', async () => {
    // Prepare: a preload that writes, at exit, the Node internals the run loaded (it loads none of them itself).
    const listed = join(out, 'internals.txt');
    const preload = `data:text/javascript,process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(listed)}, process.moduleLoadList.join('\\n')))`;
    // The run after a first one, as bench 12 measures it: every module comes stripped from the cache.
    expect(await start(['--help']).done).toBe(EXIT.ok);

    // Act
    const code = await start(['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:05', '--out', out], ['--import', preload]).done;
    const internals = readFileSync(listed, 'utf8').split('\n');

    // Assess: a .ts entry has its types stripped before it can turn the cache on, which loads the
    // stripper (amaro) on every run; an ES import of node:http loads undici. Each was ~15-40 ms of
    // the start before the first call, for nothing the run uses.
    expect(code).toBe(EXIT.ok);
    expect(sim.stats.reportRequests).toBeGreaterThan(0);
    expect(internals).toContain('NativeModule http');
    expect(internals.filter((m) => /amaro|undici/.test(m))).toEqual([]);
  });
});
