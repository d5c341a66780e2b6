/**
 * The range progress line: ETA paced by working time (pauses left out), the wait named with
 * its countdown. A clock and a redraw timer the test moves by hand.
 */
import { describe, expect, it } from 'vitest';
import { formatDuration, phaseLine, progressReporter, type ProgressWait, type Repeat } from '../../lambda/local/progress.ts';
import { ManualClock } from '../support/clock.ts';

const MAINTENANCE = { message: 'Wolkvox API unavailable (maintenance?): HTTP 403 THE API IS TEMPORARILY DISABLED FOR MAINTENANCE' };
const wait = (ms: number, waitedMs = 0): ProgressWait => ({ ms, error: MAINTENANCE, waitedMs, limitMs: 15 * 60_000 });

/** A reporter whose output is kept as the lines drawn, and whose redraw timer the test fires. */
function setUp(total: number, isTty: boolean) {
  const clock = new ManualClock(1_000_000);
  const written: string[] = [];
  const timers: { fn: () => void; stopped: boolean }[] = [];
  const repeat: Repeat = (_ms, fn) => {
    const timer = { fn, stopped: false };
    timers.push(timer);
    return () => {
      timer.stopped = true;
    };
  };
  const progress = progressReporter(total, (t) => written.push(t), isTty, clock.now, repeat);
  const lines = () => written.join('').split(/[\r\n]/).map((s) => s.replace('\x1b[K', '')).filter(Boolean);
  /** Fires the redraw timers that are running, as a second of real time would. */
  const second = () => timers.filter((t) => !t.stopped).forEach((t) => t.fn());
  return { clock, progress, lines, last: () => lines().at(-1)!, second, running: () => timers.filter((t) => !t.stopped).length };
}

describe('progress line', () => {
  it('counts a pause down on a terminal every second, says when it tries again, and stops redrawing', () => {
    // Prepare: 10 windows in 10 s, then a 1-minute pause in a spell that had waited 50 s.
    const { clock, progress, last, second, running, lines } = setUp(100, true);
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1_000);
      progress.tick();
    }

    // Act / Assess
    progress.waiting(wait(60_000, 50_000));
    expect(last()).toBe(`[###...........................] 10/100 windows 10.0% elapsed 10s | waiting out: ${MAINTENANCE.message} | next try in 1m00s of a 1m00s pause; waited 1m50s of at most 15m00s by then | ETA 1m30s once the API answers`);
    clock.advance(15_000);
    second();
    expect(last()).toContain('elapsed 25s (paused 15s) | waiting out: Wolkvox API unavailable');
    expect(last()).toContain('| next try in 45s of a 1m00s pause;');
    expect(last()).toContain('| ETA 1m30s once the API answers');
    clock.advance(45_000);
    second();
    expect(last()).toContain('elapsed 1m10s (paused 1m00s) | waiting out: Wolkvox API unavailable');
    expect(last()).toContain('| trying again after a 1m00s pause; waited 1m50s of at most 15m00s |');
    expect(running()).toBe(0);
    const drawn = lines().length;
    second();
    expect(lines()).toHaveLength(drawn);
    // The call after the pause took 2 s: working time, the pace is now 12 s for 11 windows.
    clock.advance(2_000);
    progress.tick();
    expect(last()).toBe('[###...........................] 11/100 windows 11.0% elapsed 1m12s (paused 1m00s) ETA 1m37s');
  });

  it('leaves the pauses out of the ETA however long they were, and never prints a redraw after a window', () => {
    // Prepare
    const { clock, progress, last, second, running } = setUp(1000, true);
    for (let i = 0; i < 100; i += 1) {
      clock.advance(1_000);
      progress.tick();
    }
    expect(last()).toContain('elapsed 1m40s ETA 15m00s');

    // Act: a spell of 5 s, 15 s, 30 s, 1 min, 2 min, 5 min, 5 min pauses, each after a failed call of 1 s.
    let waited = 0;
    for (const ms of [5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 300_000]) {
      progress.waiting(wait(ms, waited));
      expect(running()).toBe(1);
      clock.advance(ms);
      waited += ms;
      clock.advance(1_000);
    }
    progress.tick();

    // Assess: 107 s of working time for 101 windows: 899 left take 15m52s; 13m50s paused.
    expect(running()).toBe(0);
    expect(last()).toBe('[###...........................] 101/1000 windows 10.1% elapsed 15m37s (paused 13m50s) ETA 15m52s');
    second();
    expect(last()).toBe('[###...........................] 101/1000 windows 10.1% elapsed 15m37s (paused 13m50s) ETA 15m52s');
  });

  it('paces by working time per window done when one call brings many windows at once', () => {
    // Prepare
    const { clock, progress, last } = setUp(288, true);

    // Act: one call of 12 s establishes a whole hour (12 windows), twice; then a 5-minute pause.
    for (let call = 0; call < 2; call += 1) {
      clock.advance(12_000);
      for (let i = 0; i < 12; i += 1) progress.tick();
    }
    progress.waiting(wait(300_000));

    // Assess: 24 s for 24 windows: the 264 left take 4m24s, during the pause and after it.
    expect(last()).toBe(`[###...........................] 24/288 windows 8.3% elapsed 24s | waiting out: ${MAINTENANCE.message} | next try in 5m00s of a 5m00s pause; waited 5m00s of at most 15m00s by then | ETA 4m24s once the API answers`);
    clock.advance(300_000 + 12_000);
    for (let i = 0; i < 12; i += 1) progress.tick();
    expect(last()).toBe('[####..........................] 36/288 windows 12.5% elapsed 5m36s (paused 5m00s) ETA 4m12s');
  });

  it('in a log prints a pause once, the line after it, and then every 10%; skipped windows do not pace the ETA', () => {
    // Prepare
    const { clock, progress, lines } = setUp(20, false);

    // Act: 10 stored windows skipped at no cost, 1 fetched in 3 s, a pause of 30 s, 1 more in 3 s.
    for (let i = 0; i < 10; i += 1) progress.skip();
    clock.advance(3_000);
    progress.tick();
    progress.waiting(wait(30_000));
    clock.advance(30_000 + 3_000);
    progress.tick();
    progress.end();

    // Assess: every 10% while skipping (no pace yet), nothing at 55% (same decile), the pause, the line after it.
    expect(lines()).toEqual([
      '[###...........................] 2/20 windows 10.0% (2 already stored) elapsed 0s ETA ?',
      '[######........................] 4/20 windows 20.0% (4 already stored) elapsed 0s ETA ?',
      '[#########.....................] 6/20 windows 30.0% (6 already stored) elapsed 0s ETA ?',
      '[############..................] 8/20 windows 40.0% (8 already stored) elapsed 0s ETA ?',
      '[###############...............] 10/20 windows 50.0% (10 already stored) elapsed 0s ETA ?',
      `[#################.............] 11/20 windows 55.0% (10 already stored) elapsed 3s | waiting out: ${MAINTENANCE.message} | next try in 30s of a 30s pause; waited 30s of at most 15m00s by then | ETA 27s once the API answers`,
      '[##################............] 12/20 windows 60.0% (10 already stored) elapsed 36s (paused 30s) ETA 24s',
    ]);
  });

  it('formats durations as s, m and h', () => {
    expect([formatDuration(0), formatDuration(45_400), formatDuration(61_000), formatDuration(3_600_000 + 23 * 60_000)]).toEqual(['0s', '45s', '1m01s', '1h23m']);
  });
});

describe('Function: phaseLine', () => {
  it('redraws each phase in place on a terminal and clears the line at the end', () => {
    // Prepare
    const written: string[] = [];
    const line = phaseLine((t) => written.push(t), true);

    // Act
    line.show('verifying 2026-11-20');
    line.show('verifying 2026-11-21');
    line.end();
    line.end();

    // Assess
    expect(written).toEqual(['\rverifying 2026-11-20...\x1b[K', '\rverifying 2026-11-21...\x1b[K', '\r\x1b[K']);
  });

  it('prints one line per phase in a log and nothing at the end', () => {
    // Prepare
    const written: string[] = [];
    const line = phaseLine((t) => written.push(t), false);

    // Act
    line.show('writing the day objects');
    line.end();

    // Assess
    expect(written).toEqual(['writing the day objects...\n']);
  });
});
