/**
 * `npm run query` as a user runs it (a child process started from package.json's script),
 * over a folder that a range of the simulator filled: the formats, the row limit, help, a
 * result larger than the table shows, a reader that stops early.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { nodeArgsOf } from '../support/npm-script.ts';

const run = promisify(execFile);
const TZ = 'America/Bogota';
const TOKEN = 'tok-QUERY-SECRET-0a7e55b1';

/** `npm run query -- <args>`: its exit status and output, whatever the status. */
async function query(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...nodeArgsOf('query'), ...args], { env: process.env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('Command: npm run query', () => {
  let out: string;
  let rows: number;

  beforeAll(async () => {
    // A day of the simulator's office traffic, stored as a range stores it.
    out = mkdtempSync(join(tmpdir(), 'query-cli-'));
    const clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    const sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
    const code = await runCli(['--from', '2026-11-20 00:00', '--to', '2026-11-21 00:00', '--out', out], { env: { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin }, io: { stdout: () => {}, stderr: () => {} }, clock: clock.now });
    await sim.close();
    if (code !== EXIT.ok) throw new Error(`the range exited ${code}`);
    rows = Number((await query(['--out', out, '--format', 'csv', 'SELECT count(*) AS n FROM cdr_4'])).stdout.split('\n')[1]);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('shows the first 100 rows of a table and says how many more there are', async () => {
    // Act
    const ran = await query(['--out', out, 'SELECT window_start, interval, calls FROM cdr_4 ORDER BY ALL']);

    // Assess
    expect(rows).toBeGreaterThan(200);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^window_start\s+\| interval\s+\| calls$/);
    expect(lines).toHaveLength(2 + 100 + 1);
    expect(lines.at(-1)).toBe(`(100 row(s) shown, ${rows - 100} more not shown: --limit N shows more, --format csv or json writes every row)`);
  });

  it('writes every row as CSV with a header, quoting what needs it', async () => {
    // Act
    const all = await query(['--out', out, '--format', 'csv', 'SELECT * FROM cdr_4']);
    const quoted = await query(['--out', out, '--format', 'csv', `SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z, 7::BIGINT AS n`]);

    // Assess
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('window_start,window_end,window_start_utc,window_end_utc,timezone,interval,interval_min_seconds,interval_max_seconds,calls,minutes,cost,percentage,revision,fetch_id,collected_at,operation,dt,hour');
    expect(lines).toHaveLength(rows + 1);
    expect(quoted.stdout).toBe('x,y,z,n\n"a,b","say ""hi""",,7\n');
  });

  it('writes one JSON object per row and line, with whole numbers as numbers', async () => {
    // Act
    const ran = await query(['--out', out, '--format', 'json', "SELECT dt, interval, sum(calls) AS calls FROM cdr_4 GROUP BY ALL ORDER BY ALL"]);

    // Assess
    expect(ran.code).toBe(0);
    const objects = ran.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { dt: string; interval: string; calls: unknown });
    expect(objects).toHaveLength(5);
    expect(objects[0]).toMatchObject({ dt: '2026-11-20', interval: '0_5_seg' });
    expect(typeof objects[0]!.calls).toBe('number');
  });

  it('stops at --limit rows in every format', async () => {
    // Act
    const limited = (format: string) => query(['--out', out, '--format', format, '--limit', '3', 'SELECT * FROM range(5000)']);
    const [table, csv, json] = await Promise.all([limited('table'), limited('csv'), limited('json')]);

    // Assess
    expect(table.stdout.trimEnd().split('\n')).toEqual(['range', '-----', '0', '1', '2', '(3 row(s) shown, 4997 more not shown: --limit N shows more, --format csv or json writes every row)']);
    expect(csv.stdout).toBe('range\n0\n1\n2\n');
    expect(json.stdout).toBe('{"range":0}\n{"range":1}\n{"range":2}\n');
  });

  it('prints its help with exit 0, and a clear line with exit 2 for a wrong format, flag or SQL', async () => {
    // Act
    const help = await query(['--help']);
    const format = await query(['--out', out, '--format', 'xml', 'SELECT 1']);
    const flag = await query(['--out', out, '--limt', '5', 'SELECT 1']);
    const sql = await query(['--out', out, 'SELECT * FROM cdr_5']);
    const bucket = await query(['--bucket', 'my-lake', 'SELECT 1']);

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run query -- [--out DIR] [--format table|csv|json] [--limit N]');
    expect(format).toMatchObject({ code: 2, stderr: 'error: --format: "xml" is not one of table, csv, json\n' });
    expect(flag).toMatchObject({ code: 2, stderr: 'error: unknown option --limt; did you mean --limit? (npm run query -- --help lists the options)\n' });
    expect(sql.code).toBe(2);
    expect(sql.stderr).toContain('cdr_5 does not exist');
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toContain('query the bucket my-lake with Athena');
  });

  it('ends quietly with exit 0 when the reader stops early (| head)', async () => {
    // Act: the reader takes the first chunk of a long CSV and closes the pipe.
    const child = spawn(process.execPath, [...nodeArgsOf('query'), '--out', out, '--format', 'csv', 'SELECT * FROM range(5000000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});
