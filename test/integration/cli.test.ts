import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openLocalTables, query } from '../../lambda/local/duckdb-tables.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const run = promisify(execFile);
const TZ = 'America/Bogota';
const TOKEN = 'tok-CLI-SECRET-4b8e2d9a61';
const MINUTE = 60_000;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('Function: runCli', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let stdout: string[];
  let stderr: string[];
  const io = { stdout: (t: string) => stdout.push(t), stderr: (t: string) => stderr.push(t) };

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-20 01:10', TZ));
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
    out = mkdtempSync(join(tmpdir(), 'cli-out-'));
    stdout = [];
    stderr = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = () => ({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin, SETTLE_MINUTES: '65' });

  it('returns the true daily totals in DuckDB when a day is collected by resuming runs', async () => {
    // Prepare
    const codes: number[] = [];
    const end = instantOfWall('2026-11-21 01:15', TZ);

    // Act
    while (clock.ms <= end) {
      codes.push(await runCli(['--out', out], { env: env(), io, clock: clock.now }));
      clock.advance(93 * MINUTE);
    }
    codes.push(await runCli(['--out', out], { env: env(), io, clock: clock.now }));
    const db = await openLocalTables(out, 'wolkvox');
    const result = await query(db, `SELECT interval, sum(calls)::BIGINT AS calls, count(*) - count(DISTINCT window_start) AS repeated FROM cdr_4 WHERE dt = '2026-11-20' AND operation = '0032' GROUP BY interval`);
    const fetched = await query(db, `SELECT count(DISTINCT window_start) FROM cdr_4_fetches WHERE dt = '2026-11-20' AND outcome IN ('collected', 'empty')`);
    db.closeSync();

    // Assess
    expect(codes.every((c) => c === EXIT.ok)).toBe(true);
    const truth = sim.trueTotals('20261120000000', '20261120235959');
    const byInterval = Object.fromEntries(result.rows.map((r) => [r[0], { calls: Number(r[1]), repeated: Number(r[2]) }]));
    for (const [interval, t] of Object.entries(truth)) {
      expect(byInterval[interval]?.calls, interval).toBe(t.calls);
      expect(byInterval[interval]?.repeated, interval).toBe(0);
    }
    // Every window has its data object, quiet night windows included (zero lines).
    expect(filesUnder(out).filter((f) => f.startsWith('wolkvox/cdr_4/operation=0032/dt=2026-11-20/'))).toHaveLength(288);
    expect(Number(fetched.rows[0]?.[0])).toBe(288);
    expect(sim.stats.maxInFlight).toBe(1);
    const everything = [...stdout, ...stderr, ...filesUnder(out).map((f) => readFileSync(join(out, f), 'utf8'))].join('\n');
    expect(everything).not.toContain(TOKEN);
  });

  it('collects exactly the requested windows when --from and --to are given', async () => {
    // Prepare
    clock.set(instantOfWall('2026-11-20 12:00', TZ));

    // Act
    const code = await runCli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', out], { env: env(), io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.ok);
    const data = filesUnder(out).filter((f) => f.startsWith('wolkvox/cdr_4/'));
    expect(data).toHaveLength(12);
    expect(data[0]).toBe('wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json');
    expect(data[11]).toBe('wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120085500-20261120085959.json');
    // A range is a backfill job: done, it leaves no job behind and no live cursor.
    const state = JSON.parse(readFileSync(join(out, 'wolkvox/_state/cdr_4/operation=0032/checkpoint.json'), 'utf8'));
    expect(state).toMatchObject({ timezone: TZ, next_window: null, backfills: [] });
    expect(stdout.join('')).toContain('Due windows: 12; collected now: 12 (2026-11-20 08:00 to 2026-11-20 09:00 America/Bogota); already stored, skipped: 0');
    // The hints name the folder this run wrote, so they query and show this store, not ./data.
    expect(stdout.join('')).toContain(`npm run status -- --out ${out}`);
    expect(stdout.join('')).toContain(`npm run query -- --out ${out} "SELECT`);
  });

  it('returns exit 1 and keeps what it collected when part of the range has not ended', async () => {
    // Prepare
    clock.set(instantOfWall('2026-11-20 08:31', TZ));

    // Act
    const code = await runCli(['--from', '2026-11-20 08:00', '--to', '2026-11-20 09:00', '--out', out], { env: env(), io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.incomplete);
    expect(filesUnder(out).filter((f) => f.startsWith('wolkvox/cdr_4/'))).toHaveLength(6);
    expect(stdout.join('')).toContain('not ended yet: 6 window(s)');
    // The progress bar counts only the windows it will request, so it ends at 100%.
    expect(stderr.join('')).toContain('6/6 windows 100.0%');
  });

  it.each([
    [['--from', '2026-11-20 08:03', '--to', '2026-11-20 09:00'], '--from: "2026-11-20 08:03" is not on a 5-minute boundary'],
    [['--from', '2026-11-20 08:00'], '--from and --to go together'],
    [['--from', '2026-11-20 09:00', '--to', '2026-11-20 08:00'], 'must be after --from'],
    [['--from', 'yesterday', '--to', '2026-11-20 08:00'], 'is not a date-time'],
    [['--out', 'x', '--bucket', 'b-1'], 'exclude each other'],
    [['--frm', 'x'], 'unknown option --frm; did you mean --from? (npm start -- --help lists the options)'],
  ])('returns exit 2 naming the problem when the arguments are %j', async (argv, message) => {
    // Act
    const code = await runCli(argv, { env: env(), io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.usage);
    expect(stderr.join('')).toContain(message);
    expect(sim.stats.requests).toBe(0);
  });

  it.each([
    [{ WOLKVOX_TIMEZONE: 'Mars/Olympus' }, 'WOLKVOX_TIMEZONE: is not an IANA time zone'],
    [{ WOLKVOX_SERVER: 'evil.com/x' }, 'WOLKVOX_SERVER: must be the server nomenclature'],
    [{ WOLKVOX_BASE_URL: 'http://127.0.0.1:1/path' }, 'WOLKVOX_BASE_URL: must be an origin only'],
    [{ SETTLE_MINUTES: 'soon' }, 'SETTLE_MINUTES: must be a whole number'],
    [{ WOLKVOX_SERVER: undefined }, 'WOLKVOX_SERVER: is required when WOLKVOX_TOKEN is set'],
    [{ WOLKVOX_TOKEN: undefined }, 'WOLKVOX_BASE_URL is set but WOLKVOX_TOKEN is not'],
  ])('returns exit 2 naming the variable when the environment has %j', async (patch, message) => {
    // Act
    const code = await runCli(['--out', out], { env: { ...env(), ...patch }, io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.usage);
    expect(stderr.join('')).toContain(message);
  });

  it('returns exit 3 with the vendor message and no token when the token is rejected', async () => {
    // Prepare
    sim.setToken('tok-other-token-0000');

    // Act
    const code = await runCli(['--out', out], { env: env(), io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.fatal);
    // The CLI's token cannot change by re-reading it: one call, not a second with the same token.
    expect(sim.stats.requests).toBe(1);
    // Said once, in the summary: not again per attempt, nor twice within one message.
    expect([...stdout, ...stderr].join('').match(/PLEASE VALIDATE TOKEN/g)).toHaveLength(1);
    expect([...stdout, ...stderr].join('')).not.toContain(TOKEN);
  });

  describe('with --bucket', () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startLocalS3('cli-bucket');
    });
    afterAll(async () => {
      await s3.close();
    });

    it('writes the same keys to S3 as to the local folder when given the same range', async () => {
      // Prepare
      clock.set(instantOfWall('2026-11-20 12:00', TZ));
      const range = ['--from', '2026-11-20 10:00', '--to', '2026-11-20 10:30'];

      // Act
      const toS3 = await runCli([...range, '--bucket', 'cli-bucket'], { env: env(), io, clock: clock.now, s3Client: s3.client });
      const toDisk = await runCli([...range, '--out', out], { env: env(), io, clock: clock.now });

      // Assess
      expect([toS3, toDisk]).toEqual([EXIT.ok, EXIT.ok]);
      const s3Data = (await s3.listKeys('wolkvox/cdr_4/')).sort();
      expect(s3Data).toHaveLength(6);
      expect(s3Data).toEqual(filesUnder(out).filter((f) => f.startsWith('wolkvox/cdr_4/')));
      // Same rows but for the per-call fields.
      const stable = (text: string) => text.replace(/"(fetch_id|collected_at)":"[^"]*"/g, '"$1":"-"');
      for (const key of s3Data) expect(stable(await s3.read(key))).toBe(stable(readFileSync(join(out, key), 'utf8')));
      const bodies = await Promise.all((await s3.listKeys()).map((k) => s3.read(k)));
      expect(bodies.join('\n')).not.toContain(TOKEN);
    });
  });
});

describe('Command: npm start / npm run query (fresh process, embedded simulator)', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'npm-start-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('collects the last hour from the built-in simulator and says how to query it when no token is set', async () => {
    // Prepare
    const env = { ...process.env, WOLKVOX_TOKEN: '', WOLKVOX_BASE_URL: '', WOLKVOX_SERVER: '' };

    // Act
    const { stdout, stderr } = await run(process.execPath, [...nodeArgsOf('start'), '--out', out], { env, timeout: 60_000 });
    const query = await run(process.execPath, [...nodeArgsOf('query'), '--out', out, "SELECT count(DISTINCT window_start) AS windows FROM cdr_4_fetches WHERE outcome = 'empty' OR (outcome = 'collected' AND row_count > 0)"], { env, timeout: 60_000 });

    // Assess: windows counted from the fetch log, since a window without calls has no row in cdr_4 (at night, most of them);
    // a span's call (the new store's look back over the month before) has rows of no window of its own
    expect(stderr).toContain('built-in Wolkvox simulator');
    expect(stdout).toMatch(/Collected 12 of 12 window\(s\) of operation demo/);
    expect(stdout).toMatch(/Calls per interval in what this run collected: 0_5_seg=\d+, 6_20_seg=\d+, 21_60_seg=\d+, 61_120_seg=\d+, greater_than_121=\d+/);
    expect(stdout).toContain(`npm run query -- --out ${out} "SELECT dt, interval, sum(calls) AS calls FROM cdr_4 WHERE operation = 'demo'`);
    expect(query.stdout).toMatch(/windows\s*\n-+\s*\n12\s*$/);
  });

  it('says where it looked and exits 1 when npm run query finds no data in the folder', async () => {
    // Prepare
    const empty = mkdtempSync(join(tmpdir(), 'npm-query-empty-'));

    // Act
    const result = await run(process.execPath, [...nodeArgsOf('query'), '--out', empty, 'SELECT count(*) AS n FROM cdr_4'], { env: process.env, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    rmSync(empty, { recursive: true, force: true });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`note: no collected data under ${join(empty, 'wolkvox')}`);
  });
});
