/**
 * Property: whatever the vendor's reading of a range (it adds up; its `date_end` is exclusive, so
 * its totals do not add up; it counts a call in the range holding its end; with or without late
 * data) and whatever the history (scheduled runs, ranges, Lambda backfills; 5xx, bad JSON and
 * maintenance; failed writes; runs killed at a random write), no day is recorded verified unless
 * every one of its windows equals the vendor's final answer for that window, no day is found not
 * to add up unless the vendor's own answers for it do not, and verification never spends more
 * than the day's bound of calls (DAY_CHECK_LIMITS) on one day.
 *
 * "Final" is what the vendor answers for a window for good, once every call it will ever count
 * there is visible (simulator.finalTotals, which spends no call). The collector can only know
 * the answers of the moment it checks a day, `verifyAfterMinutes` after the day ended: a verified
 * day must always equal those; and when that wait outlasts every call counted in the day and the
 * vendor's delay (most cases), those are the final ones, so it must equal the final ones, then
 * and after whatever ran since. A case with a shorter wait checks days while their calls still
 * run: there the final answers are not the collector's to know.
 *
 * Verification's calls are counted outside the collector, as the requests go out: a cdr_4
 * request made with the verify phase's module on its call stack is one of verification's, for
 * the day its range lies in. The collector's own tally (the checkpoint's per-day `calls`, the
 * rows' `api_calls`) is what enforces the bound; it cannot witness its own bound.
 *
 * Each seed draws its case and history. VERIFY_VENDORS_SEEDS=1,2,3 runs other seeds (to look
 * further, or to reproduce one).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { refreshDays } from '../../lambda/collector/day-objects.ts';
import { MetricsTally, silentLog } from '../../lambda/collector/ports.ts';
import { runLive, runRange, type EngineDeps } from '../../lambda/collector/runs.ts';
import { DAY_MS, dayLabel, dayOf } from '../../lambda/domain/day.ts';
import { StorageError } from '../../lambda/domain/errors.ts';
import { dataKey } from '../../lambda/domain/layout.ts';
import { daySpan, spanDates, spanOf, windowsOf, type Span } from '../../lambda/domain/span.ts';
import { DAY_CHECK_LIMITS } from '../../lambda/domain/vendor-model.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { WINDOW_MS } from '../../lambda/domain/window.ts';
import { createCdr4Client, type Cdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { startSimulator, type Fault, type Simulator, type TrafficProfile, type VendorModel } from '../simulator/index.ts';
import { prng } from '../simulator/synthetic-calls.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';

const TZ = 'America/Santiago';
const TOKEN = 'tok-VENDORS-PROP-7a1c';
const OPERATION = '0032';
const PREFIX = 'p';
const MINUTE = 60_000;
// Ranges and backfills fall on these days; Chile springs forward at 2026-09-06 00:00 (that day has 276 windows).
const RANGE_DAYS = ['2026-09-04', '2026-09-05', '2026-09-06'];

/** Calls per interval of an answer. */
const callsOf = (totals: Record<string, { calls: number }>): Record<string, number> => Object.fromEntries(Object.entries(totals).map(([k, t]) => [k, t.calls]));

/** The three readings of a range the collector must survive. */
const VENDORS = {
  additive: {},
  'end-exclusive': { dateEnd: 'exclusive' },
  'end-counted': { countCallsAt: 'end' },
} as const satisfies Record<string, VendorModel>;
type VendorKind = keyof typeof VENDORS;

/**
 * Traffic, and how long after a day's end its last call counted at its start may still end:
 * business hours close at 18:00 and their longest call lasts 2.5 h (all ended by 20:30, before
 * the day does); busy traffic runs round the clock with calls of at most an hour.
 */
const TRAFFIC = [
  { traffic: { kind: 'business-hours', longCallShare: 0.03 }, lateAfterDayMinutes: 0 },
  { traffic: { kind: 'busy' }, lateAfterDayMinutes: 60 },
] as const satisfies ReadonlyArray<{ traffic: TrafficProfile; lateAfterDayMinutes: number }>;

/**
 * What a seed draws first: the vendor, its traffic, the collector's wait before checking a day
 * (mostly one that outlasts the day's calls, sometimes 5 to 24 minutes), and the vendor's delay
 * before an ended call shows (mostly none, sometimes 1 to 4 hours: days then keep changing after
 * their first check, which is what takes checking to its bound). Whether the answers are final
 * when a day is checked follows: a vendor counting calls at their end answers for good once the
 * window has ended and the delay passed; one counting them at their start, once the calls that
 * started there have ended too.
 */
function caseOf(seed: number) {
  const rnd = prng(seed * 104_729);
  const kind = (Object.keys(VENDORS) as VendorKind[])[Math.floor(rnd() * 3)]!;
  const { traffic, lateAfterDayMinutes } = TRAFFIC[Math.floor(rnd() * TRAFFIC.length)]!;
  const verifyAfterMinutes = rnd() < 0.35 ? 5 + Math.floor(rnd() * 20) : Math.max(30, lateAfterDayMinutes) + Math.floor(rnd() * 120);
  const reportDelayMinutes = rnd() < 0.3 ? 60 + Math.floor(rnd() * 180) : 0;
  const finalWhenChecked = verifyAfterMinutes >= (kind === 'end-counted' ? 0 : lateAfterDayMinutes) + reportDelayMinutes;
  return { seed, rnd, kind, traffic, verifyAfterMinutes, reportDelayMinutes, finalWhenChecked };
}

/**
 * Additive 7, 10, 25; end-exclusive 13, 23; end-counted 8, 17. Busy traffic 8, 23, 25; late data
 * 10, 13, 17 (10 and 17 take a day's checking to its bound); days checked before their calls
 * ended 25 (and, for their late data, 10, 13, 17). 15: a day left unverified that later windows must not reopen; 1: a kill in the middle of a day checked to its bound.
 */
const SEEDS = process.env.VERIFY_VENDORS_SEEDS ? process.env.VERIFY_VENDORS_SEEDS.split(',').map(Number) : [1, 7, 8, 10, 13, 15, 17, 23, 25];

/**
 * Whether a request was made from the verify phase (its module on the stack, async frames
 * included) to check a day. A verdict day's windows with calls collected once more when the
 * operation turns non-additive (restateDay) are collection, as reconciliation's are: not checking.
 */
function fromVerification(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /[\\/]collector[\\/]phases[\\/]verify\.ts:/.test(stack) && !/\brestateDay\b/.test(stack);
}

describe('Property: whatever the vendor, a verified day equals its final per-window answers, a day found not to add up does not, and checking stays within the bound', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it.each(SEEDS.map(caseOf).map((c) => [c.seed, c.kind, c.traffic.kind, c] as const))('holds for history %i (%s vendor, %s traffic)', async (seed, kind, _traffic, c) => {
    // Prepare
    const { rnd } = c;
    const clock = new ManualClock(instantOfWall('2026-09-05 00:02', TZ));
    let faultRate = 0.05;
    sim = await startSimulator({
      token: TOKEN,
      server: OPERATION,
      timeZone: TZ,
      seed,
      now: clock.now,
      traffic: c.traffic,
      vendor: VENDORS[kind],
      reportDelayMs: c.reportDelayMinutes * MINUTE,
      faultFor: (): Fault | undefined => (rnd() < faultRate ? ([{ kind: 'http503' }, { kind: 'badJson' }, { kind: 'maintenance' }] as const)[Math.floor(rnd() * 3)] : undefined),
    });
    const simulator = sim;
    const memory = new MemoryStore();
    /** The day's windows whose objects differ from the vendor's answers (or are missing), as `day date_ini: what differs`. */
    const windowsOff = (day: string, answer: (dateIni: string, dateEnd: string) => Record<string, { calls: number }>, which: string): string[] => {
      const off: string[] = [];
      for (const w of windowsOf(daySpan(day, TZ))) {
        const { date_ini, date_end } = spanDates(spanOf(w));
        const vendor = answer(date_ini, date_end);
        const body = memory.objects.get(dataKey(PREFIX, OPERATION, w));
        const stored: Record<string, number> = {};
        for (const line of (body ?? '').split('\n').filter(Boolean)) {
          const row = JSON.parse(line) as { interval: string; calls: number };
          stored[row.interval] = (stored[row.interval] ?? 0) + row.calls;
        }
        if (body === undefined) off.push(`${day} ${date_ini}: no object`);
        else if (Object.entries(vendor).some(([k, t]) => (stored[k] ?? 0) !== t.calls)) off.push(`${day} ${date_ini}: stored ${JSON.stringify(stored)}, ${which} ${JSON.stringify(callsOf(vendor))}`);
      }
      return off;
    };
    const now = (dateIni: string, dateEnd: string) => simulator.trueTotals(dateIni, dateEnd);
    const final = (dateIni: string, dateEnd: string) => simulator.finalTotals(dateIni, dateEnd);
    /**
     * A day's verdict that the vendor's totals do not add up, unless its own final answers do not:
     * the day's total above the sum of its windows' in some interval. (A witness inside the day
     * that is not additive makes the day not additive too: the vendors here lose calls only at
     * a range's end, or never.) A vendor that adds up never earns the verdict.
     */
    const falseVerdict = (day: string): string[] => {
      const span = daySpan(day, TZ);
      const { date_ini, date_end } = spanDates(span);
      const whole = callsOf(simulator.finalTotals(date_ini, date_end));
      const windows: Record<string, number> = {};
      for (const w of windowsOf(span)) {
        const d = spanDates(spanOf(w));
        for (const [k, calls] of Object.entries(callsOf(simulator.finalTotals(d.date_ini, d.date_end)))) windows[k] = (windows[k] ?? 0) + calls;
      }
      return Object.entries(whole).some(([k, calls]) => calls > (windows[k] ?? 0)) ? [] : [`${day}: found not to add up, but the vendor's final day total ${JSON.stringify(whole)} is its windows' ${JSON.stringify(windows)}`];
    };
    // Verification's calls per day, counted as the requests go out; and any that is not within the day being checked.
    const checkCalls = new Map<string, number>();
    const strays: string[] = [];
    let checkingDay: string | undefined;
    const falseVerdicts: string[] = [];
    const undercounted: string[] = [];
    let killAfter = Number.POSITIVE_INFINITY;
    let writeFailureRate = 0.005;
    const verifiedWrong: string[] = [];
    const verifiedDays = new Set<string>();
    const statuses: Record<string, number> = {};
    const store = {
      put: async (key: string, body: string | Uint8Array, type: string) => {
        // A kill: from some write of this run on, nothing more reaches the store.
        if ((killAfter -= 1) < 0) throw new StorageError('injected: killed');
        if (rnd() < writeFailureRate) throw new StorageError(`injected: write of ${key} failed`);
        if (key.includes('/cdr_4_verifications/')) {
          const status = key.split('/').at(-1)!.split('-')[0]!;
          statuses[status] = (statuses[status] ?? 0) + 1;
          const day = /dt=(\d{4}-\d{2}-\d{2})/.exec(key)![1]!;
          if (status === 'unreconcilable') falseVerdicts.push(...falseVerdict(day));
          // The collector's own tally of the day, where its row gives it whole: it counts each call before it goes out
          // (saved first, so a kill cannot lose it), so a call whose save failed or was cut is counted though never made: a couple at most.
          const tally = status === 'unverified' && typeof body === 'string' ? (JSON.parse(body) as { api_calls: number }).api_calls : 0;
          if (tally > (checkCalls.get(day) ?? 0) + 2) undercounted.push(`${day}: the collector counted ${tally}, this test ${checkCalls.get(day) ?? 0}`);
          if (status === 'verified') {
            // The day is declared verified now: its windows as stored at this moment are what it vouches for.
            verifiedDays.add(day);
            verifiedWrong.push(...windowsOff(day, now, 'vendor now'));
            if (c.finalWhenChecked) verifiedWrong.push(...windowsOff(day, final, 'vendor for good'));
          }
        }
        return memory.put(key, body, type);
      },
      get: (key: string) => memory.get(key),
      getBytes: (key: string) => memory.getBytes(key),
      list: (prefix: string) => memory.list(prefix),
      describe: (key: string) => memory.describe(key),
    };
    const token = staticToken(TOKEN);
    const client = createCdr4Client({ baseUrl: sim.origin, server: OPERATION, token, clock: clock.now });
    const counted: Cdr4Client = {
      ...client,
      fetchSpan: (span: Span, timeoutMs: number, stop?: AbortSignal) => {
        if (fromVerification()) {
          const day = dayLabel(dayOf(span.fromWall));
          if (day !== checkingDay || span.toWall > dayOf(span.fromWall) + DAY_MS) strays.push(`${spanDates(span).date_ini}-${spanDates(span).date_end} while checking ${checkingDay}`);
          checkCalls.set(day, (checkCalls.get(day) ?? 0) + 1);
        }
        return client.fetchSpan(span, timeoutMs, stop);
      },
    };
    const deps: EngineDeps = {
      client: counted,
      token,
      store,
      leases: new MemoryLeaseStore(),
      holder: { kind: 'lambda', host: 'h', pid: 1, run: 'r' },
      log: silentLog,
      metrics: new MetricsTally(),
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      refreshDays: (days) => refreshDays(store, { prefix: PREFIX, operation: OPERATION }, days),
    };
    // A short settle horizon: windows are first stored before their long calls end, so days do differ when first checked.
    const settings = {
      operation: OPERATION,
      prefix: PREFIX,
      timeZone: TZ,
      settleMinutes: 5,
      requestTimeoutMs: 2_000,
      deadline: Number.POSITIVE_INFINITY,
      maxAttempts: 2,
      backoffMs: [0],
      verifyAfterMinutes: c.verifyAfterMinutes,
      onPhase: (phase: { name: string; day?: string }) => {
        if (phase.name === 'verify') checkingDay = phase.day;
      },
    };
    const randomRange = () => {
      const day = RANGE_DAYS[Math.floor(rnd() * RANGE_DAYS.length)]!;
      const from = parseWall(`${day} 00:00`)! + Math.floor(rnd() * 150) * WINDOW_MS;
      return { fromWall: from, toWall: from + (30 + Math.floor(rnd() * 400)) * WINDOW_MS };
    };

    // Act: scheduled runs every 5 to 60 minutes, with ranges and backfills between them; some runs killed.
    let kills = 0;
    while (clock.ms < instantOfWall('2026-09-07 12:00', TZ)) {
      killAfter = rnd() < 0.12 ? Math.floor(rnd() * 200) : Number.POSITIVE_INFINITY;
      if (Number.isFinite(killAfter)) kills += 1;
      const pick = rnd();
      const run =
        pick < 0.85
          ? runLive(deps, { ...settings, deadline: clock.ms + 60_000 })
          : pick < 0.95
            ? ((r) => runRange(deps, settings, r.fromWall, r.toWall))(randomRange())
            : runLive(deps, { ...settings, deadline: clock.ms + 60_000, backfill: randomRange() });
      await run.catch(() => undefined);
      checkingDay = undefined;
      clock.advance((5 + Math.floor(rnd() * 55)) * MINUTE);
    }
    // Then clean runs until every due day is checked.
    faultRate = 0;
    writeFailureRate = 0;
    killAfter = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 40; i += 1) {
      await runLive(deps, { ...settings, deadline: clock.ms + 60_000 });
      checkingDay = undefined;
      clock.advance(30 * MINUTE);
    }
    // Verified days stay level with the vendor's final answers after whatever ran since.
    const laterOff = c.finalWhenChecked ? [...verifiedDays].flatMap((day) => windowsOff(day, final, 'vendor for good')) : [];

    // Assess
    expect(kills).toBeGreaterThan(0);
    // Days were concluded (a vendor that does not add up may verify none).
    expect(Object.keys(statuses).filter((s) => s !== 'pending' && s !== 'changed')).not.toEqual([]);
    // The count below sees every call of verification, each within the day it checks.
    expect([...checkCalls.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(undercounted).toEqual([]);
    expect(strays).toEqual([]);
    expect(verifiedWrong).toEqual([]);
    expect(falseVerdicts).toEqual([]);
    expect(laterOff).toEqual([]);
    // The day's rows in order say how it got there (its checks, a bound reached, a day opened again).
    const rowsOf = (day: string) =>
      memory
        .keys(`${PREFIX}/cdr_4_verifications/operation=${OPERATION}/dt=${day}/`)
        .map((k) => JSON.parse(memory.objects.get(k)!) as { status: string; checked_at: string; api_calls: number })
        .sort((a, b) => a.checked_at.localeCompare(b.checked_at))
        .map((r) => `${r.status} ${r.checked_at} (${r.api_calls} calls)`);
    expect([...checkCalls].filter(([, calls]) => calls > DAY_CHECK_LIMITS.calls).map(([day, calls]) => `${day}: ${calls} calls; ${rowsOf(day).join(', ')}`)).toEqual([]);
  }, 120_000);
});
