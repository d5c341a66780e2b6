/**
 * The progress line of a range (`npm start -- --from … --to …`) through a maintenance spell:
 * while the range waits, the line names what it waits out and how long, and its ETA is the
 * pace of calls, not the time spent waiting. In process (runCli with a clock the test moves),
 * against the simulator on loopback and a real folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';

const TZ = 'America/Bogota';
const TOKEN = 'tok-PROGRESS-5e0c2b71';
const MINUTE = 60_000;
/** Each call takes this long on the test's clock: the pace the ETA must show. */
const CALL_MS = 1_000;
const DAY = ['--from', '2026-11-20 00:00', '--to', '2026-11-21 00:00'];
const MAINTENANCE = 'Wolkvox API unavailable (maintenance?): HTTP 403 THE API IS TEMPORARILY DISABLED FOR MAINTENANCE';

/** One drawn progress line and the test clock when it was drawn. */
interface Drawn {
  readonly text: string;
  readonly at: number;
}

/** Seconds of a duration as progress.ts prints it: 45s, 3m10s, 1h23m. */
function seconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`not a duration: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function etaOf(line: string): number {
  const m = / ETA (\S+)/.exec(line);
  if (!m) throw new Error(`no ETA in: ${line}`);
  return seconds(m[1]!);
}

function doneOf(line: string): number {
  return Number(/\] (\d+)\/\d+ windows/.exec(line)![1]);
}

describe('Progress line of a range through a maintenance spell', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let drawn: Drawn[];
  let spell: { from: number; to: number };
  /** The terminal's redraw timers the run armed, and whether each was stopped. */
  let redraws: Array<{ ms: number; stopped: boolean }>;

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-25 12:00', TZ));
    // 100 windows in (100 s of calls), the API is down for maintenance for 10 minutes.
    spell = { from: clock.now() + 100 * CALL_MS, to: clock.now() + 100 * CALL_MS + 10 * MINUTE };
    sim = await startSimulator({
      token: TOKEN,
      server: '0032',
      timeZone: TZ,
      now: clock.now,
      maintenance: (nowMs) => nowMs >= spell.from && nowMs < spell.to,
      faultFor: () => {
        clock.advance(CALL_MS);
        return undefined;
      },
    });
    out = mkdtempSync(join(tmpdir(), 'cli-progress-'));
    drawn = [];
    redraws = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const cli = (isTty: boolean) =>
    // No hang is injected here: a long request timeout keeps a loaded machine's slow answer from
    // turning into a timeout (and a 65 s wait for the token) that this test is not about.
    runCli([...DAY, '--out', out], {
      env: { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin, WOLKVOX_REQUEST_TIMEOUT_MS: '30000' },
      io: {
        stdout: () => {},
        // Every line drawn, with the clock it was drawn at (a terminal redraws after \r).
        stderr: (t) => {
          for (const text of t.split(/[\r\n]/).map((s) => s.replace('\x1b[K', '')).filter((s) => s.startsWith('['))) drawn.push({ text, at: clock.now() });
        },
        stderrIsTty: isTty,
      },
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      // Pauses pass in no real time here, so a real one-second redraw could land in one only on a
      // slow machine: the timers are recorded, never fired (progress.test.ts covers the redraws).
      repeat: (ms) => {
        const timer = { ms, stopped: false };
        redraws.push(timer);
        return () => {
          timer.stopped = true;
        };
      },
    });

  it('on a terminal: names each pause and its length while waiting, and its ETA is the pace of calls during and after the spell', async () => {
    // Act
    const code = await cli(true);
    const end = clock.now();

    // Assess
    expect(code).toBe(EXIT.ok);
    const waits = drawn.filter((d) => d.text.includes('waiting out'));
    // The pauses of the spell, each named with what it waits out, its length and the spell so far.
    expect(waits.map((d) => /next try in (\S+) of a (\S+) pause; waited (\S+) of at most 15m00s by then/.exec(d.text)?.slice(1))).toEqual([
      ['5s', '5s', '5s'],
      ['15s', '15s', '20s'],
      ['30s', '30s', '50s'],
      ['1m00s', '1m00s', '1m50s'],
      ['2m00s', '2m00s', '3m50s'],
      ['5m00s', '5m00s', '8m50s'],
      ['5m00s', '5m00s', '13m50s'],
    ]);
    // 100 calls in: a few of them asked spans (top down), the rest were windows.
    const before = doneOf(waits[0]!.text);
    expect(before).toBeGreaterThan(85);
    expect(before).toBeLessThanOrEqual(100);
    const paced = ((288 - before) * 100) / before;
    for (const w of waits) {
      expect(w.text).toContain(`| waiting out: ${MAINTENANCE} |`);
      expect(w.text).toContain('once the API answers');
      expect(doneOf(w.text)).toBe(before);
      // The windows left at the pace of the 100 s of calls (and a few failed calls): about 3 minutes, never the 20 min the waiting made it.
      expect(etaOf(w.text)).toBeGreaterThanOrEqual(paced);
      expect(etaOf(w.text)).toBeLessThanOrEqual(paced * 1.1);
    }
    expect(waits.at(-1)!.text).toMatch(/elapsed 10m\d\ds \(paused 8m50s\)/);
    // Each pause armed a redraw of its countdown every second, and none outlived its pause.
    expect(redraws).toEqual(waits.map(() => ({ ms: 1_000, stopped: true })));

    // After the spell: no wait named, and the ETA tells how long the run really took from there
    // (within 15%: the calls that ask spans come first, top down, so the early pace is a little slow).
    const after = drawn.filter((d) => d.at >= spell.to && d.text.match(/ETA/));
    expect(after.length).toBeGreaterThan(150);
    for (const d of after) {
      expect(d.text).not.toContain('waiting');
      expect(d.text).toContain('(paused 13m50s)');
      const truth = (end - d.at) / 1000;
      expect(Math.abs(etaOf(d.text) - truth), d.text).toBeLessThanOrEqual(Math.max(2, 0.15 * truth));
    }
    expect(after.at(-1)!.text).toContain('288/288 windows 100.0%');
  });

  it('in a log (no terminal): prints each pause once and the line where the range went on, with an ETA at the pace of calls', async () => {
    // Act
    const code = await cli(false);
    const end = clock.now();

    // Assess
    expect(code).toBe(EXIT.ok);
    const lines = drawn.map((d) => d.text);
    const firstWait = lines.findIndex((l) => l.includes('waiting out'));
    const lastWait = lines.findLastIndex((l) => l.includes('waiting out'));
    expect(lastWait - firstWait + 1).toBe(7);
    expect(lines.slice(firstWait, lastWait + 1).every((l) => l.includes(`waiting out: ${MAINTENANCE}`))).toBe(true);
    // The first line after the spell: the range went on with the next window, and the ETA says what is left of it.
    const resumed = drawn[lastWait + 1]!;
    const before = doneOf(drawn[lastWait]!.text);
    expect(resumed.text).toMatch(/^\[#+\.+\] \d+\/288 windows [\d.]+% elapsed 15m\d\ds \(paused 13m50s\) ETA \S+$/);
    expect(doneOf(resumed.text)).toBe(before + 1);
    const truth = (end - resumed.at) / 1000;
    expect(Math.abs(etaOf(resumed.text) - truth)).toBeLessThanOrEqual(0.15 * truth);
    // Then every 10% as before.
    expect(lines.slice(lastWait + 2).map(doneOf)).toEqual([116, 144, 173, 202, 231, 260, 288].filter((n) => n > before + 1));
  });
});
