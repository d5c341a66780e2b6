import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatVendor } from '../../lambda/domain/wall-clock.ts';
import { INTERVAL_KEYS, MESSAGES, startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.ts';
import { callsOfMinute } from '../simulator/synthetic-calls.ts';

const TOKEN = 'sim-token-0001';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A fixed simulator clock well after the ranges queried below: every call is visible. */
const LATER = Date.UTC(2026, 5, 1);

const started: Simulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function sim(options: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ now: () => LATER, ...options });
  started.push(s);
  return s;
}

interface Answer {
  status: number;
  text: string;
  body: any;
}

async function call(s: Simulator, query: string, headers: Record<string, string> = { 'wolkvox-token': TOKEN }, signal?: AbortSignal): Promise<Answer> {
  const res = await fetch(`${s.origin}${query}`, { headers, signal });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

function cdr4(s: Simulator, ini: string, end: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<Answer> {
  return call(s, `/api/v2/reports_manager.php?api=cdr_4&date_ini=${ini}&date_end=${end}`, headers, signal);
}

/** Calls per key of a 200 body, as numbers. */
function callsOf(body: any): Record<string, number> {
  return Object.fromEntries(INTERVAL_KEYS.map((k) => [k, Number(body.data[k].calls)]));
}

/**
 * Ground truth computed independently of the simulator's range code: every call generated in
 * the given real UTC minutes, keeping starts whose wall clock (UTC + offset) is in the range,
 * visible at nowMs, and not exactly 121 s long.
 */
function expectedCalls(opts: {
  seed?: number;
  utcFrom: number;
  utcTo: number;
  offsetOf: (utcMs: number) => number;
  iniWall: number;
  endWall: number;
  nowMs?: number;
  delayMs?: number;
}): { calls: Record<string, number>; seconds: Record<string, number>; skipped121: number } {
  const calls: Record<string, number> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, 0]));
  const seconds: Record<string, number> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, 0]));
  let skipped121 = 0;
  for (let t = opts.utcFrom; t < opts.utcTo; t += MINUTE) {
    const offset = opts.offsetOf(t);
    const wallMinute = t + offset;
    for (const c of callsOfMinute(opts.seed ?? 1, t / MINUTE, new Date(wallMinute).getUTCHours())) {
      const startWall = wallMinute + c.second * 1000;
      if (startWall < opts.iniWall || startWall > opts.endWall) continue;
      if ((opts.nowMs ?? LATER) < t + c.second * 1000 + c.durationS * 1000 + (opts.delayMs ?? 0)) continue;
      const key = bucketOf(c.durationS);
      if (key === undefined) {
        skipped121 += 1;
        continue;
      }
      calls[key] = (calls[key] ?? 0) + 1;
      seconds[key] = (seconds[key] ?? 0) + c.durationS;
    }
  }
  return { calls, seconds, skipped121 };
}

/** The notes' buckets, restated here so the recount does not share the simulator's code: exactly 121 s is in none. */
function bucketOf(durationS: number): string | undefined {
  if (durationS === 121) return undefined;
  return durationS <= 5 ? '0_5_seg' : durationS <= 20 ? '6_20_seg' : durationS <= 60 ? '21_60_seg' : durationS <= 120 ? '61_120_seg' : 'greater_than_121';
}

const BOGOTA = (): number => -5 * HOUR;

describe('Function: startSimulator', () => {
  describe('errors of the vendor table', () => {
    it('returns 400 THE API YOU WANT TO CONSULT DOES NOT EXIST when api is not cdr_4 or is missing', async () => {
      // Prepare
      const s = await sim();
      // Act
      const wrong = await call(s, '/api/v2/reports_manager.php?api=cdr_9&date_ini=20260310090000&date_end=20260310095959');
      const missing = await call(s, '/api/v2/reports_manager.php?date_ini=20260310090000&date_end=20260310095959');
      // Assess
      for (const a of [wrong, missing]) {
        expect(a.status).toBe(400);
        expect(a.body).toEqual({ code: 400, error: 'THE API YOU WANT TO CONSULT DOES NOT EXIST', msg: 'THE API YOU WANT TO CONSULT DOES NOT EXIST' });
      }
    });

    it('returns 400 SOME PARAMETERS ARE REQUIRED when date_ini or date_end is missing or empty', async () => {
      // Prepare
      const s = await sim();
      // Act
      const noEnd = await call(s, '/api/v2/reports_manager.php?api=cdr_4&date_ini=20260310090000');
      const emptyIni = await call(s, '/api/v2/reports_manager.php?api=cdr_4&date_ini=&date_end=20260310095959');
      // Assess
      for (const a of [noEnd, emptyIni]) {
        expect(a.status).toBe(400);
        expect(a.body).toEqual({ code: 400, error: 'SOME PARAMETERS ARE REQUIRED', msg: 'SOME PARAMETERS ARE REQUIRED' });
      }
    });

    it('returns 401 PLEASE ENTER THE WOLKVOX-TOKEN when the token header is missing', async () => {
      // Prepare
      const s = await sim();
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959', {});
      // Assess
      expect(a.status).toBe(401);
      expect(a.body).toEqual({ code: 401, error: 'PLEASE ENTER THE WOLKVOX-TOKEN', msg: 'PLEASE ENTER THE WOLKVOX-TOKEN' });
    });

    it('returns 403 PLEASE VALIDATE TOKEN without echoing the token when the token is wrong', async () => {
      // Prepare
      const s = await sim();
      const wrong = 'wrong-secret-XYZ';
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': wrong });
      // Assess
      expect(a.status).toBe(403);
      expect(a.body).toEqual({ code: 403, error: 'PLEASE VALIDATE TOKEN', msg: 'PLEASE VALIDATE TOKEN' });
      expect(a.text).not.toContain(wrong);
    });

    it('returns 403 PLEASE VALIDATE TOKEN for the old token and 200 for the new one when the token is rotated', async () => {
      // Prepare
      const s = await sim();
      s.setToken('sim-token-0002');
      // Act
      const old = await cdr4(s, '20260310090000', '20260310095959');
      const fresh = await cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': 'sim-token-0002' });
      // Assess
      expect(old.status).toBe(403);
      expect(old.body.error).toBe('PLEASE VALIDATE TOKEN');
      expect(fresh.status).toBe(200);
    });

    it('returns 403 with the maintenance message when the maintenance hook says so', async () => {
      // Prepare
      let down = true;
      const s = await sim({ maintenance: () => down });
      // Act
      const during = await cdr4(s, '20260310090000', '20260310095959');
      const info = await call(s, '/api/v2/information.php?api=token_info');
      down = false;
      const after = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(during.status).toBe(403);
      expect(during.body).toEqual({ code: 403, error: 'THE API IS TEMPORARILY DISABLED FOR MAINTENANCE', msg: 'THE API IS TEMPORARILY DISABLED FOR MAINTENANCE' });
      expect(info.status).toBe(403);
      expect(after.status).toBe(200);
    });

    it.each([
      ['a short date', '2026031009000', '20260310095959'],
      ['letters', '2026031009000a', '20260310095959'],
      ['an impossible day', '20260230000000', '20260301000000'],
      ['hour 24', '20260310240000', '20260311000000'],
      ['ini after end', '20260310100000', '20260310095959'],
      ['a range over 31 days', '20260101000000', '20260201000001'],
    ])('returns 404 Validate dates entered when the dates have %s', async (_label, ini, end) => {
      // Prepare
      const s = await sim();
      // Act
      const a = await cdr4(s, ini, end);
      // Assess
      expect(a.status).toBe(404);
      expect(a.body).toEqual({ code: 404, error: 'Validate dates entered', msg: 'Validate dates entered' });
    });

    it('returns 200 when the range is exactly 31 days', async () => {
      // Prepare
      const s = await sim();
      // Act
      const a = await cdr4(s, '20260101000000', '20260201000000');
      // Assess
      expect(a.status).toBe(200);
    });

    it('returns the body code as a string when codeAsString is set', async () => {
      // Prepare
      const s = await sim({ codeAsString: true });
      // Act
      const ok = await cdr4(s, '20260310090000', '20260310095959');
      const bad = await cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': 'nope' });
      // Assess
      expect(ok.body.code).toBe('200');
      expect(bad.body.code).toBe('403');
    });

    it('returns 404 NOT FOUND for an unknown path and 405 for a non-GET method', async () => {
      // Prepare
      const s = await sim();
      // Act
      const path = await call(s, '/api/v2/other.php?api=cdr_4');
      const post = await fetch(`${s.origin}/api/v2/reports_manager.php?api=cdr_4`, { method: 'POST', headers: { 'wolkvox-token': TOKEN } });
      // Assess
      expect(path.status).toBe(404);
      expect(path.body.error).toBe(MESSAGES.notFound);
      expect(post.status).toBe(405);
      await post.text();
    });
  });

  describe('successful reports', () => {
    it('returns the five interval keys with string values when the range has calls', async () => {
      // Prepare
      const s = await sim();
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(a.status).toBe(200);
      expect(a.body.code).toBe(200);
      expect(a.body.error).toBeNull();
      expect(a.body.msg).toBe('5 records were found');
      expect(Object.keys(a.body.data)).toEqual(['0_5_seg', '6_20_seg', '21_60_seg', '61_120_seg', 'greater_than_121']);
      const truth = s.trueTotals('20260310090000', '20260310095959');
      let percent = 0;
      for (const key of INTERVAL_KEYS) {
        const v = a.body.data[key];
        expect(Object.keys(v)).toEqual(['calls', 'minutes', 'cost', 'percentage']);
        expect(v.calls).toMatch(/^\d+$/);
        expect(v.minutes).toMatch(/^\d+\.\d{2}$/);
        expect(v.cost).toMatch(/^\d+\.\d{2}$/);
        expect(v.percentage).toMatch(/^\d+\.\d{2}$/);
        expect(Number(v.calls)).toBe(truth[key]?.calls);
        expect(v.minutes).toBe(((truth[key]?.seconds ?? NaN) / 60).toFixed(2));
        expect(Number(v.cost)).toBeCloseTo(((truth[key]?.seconds ?? NaN) / 60) * 0.03, 2);
        percent += Number(v.percentage);
      }
      expect(percent).toBeGreaterThan(99.9);
      expect(percent).toBeLessThan(100.1);
      expect(a.body.data['0_5_seg'].calls).not.toBe('0');
    });

    it('returns calls equal to an independent recount of the generator when the zone has no DST', async () => {
      // Prepare
      const s = await sim({ seed: 7 });
      const iniWall = Date.UTC(2026, 2, 10, 0, 0, 0);
      const endWall = Date.UTC(2026, 2, 10, 23, 59, 59);
      const expected = expectedCalls({ seed: 7, utcFrom: iniWall + 5 * HOUR - MINUTE, utcTo: endWall + 5 * HOUR + MINUTE, offsetOf: BOGOTA, iniWall, endWall });
      // Act
      const a = await cdr4(s, formatVendor(iniWall), formatVendor(endWall));
      // Assess
      expect(a.status).toBe(200);
      expect(callsOf(a.body)).toEqual(expected.calls);
      expect(expected.skipped121).toBeGreaterThan(0); // the day holds exactly-121 s calls, and they are left out
      const total = Object.values(expected.calls).reduce((x, y) => x + y, 0);
      expect(total / (24 * 60)).toBeGreaterThan(0.5);
      expect(total / (24 * 60)).toBeLessThan(3);
    });

    it('returns sub-range totals that add up to the hour and to trueTotals when an hour is split into 5-minute windows', async () => {
      // Prepare
      const s = await sim();
      const hourStart = Date.UTC(2026, 2, 10, 14, 0, 0);
      const sum: Record<string, number> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, 0]));
      const seconds: Record<string, number> = Object.fromEntries(INTERVAL_KEYS.map((k) => [k, 0]));
      // Act
      for (let w = 0; w < 12; w += 1) {
        const ini = formatVendor(hourStart + w * 5 * MINUTE);
        const end = formatVendor(hourStart + (w + 1) * 5 * MINUTE - 1000);
        const a = await cdr4(s, ini, end);
        expect(a.status).toBe(200);
        const t = s.trueTotals(ini, end);
        for (const key of INTERVAL_KEYS) {
          sum[key] = (sum[key] ?? 0) + Number(a.body.data[key].calls);
          seconds[key] = (seconds[key] ?? 0) + (t[key]?.seconds ?? 0);
        }
      }
      const hour = await cdr4(s, formatVendor(hourStart), formatVendor(hourStart + HOUR - 1000));
      const truth = s.trueTotals(formatVendor(hourStart), formatVendor(hourStart + HOUR - 1000));
      // Assess
      expect(callsOf(hour.body)).toEqual(sum);
      expect(Object.fromEntries(INTERVAL_KEYS.map((k) => [k, truth[k]?.calls]))).toEqual(sum);
      expect(Object.fromEntries(INTERVAL_KEYS.map((k) => [k, truth[k]?.seconds]))).toEqual(seconds);
      expect(Object.values(sum).reduce((x, y) => x + y, 0)).toBeGreaterThan(60);
    });

    it('returns the same answer for the same seed and a different one for another seed', async () => {
      // Prepare
      const a = await sim({ seed: 1 });
      const b = await sim({ seed: 1 });
      const c = await sim({ seed: 2 });
      // Act
      const [ra, rb, rc] = await Promise.all([a, b, c].map((s) => cdr4(s, '20260310000000', '20260310235959')));
      // Assess
      expect(ra?.text).toBe(rb?.text);
      expect(ra?.text).not.toBe(rc?.text);
    });

    it('answers a 31-day range with the calls of its 31 days added up', async () => {
      // Prepare: a span's total is what the collector's top-down search trusts against its windows.
      const s = await sim();
      const days = Array.from({ length: 31 }, (_, i) => `202601${String(i + 1).padStart(2, '0')}`);
      // Act
      const a = await cdr4(s, '20260101000000', '20260131235959');
      const byDay = days.map((d) => s.trueTotals(`${d}000000`, `${d}235959`));
      // Assess
      expect(a.status).toBe(200);
      expect(Number(a.body.data['21_60_seg'].calls)).toBeGreaterThan(10_000);
      for (const key of INTERVAL_KEYS) expect(Number(a.body.data[key].calls), key).toBe(byDay.reduce((n, t) => n + (t[key]?.calls ?? 0), 0));
    });

    it('returns token_info counting every call, itself included', async () => {
      // Prepare
      const s = await sim({ dailyLimit: 50 });
      await cdr4(s, '20260310090000', '20260310095959');
      await cdr4(s, '20260310090000', '20260310095959');
      // Act
      const info = await call(s, '/api/v2/information.php?api=token_info');
      const wrongApi = await call(s, '/api/v2/information.php?api=nope');
      // Assess
      expect(info.status).toBe(200);
      expect(info.body).toEqual({ code: '200', error: null, msg: ' 1 records were found', data: [{ description: ' ', token_limit: '50', token_use_today: '3', all_token_today: '3', available_consumption_options: '47' }] });
      expect(wrongApi.status).toBe(400);
      expect(wrongApi.body.error).toBe('THE API YOU WANT TO CONSULT DOES NOT EXIST');
    });
  });

  describe('empty ranges', () => {
    it('returns 404 Validate dates entered when a valid range has no visible calls', async () => {
      // Prepare: the clock stands before the range, so nothing in it has happened yet
      const s = await sim({ now: () => Date.UTC(2026, 2, 1) });
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(a.status).toBe(404);
      expect(a.body).toEqual({ code: 404, error: 'Validate dates entered', msg: 'Validate dates entered' });
      expect(s.trueTotals('20260310090000', '20260310095959')['0_5_seg']).toEqual({ calls: 0, seconds: 0 });
    });

    it.each([
      ['empty-object', {}],
      ['empty-array', []],
      ['null', null],
      [
        'zeros',
        Object.fromEntries(INTERVAL_KEYS.map((k) => [k, { calls: '0', minutes: '0.00', cost: '0.00', percentage: '0.00' }])),
      ],
    ] as const)('returns 200 with data %s when emptyStyle asks for it', async (style, data) => {
      // Prepare
      const s = await sim({ now: () => Date.UTC(2026, 2, 1), emptyStyle: style });
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(a.status).toBe(200);
      expect(a.body).toEqual({ code: 200, error: null, msg: '0 records were found', data });
    });
  });

  describe('simultaneous requests', () => {
    it('returns the concurrency 403 to the second of two simultaneous requests and records maxInFlight 2', async () => {
      // Prepare
      const s = await sim({ latencyMs: 200 });
      // Act
      const both = await Promise.all([cdr4(s, '20260310090000', '20260310095959'), cdr4(s, '20260310100000', '20260310105959')]);
      const afterwards = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(both.map((a) => a.status).sort()).toEqual([200, 403]);
      const rejected = both.find((a) => a.status === 403);
      expect(rejected?.body).toEqual({ code: 403, error: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)', msg: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)' });
      expect(s.stats.rejectedConcurrent).toBe(1);
      expect(s.stats.maxInFlight).toBe(2);
      expect(afterwards.status).toBe(200);
      expect(s.stats.requests).toBe(3);
      expect(s.stats.inFlight).toBe(0);
      expect(s.stats.byStatus).toEqual({ 200: 2, 403: 1 });
      expect(s.stats.log.map((e) => e.dateIni).sort()).toEqual(['20260310090000', '20260310090000', '20260310100000']);
    });

    it('keeps the stats read-only', async () => {
      // Prepare
      const s = await sim();
      // Act
      const write = (): void => {
        (s.stats as { requests: number }).requests = 99;
      };
      // Assess
      expect(write).toThrow(TypeError);
      expect(s.stats.requests).toBe(0);
    });
  });

  describe('daily limit', () => {
    it('returns 403 TOKEN LIMIT EXCEEDED once the wall-clock day is spent and answers again the next day', async () => {
      // Prepare: 23:00 in Bogota (04:00 UTC next day)
      let now = Date.UTC(2026, 2, 11, 4, 0, 0);
      const s = await sim({ dailyLimit: 3, now: () => now });
      // Act
      const first = [await cdr4(s, '20260310090000', '20260310095959'), await call(s, '/api/v2/information.php?api=token_info'), await cdr4(s, '20260310090000', '20260310095959')];
      const spent = await cdr4(s, '20260310090000', '20260310095959');
      now = Date.UTC(2026, 2, 11, 4, 59, 59); // 23:59:59 in Bogota: still the same day
      const stillSpent = await cdr4(s, '20260310090000', '20260310095959');
      now = Date.UTC(2026, 2, 11, 5, 0, 0); // midnight in Bogota
      const nextDay = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(first.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(first[1]?.body.data[0].token_use_today).toBe('2');
      expect(spent.status).toBe(403);
      expect(spent.body).toEqual({ code: 403, error: 'TOKEN LIMIT EXCEEDED', msg: 'TOKEN LIMIT EXCEEDED' });
      expect(stillSpent.status).toBe(403);
      expect(nextDay.status).toBe(200);
    });
  });

  describe('vendors that differ from our reading', () => {
    const DAY_INI = '20260310000000';
    const DAY_END = '20260310235959';
    /** The day's 288 windows as the vendor's own date pairs. */
    const windows = Array.from({ length: 288 }, (_, i) => {
      const start = Date.UTC(2026, 2, 10) + i * 5 * MINUTE;
      return [formatVendor(start), formatVendor(start + 5 * MINUTE - 1000)] as const;
    });
    const sumOf = (s: Simulator, pairs: ReadonlyArray<readonly [string, string]>) => pairs.reduce((n, [a, b]) => n + Object.values(s.trueTotals(a, b)).reduce((m, t) => m + t.calls, 0), 0);
    const callsIn = (s: Simulator, a: string, b: string) => Object.values(s.trueTotals(a, b)).reduce((m, t) => m + t.calls, 0);

    it('returns a day total above the sum of its windows when date_end is exclusive: each window\'s last second is in no window', async () => {
      // Prepare
      const inclusive = await sim({ seed: 5, traffic: { kind: 'busy' } });
      const exclusive = await sim({ seed: 5, traffic: { kind: 'busy' }, vendor: { dateEnd: 'exclusive' } });

      // Act
      const answer = await cdr4(exclusive, DAY_INI, DAY_END);

      // Assess
      expect(sumOf(inclusive, windows)).toBe(callsIn(inclusive, DAY_INI, DAY_END));
      expect(callsIn(exclusive, DAY_INI, DAY_END)).toBeGreaterThan(sumOf(exclusive, windows));
      expect(Object.values(callsOf(answer.body)).reduce((n, c) => n + c, 0)).toBe(callsIn(exclusive, DAY_INI, DAY_END));
    });

    it('returns windows that still add up to the day when calls are counted at their end, each in another window than at its start', async () => {
      // Prepare
      const atStart = await sim({ seed: 5, traffic: { kind: 'busy' } });
      const atEnd = await sim({ seed: 5, traffic: { kind: 'busy' }, vendor: { countCallsAt: 'end' } });

      // Act
      const differing = windows.filter(([a, b]) => callsIn(atStart, a, b) !== callsIn(atEnd, a, b));

      // Assess
      expect(sumOf(atEnd, windows.slice(12, 276))).toBe(callsIn(atEnd, windows[12]![0], windows[275]![1]));
      expect(differing.length).toBeGreaterThan(10);
    });

    it('returns 404 Validate dates entered to every cdr_4 call, calls or not, when the report is not there', async () => {
      // Prepare
      const s = await sim({ traffic: { kind: 'busy' }, vendor: { answer404: true } });

      // Act
      const answer = await cdr4(s, DAY_INI, DAY_END);

      // Assess
      expect(callsIn(await sim({ traffic: { kind: 'busy' } }), DAY_INI, DAY_END)).toBeGreaterThan(0);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toBe(MESSAGES.validateDates);
    });

    it('returns TOKEN LIMIT EXCEEDED once our calls and other integrations\' reach the limit, and token_info counts both', async () => {
      // Prepare
      const s = await sim({ dailyLimit: 10, othersUse: () => 7 });

      // Act
      const ours = [await cdr4(s, DAY_INI, DAY_END), await cdr4(s, DAY_INI, DAY_END)];
      const info = await call(s, '/api/v2/information.php?api=token_info');
      const spent = await cdr4(s, DAY_INI, DAY_END);

      // Assess
      expect(ours.map((a) => a.status)).toEqual([200, 200]);
      expect(info.body.data[0]).toMatchObject({ token_limit: '10', token_use_today: '10', available_consumption_options: '0' });
      expect(spent.body.error).toBe(MESSAGES.tokenLimit);
    });

    it('returns token_info with blank fields, as in the vendor\'s published sample, when asked to', async () => {
      // Prepare
      const s = await sim({ tokenInfo: 'blank' });

      // Act
      const info = await call(s, '/api/v2/information.php?api=token_info');

      // Assess
      expect(info.body.data).toEqual([{ description: ' ', token_limit: ' ', token_use_today: ' ', all_token_today: ' ', available_consumption_options: ' ' }]);
    });
  });

  describe('injected faults', () => {
    it('returns 500 once and then answers normally when http500 is injected', async () => {
      // Prepare
      const s = await sim();
      s.inject({ kind: 'http500' });
      // Act
      const failed = await cdr4(s, '20260310090000', '20260310095959');
      const next = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(failed.status).toBe(500);
      expect(failed.body).toBeUndefined();
      expect(next.status).toBe(200);
    });

    it('applies an injected fault to the next `times` requests', async () => {
      // Prepare
      const s = await sim();
      s.inject({ kind: 'http503' }, 2);
      // Act
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await cdr4(s, '20260310090000', '20260310095959')).status);
      // Assess
      expect(statuses).toEqual([503, 503, 200]);
    });

    it('returns 200 with a body that is not JSON when badJson is injected', async () => {
      // Prepare
      const s = await sim();
      s.inject({ kind: 'badJson' });
      // Act
      const res = await fetch(`${s.origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=20260310090000&date_end=20260310095959`, { headers: { 'wolkvox-token': TOKEN } });
      // Assess
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toThrow(SyntaxError);
    });

    it('returns 200 with data 42 when badShape is injected', async () => {
      // Prepare
      const s = await sim();
      s.inject({ kind: 'badShape' });
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(a.status).toBe(200);
      expect(a.body.data).toBe(42);
    });

    it.each([
      ['maintenance', 'THE API IS TEMPORARILY DISABLED FOR MAINTENANCE'],
      ['tokenLimit', 'TOKEN LIMIT EXCEEDED'],
      ['concurrency', 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)'],
      ['invalidToken', 'PLEASE VALIDATE TOKEN'],
    ] as const)('returns the vendor 403 when %s is injected', async (kind, message) => {
      // Prepare
      const s = await sim();
      s.inject({ kind });
      // Act
      const a = await cdr4(s, '20260310090000', '20260310095959');
      // Assess
      expect(a.status).toBe(403);
      expect(a.body).toEqual({ code: 403, error: message, msg: message });
    });

    it('lets a client abort a hanging request, then answers the next one', async () => {
      // Prepare
      const s = await sim();
      s.inject({ kind: 'hang' });
      // Act
      const hung = cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': TOKEN }, AbortSignal.timeout(150));
      // Assess
      await expect(hung).rejects.toThrow();
      await vi.waitFor(() => expect(s.stats.inFlight).toBe(0), { timeout: 5_000 });
      expect(s.stats.log[0]?.status).toBe(0);
      expect((await cdr4(s, '20260310090000', '20260310095959')).status).toBe(200);
    });

    it('closes promptly while a request hangs', async () => {
      // Prepare
      const s = await startSimulator({ now: () => LATER });
      s.inject({ kind: 'hang' });
      const hung = cdr4(s, '20260310090000', '20260310095959').then(
        () => 'answered',
        () => 'failed',
      );
      await vi.waitFor(() => expect(s.stats.inFlight).toBe(1), { timeout: 5_000 });
      // Act: a close that waited for the hung request would never end (the 5 s is only a guard).
      const closed = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(r, 5_000).unref()).then(() => 'still open')]);
      // Assess
      expect(closed).toBe('closed');
      expect(await hung).toBe('failed');
    });

    it('answers correctly after the delay when slow is injected, and after latencyMs always', async () => {
      // Prepare
      const s = await sim({ latencyMs: 50 });
      s.inject({ kind: 'slow', ms: 250 });
      // Act
      const t0 = performance.now();
      const slow = await cdr4(s, '20260310090000', '20260310095959');
      const t1 = performance.now();
      const error = await cdr4(s, '20260310090000', '20260310095959', {});
      const t2 = performance.now();
      // Assess
      expect(slow.status).toBe(200);
      expect(t1 - t0).toBeGreaterThanOrEqual(290);
      expect(error.status).toBe(401);
      expect(t2 - t1).toBeGreaterThanOrEqual(45);
    });

    it('asks faultFor about each request when nothing is injected', async () => {
      // Prepare
      const seen: string[] = [];
      const s = await sim({
        faultFor: ({ dateIni }) => {
          seen.push(dateIni);
          return dateIni === '20260310090000' ? { kind: 'http502' } : undefined;
        },
      });
      // Act
      const faulty = await cdr4(s, '20260310090000', '20260310095959');
      const fine = await cdr4(s, '20260310100000', '20260310105959');
      // Assess
      expect(faulty.status).toBe(502);
      expect(fine.status).toBe(200);
      expect(seen).toEqual(['20260310090000', '20260310100000']);
    });
  });

  describe('late data', () => {
    it('returns only calls ended reportDelayMs before now, and all of them later', async () => {
      // Prepare: a window 09:00-09:04:59 Bogota (14:00Z), the clock 20 minutes after its end, data 15 minutes late
      const iniWall = Date.UTC(2026, 2, 10, 9, 0, 0);
      const endWall = iniWall + 5 * MINUTE - 1000;
      let now = iniWall + 5 * HOUR + 25 * MINUTE;
      const delayMs = 15 * MINUTE;
      const s = await sim({ now: () => now, reportDelayMs: delayMs });
      const range = { utcFrom: iniWall + 5 * HOUR, utcTo: iniWall + 5 * HOUR + 5 * MINUTE, offsetOf: BOGOTA, iniWall, endWall, delayMs };
      const early = expectedCalls({ ...range, nowMs: now });
      const final = expectedCalls({ ...range, nowMs: LATER });
      // Act
      const first = await cdr4(s, formatVendor(iniWall), formatVendor(endWall));
      const firstTruth = s.trueTotals(formatVendor(iniWall), formatVendor(endWall));
      now = LATER;
      const second = await cdr4(s, formatVendor(iniWall), formatVendor(endWall));
      // Assess
      expect(callsOf(first.body)).toEqual(early.calls);
      expect(firstTruth['0_5_seg']?.calls).toBe(early.calls['0_5_seg']);
      expect(callsOf(second.body)).toEqual(final.calls);
      const sum = (r: Record<string, number>): number => Object.values(r).reduce((x, y) => x + y, 0);
      expect(sum(early.calls)).toBeGreaterThan(0);
      expect(sum(early.calls)).toBeLessThan(sum(final.calls));
    });

    it('returns as finalTotals, while calls are still running, what the vendor answers once they have all ended, for each vendor model', async () => {
      // Prepare: a window 09:00-09:04:59 Bogota, the clock 10 minutes after its end (longer calls still running)
      const iniWall = Date.UTC(2026, 2, 10, 9, 0, 0);
      const [ini, end] = [formatVendor(iniWall), formatVendor(iniWall + 5 * MINUTE - 1000)];
      let now = iniWall + 5 * HOUR + 15 * MINUTE;
      const vendors = [{}, { dateEnd: 'exclusive' }, { countCallsAt: 'end' }] as const;
      const sims = await Promise.all(vendors.map((vendor) => sim({ now: () => now, traffic: { kind: 'busy' }, vendor })));

      // Act
      const early = sims.map((s) => s.finalTotals(ini, end));
      const earlyNow = sims.map((s) => s.trueTotals(ini, end));
      now = LATER;
      const later = sims.map((s) => s.trueTotals(ini, end));

      // Assess: what is final did not wait for the clock, and it is what each vendor's model answers in the end
      expect(early).toEqual(later);
      expect(earlyNow[0]).not.toEqual(later[0]);
      expect(later[2]).not.toEqual(later[0]);
    });
  });

  describe('DST zones', () => {
    it('returns both passes of the repeated hour under its one wall-clock label in Europe/Madrid', async () => {
      // Prepare: 2025-10-26 03:00 CEST falls back to 02:00 CET; 02:00-02:59 runs from 00:00Z to 01:59:59Z
      const s = await sim({ timeZone: 'Europe/Madrid', seed: 3 });
      const iniWall = Date.UTC(2025, 9, 26, 2, 0, 0);
      const endWall = Date.UTC(2025, 9, 26, 2, 59, 59);
      const both = expectedCalls({
        seed: 3,
        utcFrom: Date.UTC(2025, 9, 25, 22, 0),
        utcTo: Date.UTC(2025, 9, 26, 4, 0),
        offsetOf: (t) => (t < Date.UTC(2025, 9, 26, 1, 0) ? 2 * HOUR : HOUR),
        iniWall,
        endWall,
      });
      const firstPassOnly = expectedCalls({ seed: 3, utcFrom: Date.UTC(2025, 9, 26, 0, 0), utcTo: Date.UTC(2025, 9, 26, 1, 0), offsetOf: () => 2 * HOUR, iniWall, endWall });
      // Act
      const a = await cdr4(s, '20251026020000', '20251026025959');
      const truth = s.trueTotals('20251026020000', '20251026025959');
      // Assess
      expect(a.status).toBe(200);
      expect(callsOf(a.body)).toEqual(both.calls);
      expect(Object.fromEntries(INTERVAL_KEYS.map((k) => [k, truth[k]?.seconds]))).toEqual(both.seconds);
      const sum = (r: Record<string, number>): number => Object.values(r).reduce((x, y) => x + y, 0);
      expect(sum(both.calls)).toBeGreaterThan(sum(firstPassOnly.calls));
      expect(sum(firstPassOnly.calls)).toBeGreaterThan(0);
    });

    it.each([
      // zone, repeated label (first second), fall-back instant, offset before, offset after
      ['America/Santiago', Date.UTC(2026, 3, 4, 23, 0, 0), Date.UTC(2026, 3, 5, 3, 0), -3 * HOUR, -4 * HOUR],
      ['America/St_Johns', Date.UTC(2025, 10, 2, 1, 0, 0), Date.UTC(2025, 10, 2, 4, 30), -2.5 * HOUR, -3.5 * HOUR],
    ])('returns both passes of the repeated hour in %s, also when the change falls mid UTC hour', async (timeZone, iniWall, fallBack, before, after) => {
      // Prepare
      const s = await sim({ timeZone, seed: 5 });
      const endWall = iniWall + HOUR - 1000;
      const expected = expectedCalls({ seed: 5, utcFrom: fallBack - 3 * HOUR, utcTo: fallBack + 3 * HOUR, offsetOf: (t) => (t < fallBack ? before : after), iniWall, endWall });
      // Act
      const a = await cdr4(s, formatVendor(iniWall), formatVendor(endWall));
      const windows: number[] = [];
      for (let w = iniWall; w < iniWall + HOUR; w += 5 * MINUTE) {
        const t = s.trueTotals(formatVendor(w), formatVendor(w + 5 * MINUTE - 1000));
        windows.push(INTERVAL_KEYS.reduce((x, k) => x + (t[k]?.calls ?? 0), 0));
      }
      // Assess
      expect(a.status).toBe(200);
      expect(callsOf(a.body)).toEqual(expected.calls);
      const total = Object.values(expected.calls).reduce((x, y) => x + y, 0);
      expect(windows.reduce((x, y) => x + y, 0)).toBe(total);
    });

    it('returns 404 for the skipped hour and sums days around both transitions from their 5-minute windows', async () => {
      // Prepare: 2025-03-30 02:00 CET jumps to 03:00 CEST in Europe/Madrid
      const s = await sim({ timeZone: 'Europe/Madrid' });
      // Act
      const skipped = await cdr4(s, '20250330020000', '20250330025959');
      const results: Array<{ day: string; whole: number; windows: number }> = [];
      for (const day of [Date.UTC(2025, 2, 30), Date.UTC(2025, 9, 26)]) {
        let windows = 0;
        for (let w = day; w < day + DAY; w += 5 * MINUTE) {
          const t = s.trueTotals(formatVendor(w), formatVendor(w + 5 * MINUTE - 1000));
          windows += INTERVAL_KEYS.reduce((x, k) => x + (t[k]?.calls ?? 0), 0);
        }
        const whole = await cdr4(s, formatVendor(day), formatVendor(day + DAY - 1000));
        results.push({ day: formatVendor(day), whole: Object.values(callsOf(whole.body)).reduce((x, y) => x + y, 0), windows });
      }
      // Assess
      expect(skipped.status).toBe(404);
      expect(skipped.body.error).toBe('Validate dates entered');
      for (const r of results) expect(r.whole).toBe(r.windows);
      expect(results[0]?.whole).toBeGreaterThan(0);
    });
  });

  describe('secrets', () => {
    it('never writes the token to the console', async () => {
      // Prepare
      const secret = 'very-secret-token-123';
      const written: string[] = [];
      const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void written.push(args.join(' '))));
      const s = await sim({ token: secret });
      // Act
      const ok = await cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': secret });
      const info = await call(s, '/api/v2/information.php?api=token_info', { 'wolkvox-token': secret });
      const bad = await cdr4(s, '20260310090000', '20260310095959', { 'wolkvox-token': `${secret}x` });
      // Assess
      for (const spy of spies) spy.mockRestore();
      expect(ok.status).toBe(200);
      for (const a of [ok, info, bad]) expect(a.text).not.toContain(secret);
      expect(written.join('\n')).not.toContain(secret);
    });
  });
});
