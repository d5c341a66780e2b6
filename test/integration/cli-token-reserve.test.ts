/**
 * Issue 19, part 4, on the path a user takes: a month's range (`npm start -- --from --to --out`)
 * with a token that other integrations share. In process (runCli with a clock the test moves),
 * against the simulator on loopback (its token_info, its daily limit, which resets at the
 * operation's midnight as the collector assumes) and a real folder. Calls are counted in the
 * simulator's own request log, not by the collector.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-RESERVE-SECRET-5e0c2b19';
const LIMIT = 1_000;
const OTHERS = 600;
/** TOKEN_RESERVE's default, 20% of the limit: what other integrations keep. */
const RESERVE = 200;
const MONTH = ['--from', '2026-10-01 00:00', '--to', '2026-11-01 00:00'];

/** Every file under `dir` with its content. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('Command: npm start -- --from --to (a token shared with other integrations)', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let stdout: string[];
  const io = { stdout: (t: string) => stdout.push(t), stderr: () => undefined };

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    // Other integrations have used 600 of the token's 1,000 calls whenever it is asked.
    sim = await startSimulator({ token: TOKEN, server: '0032', timeZone: TZ, now: clock.now, traffic: { kind: 'business-hours' }, dailyLimit: LIMIT, othersUse: () => OTHERS });
    out = mkdtempSync(join(tmpdir(), 'cli-reserve-'));
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  /** One `npm start` of the month; what it printed, its exit status and the simulator's log entries it caused. */
  async function run() {
    stdout = [];
    const before = sim.stats.log.length;
    const at = clock.ms;
    const code = await runCli([...MONTH, '--out', out], { env: { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin }, io, clock: clock.now, sleep: async (ms) => clock.advance(ms) });
    // Nothing was waited out, so every request of the run fell on the vendor's day of `at`.
    expect(clock.ms).toBe(at);
    return { code, text: stdout.join(''), requests: sim.stats.log.slice(before) };
  }

  it('returns exit 1 naming the reserve after at most 200 calls of ours that day when others used 600 of 1,000, and resumes the next day', async () => {
    // Prepare
    const data = join(out, 'wolkvox/cdr_4');

    // Act: the month, the same command again that day, and again after the operation's midnight.
    const first = await run();
    const afterFirst = files(data);
    const sameDay = await run();
    clock.set(instantOfWall('2026-11-26 00:05', TZ));
    const nextDay = await run();
    const afterNext = files(data);

    // Assess
    // The simulator saw at most limit - others - reserve calls of ours each day (token_info's included), none refused.
    const ours = [first, sameDay, nextDay].map((r) => r.requests.length);
    expect(ours[0]).toBeLessThanOrEqual(LIMIT - OTHERS - RESERVE);
    expect(ours[1]).toBe(0);
    // The refused rerun does not claim a range with nothing due: its job stands.
    expect(sameDay.text).toContain('Nothing collected now: the range was not started (why, below); its job stands as saved');
    expect(sameDay.text).toMatch(/Left in this range: [1-9]\d* window label\(s\)/);
    expect(ours[2]).toBeLessThanOrEqual(LIMIT - OTHERS - RESERVE);
    expect(ours[2]).toBeGreaterThan(0);
    expect(sim.stats.log.filter((e) => e.status !== 200 && e.status !== 404)).toEqual([]);
    // Each run says why it stopped, with the figures, and exits 1 as the README's exit table says.
    const reserveLine = /Stopped to keep the token's reserve for other integrations: its daily limit is 1000, (\d+) used today by every integration, 200 kept \(TOKEN_RESERVE=20%\); rerun the same command after midnight \(America\/Bogota\) to resume/;
    for (const r of [first, sameDay, nextDay]) {
      expect(r.code).toBe(EXIT.incomplete);
      expect(r.text).toMatch(reserveLine);
      expect(Number(reserveLine.exec(r.text)![1])).toBeLessThanOrEqual(LIMIT - RESERVE);
      // A month of an operation with calls is not a silent report.
      expect(r.text).not.toContain('No answer has shown a call');
    }
    // The next day went on where the first stopped: what was stored stays as it was (no window
    // fetched again), more was stored, and the day the first run stopped in is whole and exact.
    expect(afterFirst.size).toBeGreaterThan(0);
    expect(afterNext.size).toBeGreaterThan(afterFirst.size);
    for (const [key, body] of afterFirst) expect(afterNext.get(key), key).toBe(body);
    const stoppedIn = [...afterFirst.keys()].sort().at(-1)!.match(/dt=(\d{4}-\d{2}-\d{2})/)![1]!;
    const day = [...afterNext].filter(([key]) => key.includes(`dt=${stoppedIn}/`));
    expect(day).toHaveLength(288);
    const stored = day.flatMap(([, body]) => body.split('\n').filter(Boolean)).reduce((n, line) => n + (JSON.parse(line) as { calls: number }).calls, 0);
    const compact = stoppedIn.replace(/-/g, '');
    const truth = Object.values(sim.trueTotals(`${compact}000000`, `${compact}235959`)).reduce((n, t) => n + t.calls, 0);
    expect(stored).toBe(truth);
  });
});
