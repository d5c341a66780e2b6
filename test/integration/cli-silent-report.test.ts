/**
 * Issue 19, part 5, on the path a user takes: the schedule (`npm start` with no range, every
 * 2 hours here) over a report that showed calls and then answers 404 "Validate dates entered" to
 * everything for 8 days, then `npm run status`. In process (runCli and runStatus with a clock
 * the test moves), against the simulator on loopback and a real folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lambda/local/run-cli.ts';
import { runStatus } from '../../lambda/local/run-status.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-SILENT-SECRET-0b7d93c4';
const HOUR = 3_600_000;
/** Runs every 2 hours: several a day are enough for a bound counted in days. */
const EVERY = 2 * HOUR;
const SILENT_LINE = /No answer has shown a call since (\d{4}-\d{2}-\d{2}), longer than SILENT_DAYS: check that the token and server are this operation's and that the report has data \(the ReportSilent alarm\)\./;

describe('Command: npm start (scheduled) and npm run status, a report that stops showing calls', () => {
  let withCalls: Simulator;
  let only404: Simulator;
  let clock: ManualClock;
  let out: string;

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-12 10:00', TZ));
    withCalls = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now });
    // The same operation once its server no longer has the report (or the token moved): 404 to every cdr_4 call.
    only404 = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, vendor: { answer404: true } });
    out = mkdtempSync(join(tmpdir(), 'cli-silent-'));
  });
  afterEach(async () => {
    await withCalls.close();
    await only404.close();
    rmSync(out, { recursive: true, force: true });
  });

  /** One scheduled `npm start` against `api`; what it printed on stdout. */
  async function scheduled(api: Simulator): Promise<string> {
    const stdout: string[] = [];
    await runCli(['--out', out], { env: { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: api.origin }, io: { stdout: (t) => stdout.push(t), stderr: () => undefined }, clock: clock.now, sleep: async (ms) => clock.advance(ms) });
    return stdout.join('');
  }

  it('returns the line naming the day the calls stopped and what to check once no answer has shown a call for longer than SILENT_DAYS, and status says so too', async () => {
    // Prepare: a first run while the report still shows calls (the new store's look back and the last hour).
    const first = await scheduled(withCalls);

    // Act: runs every 2 hours for 8 days of 404 answers.
    const runs: { at: number; text: string }[] = [];
    while (clock.ms < instantOfWall('2026-11-20 10:00', TZ)) {
      clock.advance(EVERY);
      runs.push({ at: clock.ms, text: await scheduled(only404) });
    }
    const stdout: string[] = [];
    const statusCode = await runStatus(['--out', out], { env: {}, io: { stdout: (t) => stdout.push(t), stderr: () => undefined }, clock: clock.now });

    // Assess
    expect(first).not.toMatch(SILENT_LINE);
    // Every cdr_4 call of those 8 days was answered 404 "Validate dates entered" (token_info has no dates).
    expect(only404.stats.log.filter((e) => e.dateIni !== null && e.status !== 404)).toEqual([]);
    // Silent for at most SILENT_DAYS (7 days after the last window with calls, which ended 2026-11-12 09:55): nothing said.
    const week = instantOfWall('2026-11-19 10:00', TZ);
    expect(runs.filter((r) => r.at <= week && SILENT_LINE.test(r.text)).map((r) => new Date(r.at).toISOString())).toEqual([]);
    // From then on every run says so, naming the day the calls stopped.
    const after = runs.filter((r) => r.at > week);
    expect(after.length).toBeGreaterThanOrEqual(11);
    for (const r of after) expect(SILENT_LINE.exec(r.text)?.[1], new Date(r.at).toISOString()).toBe('2026-11-12');
    expect(statusCode).toBe(0);
    expect(stdout.join('')).toMatch(/No answer has shown a call since 2026-11-12 09:55 America\/Bogota, longer than SILENT_DAYS=7: check that the token and server are this operation's and that the report has data \(the ReportSilent alarm\)/);
    // A day the schedule collected whole under 404 answers is verified on them, and its row says so.
    const rowsDir = join(out, 'wolkvox/cdr_4_verifications/operation=0032/dt=2026-11-15');
    const rows = readdirSync(rowsDir).map((f) => JSON.parse(readFileSync(join(rowsDir, f), 'utf8')) as { status: string; note: string | null; vendor_calls: number });
    expect(rows.filter((r) => r.status !== 'pending')).toEqual([expect.objectContaining({ status: 'verified', vendor_calls: 0, note: expect.stringContaining('the day answer was "no records"') })]);
  });
});
