/**
 * The range path as a user takes it: `npm start -- --from … --to …` interrupted, rerun,
 * under faults, against guards, and a second collector. In process (runCli with a clock the
 * test moves), against the simulator on loopback and a real folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leaseKey } from '../../lambda/domain/layout.ts';
import { toWallClock, WALL } from '../../lambda/domain/wall-clock.ts';
import { openLocalTables, query } from '../../lambda/local/duckdb-tables.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { prng } from '../simulator/synthetic-calls.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-RANGE-SECRET-7c41a9e0';
const MINUTE = 60_000;
const TWO_DAYS = ['--from', '2026-11-20 00:00', '--to', '2026-11-22 00:00'];

/** Every file under `dir` with its content: "nothing written changed" is this, before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}


describe('Command: npm start -- --from --to (ranges as resumable jobs)', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let stdout: string[];
  let stderr: string[];
  let faultFor: ((nowMs: number) => Fault | undefined) | undefined;
  const io = { stdout: (t: string) => stdout.push(t), stderr: (t: string) => stderr.push(t) };
  const sleep = async (ms: number) => clock.advance(ms);

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    faultFor = undefined;
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, faultFor: ({ nowMs }) => faultFor?.(nowMs) });
    out = mkdtempSync(join(tmpdir(), 'cli-range-'));
    stdout = [];
    stderr = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = (patch: Record<string, string> = {}) => ({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin, WOLKVOX_REQUEST_TIMEOUT_MS: '1000', ...patch });
  const cli = (argv: string[], extra: { env?: Record<string, string>; shouldStop?: () => boolean } = {}) =>
    runCli(argv, { env: extra.env ?? env(), io, clock: clock.now, sleep, ...(extra.shouldStop ? { shouldStop: extra.shouldStop } : {}) });

  /** Totals per interval of one day in DuckDB against the simulator's truth, and repeats. */
  async function checkDay(dt: string): Promise<void> {
    const db = await openLocalTables(out, 'wolkvox');
    const rows = await query(db, `SELECT interval, sum(calls)::BIGINT, count(*) - count(DISTINCT window_start) FROM cdr_4 WHERE dt = '${dt}' GROUP BY interval`);
    db.closeSync();
    const truth = sim.trueTotals(`${dt.replace(/-/g, '')}000000`, `${dt.replace(/-/g, '')}235959`);
    const got = Object.fromEntries(rows.rows.map((r) => [r[0], { calls: Number(r[1]), repeated: Number(r[2]) }]));
    for (const [interval, t] of Object.entries(truth)) expect(got[interval], `${dt} ${interval}`).toEqual({ calls: t.calls, repeated: 0 });
    const dir = join(out, `wolkvox/cdr_4/operation=0032/dt=${dt}`);
    expect(Object.keys(snapshot(dir))).toHaveLength(288);
  }

  it('resumes an interrupted 2-day range with at most 1.1 calls per window and makes no call on a third run', async () => {
    // Prepare: Ctrl-C arrives once 200 calls were made.
    const stopAt = 200;

    // Act
    const first = await cli([...TWO_DAYS, '--out', out], { shouldStop: () => sim.stats.reportRequests >= stopAt });
    const firstCalls = sim.stats.reportRequests;
    const firstOut = stdout.join('');
    const second = await cli([...TWO_DAYS, '--out', out]);
    const bothCalls = sim.stats.reportRequests;
    const third = await cli([...TWO_DAYS, '--out', out]);

    // Assess
    expect(first).toBe(EXIT.interrupted);
    expect(firstCalls).toBe(stopAt);
    expect(firstOut).toContain('Interrupted: what was collected is stored and progress is saved; rerun the same command to resume.');
    // A fresh folder: nothing was stored before, whatever gaps the walk filled on its way.
    expect(firstOut).toContain('already stored, skipped: 0');
    expect(second).toBe(EXIT.ok);
    // What the interrupted run said was left is what the rerun collected: windows of a span cut
    // short that were already stored are not counted as left.
    const left = Number(/Left in this range: (\d+) window label\(s\)/.exec(firstOut)?.[1]);
    const collectedByRerun = Number(/collected now: (\d+)/.exec(stdout.join('').slice(firstOut.length))?.[1]);
    expect(left).toBe(collectedByRerun);
    expect(bothCalls).toBeLessThanOrEqual(Math.floor(1.1 * 576));
    expect(third).toBe(EXIT.ok);
    expect(sim.stats.reportRequests).toBe(bothCalls);
    expect(stdout.join('')).toContain('Due windows: 576; collected now: 0; already stored, skipped: 576');
    // Both days verified by the run that finished them, with the day calls the simulator logged after the last window call.
    const isDay = (e: { dateIni: string | null; dateEnd: string | null }) => e.dateIni?.endsWith('000000') && e.dateEnd === `${e.dateIni.slice(0, 8)}235959`;
    const lastWindowCall = sim.stats.log.findLastIndex((e) => !isDay(e));
    const verifyCalls = sim.stats.log.slice(lastWindowCall + 1).filter(isDay).length;
    expect(verifyCalls).toBe(2);
    expect(stdout.join('')).toContain(`Days verified against Wolkvox's day totals: 2026-11-20..2026-11-21; API calls for verification: ${verifyCalls}`);
    await checkDay('2026-11-20');
    await checkDay('2026-11-21');
    // Every call has its fetch-log record (windows a span call proved empty name that call's
    // fetch_id): a rerun adds none for stored windows.
    const fetchIds = new Set(Object.values(snapshot(join(out, 'wolkvox/cdr_4_fetches'))).map((body) => (JSON.parse(body) as { fetch_id: string }).fetch_id));
    expect(fetchIds.size).toBe(bothCalls);
    expect(JSON.stringify(snapshot(out)) + stdout.join('') + stderr.join('')).not.toContain(TOKEN);
  });

  it('exits 130 and says so when Ctrl-C comes while the finished range\'s days are being verified, and the rerun verifies the rest', async () => {
    // Prepare: Ctrl-C once the first day call after the walk has gone out.
    const isDay = (e: { dateIni: string | null; dateEnd: string | null }) => e.dateIni?.endsWith('000000') && e.dateEnd === `${e.dateIni.slice(0, 8)}235959`;
    const stopDuringVerification = () => {
      const log = sim.stats.log;
      const lastWindow = log.findLastIndex((e) => !isDay(e));
      return lastWindow >= 0 && log.slice(lastWindow + 1).some(isDay) && log.length > 500;
    };

    // Act
    const first = await cli([...TWO_DAYS, '--out', out], { shouldStop: stopDuringVerification });
    const firstOut = stdout.join('');
    const calls = sim.stats.reportRequests;
    const second = await cli([...TWO_DAYS, '--out', out]);

    // Assess
    expect(first).toBe(EXIT.interrupted);
    expect(firstOut).toContain('Interrupted: what was collected is stored and progress is saved; rerun the same command to resume.');
    expect(firstOut).toContain('Days waiting for verification: 1: 2026-11-21;');
    expect(second).toBe(EXIT.ok);
    expect(sim.stats.reportRequests - calls).toBe(1);
    expect(stdout.join('').slice(firstOut.length)).toContain("Days verified against Wolkvox's day totals: 2026-11-21; API calls for verification: 1");
  });

  it('gives the exact day with at most 1.4 calls per window when reruns go through 5xx, bad JSON, hangs and a maintenance half hour', async () => {
    // Prepare: each call takes 2 s of the test's clock; maintenance 03:00-03:30 fails 70% of calls.
    clock.set(instantOfWall('2026-11-25 02:50', TZ));
    const rnd = prng(11);
    let faults = 0;
    faultFor = (nowMs) => {
      clock.advance(2_000);
      const wall = toWallClock(nowMs, TZ) % (24 * WALL.HOUR_MS);
      const fault: Fault | undefined =
        wall >= 3 * WALL.HOUR_MS && wall < 3 * WALL.HOUR_MS + 30 * MINUTE && rnd() < 0.7
          ? { kind: 'maintenance' }
          : ((r) => (r < 0.05 ? { kind: 'http503' as const } : r < 0.06 ? { kind: 'badJson' as const } : r < 0.065 ? { kind: 'hang' as const } : undefined))(rnd());
      if (fault) faults += 1;
      return fault;
    };
    const range = ['--from', '2026-11-20 00:00', '--to', '2026-11-21 00:00', '--out', out];

    // Act
    const codes: number[] = [];
    for (let i = 0; i < 10 && codes.at(-1) !== EXIT.ok; i += 1) codes.push(await cli(range));

    // Assess
    console.log(`faulty day: runs ${codes.join(",")}, calls ${sim.stats.reportRequests}, faults ${faults}`);
    expect(codes.at(-1)).toBe(EXIT.ok);
    expect(faults).toBeGreaterThan(20);
    expect(sim.stats.reportRequests).toBeLessThanOrEqual(Math.floor(1.4 * 288));
    expect(stderr.join('')).toContain('waiting');
    await checkDay('2026-11-20');
  }, 120_000);

  it('refuses a range in another time zone before any call and changes nothing', async () => {
    // Prepare
    expect(await cli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30', '--out', out])).toBe(EXIT.ok);
    const before = snapshot(out);
    const calls = sim.stats.reportRequests;

    // Act
    const code = await cli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', out], { env: env({ WOLKVOX_TIMEZONE: 'america/new_york' }) });

    // Assess
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain('labelled in America/Bogota');
    expect(stderr.join('')).toContain('WOLKVOX_TIMEZONE is America/New_York');
    expect(sim.stats.reportRequests).toBe(calls);
    expect(snapshot(out)).toEqual(before);
  });

  it('stops at the daily cap, refuses more calls that day, and resumes the next day', async () => {
    // Prepare
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 12:00', '--out', out];
    const capped = env({ DAILY_CALL_CAP: '10' });

    // Act
    const first = await cli(range, { env: capped });
    const afterFirst = sim.stats.reportRequests;
    const before = snapshot(out);
    const storedFirstDay = Object.keys(snapshot(join(out, 'wolkvox/cdr_4'))).length;
    const sameDay = await cli(range, { env: capped });
    const unchanged = snapshot(out);
    clock.advance(24 * 60 * MINUTE);
    const nextDay = await cli(range, { env: capped });

    // Assess
    expect(first).toBe(EXIT.incomplete);
    expect(afterFirst).toBe(10);
    expect(stdout.join('')).toContain('Daily call cap reached: 10 of DAILY_CALL_CAP=10 calls made today (America/Bogota); rerun the same command after midnight there to resume.');
    expect(sameDay).toBe(EXIT.incomplete);
    expect(unchanged).toEqual(before);
    expect(nextDay).toBe(EXIT.incomplete);
    expect(sim.stats.reportRequests).toBe(20);
    expect(storedFirstDay).toBeGreaterThan(0);
    expect(Object.keys(snapshot(join(out, 'wolkvox/cdr_4'))).length).toBeGreaterThan(storedFirstDay);
  });

  it('refuses an output path that is a file before any call', async () => {
    // Prepare
    const file = join(out, 'not-a-folder');
    writeFileSync(file, 'keep me');

    // Act
    const code = await cli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', file]);

    // Assess
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain(`--out ${file} is not a folder`);
    expect(sim.stats.reportRequests).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('refuses to run beside another live collector of the operation and changes nothing', async () => {
    // Prepare: the deployed Lambda (here: its lease) is working on the same store.
    expect(await cli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30', '--out', out])).toBe(EXIT.ok);
    const lease = { holder: { kind: 'lambda', host: '2026/11/25/[$LATEST]abc', pid: 8, run: 'r1' }, acquired_at: new Date(clock.ms - MINUTE).toISOString(), expires_at: new Date(clock.ms + 2 * MINUTE).toISOString() };
    writeFileSync(join(out, leaseKey('wolkvox', '0032')), JSON.stringify(lease));
    const before = snapshot(out);
    const calls = sim.stats.reportRequests;

    // Act
    const code = await cli(['--from', '2026-11-20 09:00', '--to', '2026-11-20 10:00', '--out', out]);

    // Assess
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain('another collector of operation 0032 is running: the Lambda function');
    expect(sim.stats.reportRequests).toBe(calls);
    expect(snapshot(out)).toEqual(before);
  });

  it('stops without another call and exits 4 when another collector takes its lease mid-run', async () => {
    // Prepare: each call takes 2 s; at the 20th call the lease is taken over (as if this run had stalled past it).
    const leasePath = join(out, leaseKey('wolkvox', '0032'));
    faultFor = () => {
      clock.advance(2_000);
      if (sim.stats.reportRequests === 20) writeFileSync(leasePath, JSON.stringify({ holder: { kind: 'lambda', host: 'fn', pid: 8, run: 'r9' }, acquired_at: new Date(clock.ms).toISOString(), expires_at: new Date(clock.ms + 3 * MINUTE).toISOString() }));
      return undefined;
    };

    // Act
    const code = await cli(TWO_DAYS.concat(['--out', out]));

    // Assess: the loss is found at the next renewal (half the lease time, 45 calls here), and then nothing more is called.
    expect(code).toBe(EXIT.local);
    expect(stderr.join('')).toContain('lost the lease of operation 0032');
    expect(sim.stats.reportRequests).toBeLessThanOrEqual(46);
    expect(stderr.join('')).not.toContain('waiting');
    expect(JSON.parse(readFileSync(leasePath, 'utf8')).holder.run).toBe('r9');
  });

  it('takes over the lease of a CLI run that was killed on this machine', async () => {
    // Prepare: a lease of a process that no longer exists, still within its time.
    const dead = { holder: { kind: 'cli', host: (await import('node:os')).hostname(), pid: 2 ** 22 + 7, run: 'gone' }, acquired_at: new Date(clock.ms).toISOString(), expires_at: new Date(clock.ms + 3 * MINUTE).toISOString() };
    mkdirSync(join(out, 'wolkvox/_state/cdr_4/operation=0032'), { recursive: true });
    writeFileSync(join(out, leaseKey('wolkvox', '0032')), JSON.stringify(dead));

    // Act
    const code = await cli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30', '--out', out]);

    // Assess
    expect(code).toBe(EXIT.ok);
    // One call over the half hour, then its 6 windows (each holds calls).
    expect(sim.stats.reportRequests).toBe(7);
    const after = JSON.parse(readFileSync(join(out, leaseKey('wolkvox', '0032')), 'utf8'));
    expect(after.holder.pid).toBe(process.pid);
    // Given back at the end: it has lapsed, so the next run need not wait.
    expect(Date.parse(after.expires_at)).toBeLessThanOrEqual(clock.ms);
  });

  it('tries a window it gave up on again when the same range is rerun', async () => {
    // Prepare: one window answers with something that is not a report, until it is fixed.
    let broken = true;
    faultFor = (nowMs) => (broken && sim.stats.reportRequests === 3 && nowMs > 0 ? { kind: 'badShape' } : undefined);
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30', '--out', out];

    // Act
    const first = await cli(range);
    const firstOut = stdout.join('');
    broken = false;
    const calls = sim.stats.reportRequests;
    const second = await cli(range);

    // Assess
    expect(first).toBe(EXIT.incomplete);
    // The third call is the second window's (the first asked the whole half hour).
    expect(firstOut).toContain('Skipped after a non-transient failure: 2026-11-20 08:05:00');
    expect(firstOut).toContain('rerun the same command to try them again');
    expect(second).toBe(EXIT.ok);
    expect(sim.stats.reportRequests - calls).toBe(1);
    expect(Object.keys(snapshot(join(out, 'wolkvox/cdr_4')))).toHaveLength(6);
  });

  it('counts a refilled gap once: one window deleted and the range rerun shows 1 collected, 11 stored, and a progress line that ends at 12/12', async () => {
    // Prepare
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', out];
    expect(await cli(range)).toBe(EXIT.ok);
    rmSync(join(out, 'wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120083000-20261120083459.json'));
    const calls = sim.stats.reportRequests;
    stderr = [];
    stdout = [];

    // Act: on a terminal, where every window redraws the progress line.
    const code = await runCli(range, { env: env(), io: { ...io, stderrIsTty: true }, clock: clock.now, sleep });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(sim.stats.reportRequests - calls).toBe(1);
    expect(stdout.join('')).toContain('Due windows: 12; collected now: 1 (2026-11-20 08:30 to 2026-11-20 08:35 America/Bogota); already stored, skipped: 11');
    const counts = [...stderr.join('').matchAll(/\] (\d+)\/(\d+) windows/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every(([done, total]) => done! <= total!)).toBe(true);
    expect(counts.at(-1)).toEqual([12, 12]);
  });

  it('builds the day objects of history collected before they existed when the range is rerun, with no API call', async () => {
    // Prepare: windows stored, their day objects gone (as in a folder filled by an older version).
    const range = ['--from', '2026-11-20 22:00', '--to', '2026-11-21 02:00', '--out', out];
    expect(await cli(range)).toBe(EXIT.ok);
    rmSync(join(out, 'wolkvox/cdr_4_daily'), { recursive: true });
    const calls = sim.stats.reportRequests;

    // Act
    const code = await cli(range);
    const db = await openLocalTables(out, 'wolkvox');
    const fromDays = await query(db, 'SELECT dt, count(*)::INT, sum(calls)::BIGINT FROM cdr_4_daily GROUP BY dt ORDER BY dt');
    const fromWindows = await query(db, 'SELECT dt, count(*)::INT, sum(calls)::BIGINT FROM cdr_4 GROUP BY dt ORDER BY dt');
    db.closeSync();

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(sim.stats.reportRequests).toBe(calls);
    expect(fromDays.rows.map((r) => r[0])).toEqual(['2026-11-20', '2026-11-21']);
    expect(fromDays.rows).toEqual(fromWindows.rows);
  });

  it('collects stored windows again as revision 2 when --refetch is given', async () => {
    // Prepare
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 08:30', '--out', out];
    expect(await cli(range)).toBe(EXIT.ok);

    // Act
    const code = await cli([...range, '--refetch']);
    const db = await openLocalTables(out, 'wolkvox');
    const revisions = await query(db, 'SELECT DISTINCT revision FROM cdr_4');
    db.closeSync();

    // Assess
    expect(code).toBe(EXIT.ok);
    // 7 calls the first time (the half hour, then its windows), 6 for the refetch (window by window).
    expect(sim.stats.reportRequests).toBe(13);
    expect(revisions.rows).toEqual([[2]]);
  });

  it('goes on from where an interrupted --refetch stopped instead of fetching its windows again', async () => {
    // Prepare
    const range = ['--from', '2026-11-20 08:00', '--to', '2026-11-20 10:00', '--out', out];
    expect(await cli(range)).toBe(EXIT.ok);

    // Act: the refetch is stopped after 10 of its 24 calls, then run again (the first run made 25: the two hours, then their windows).
    const collected = sim.stats.reportRequests;
    const first = await cli([...range, '--refetch'], { shouldStop: () => sim.stats.reportRequests >= collected + 10 });
    const second = await cli([...range, '--refetch']);

    // Assess
    expect([first, second]).toEqual([EXIT.interrupted, EXIT.ok]);
    expect(collected).toBeLessThanOrEqual(24 + 2);
    expect(sim.stats.reportRequests).toBe(collected + 24);
  });
});
