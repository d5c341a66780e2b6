/**
 * Call economy (issue 13): what the collector spends to prove days complete against the
 * vendor's own day totals, set beside what the old restatement-only way spent and lost.
 * Simulated time and fixed seeds; the wall time of each scenario is printed for the reader.
 *
 * The old way (restatement only) is modelled on the simulator's truth rather than run: it
 * is simple enough to state exactly (each window fetched when due and once more 60 minutes
 * after it ended, never again). Its day totals are checked against the run's own truth.
 */
import { runLive } from '../lambda/collector/runs.ts';
import { daySpan, spanDates, spanOf, windowsOf } from '../lambda/domain/span.ts';
import { formatDate, formatVendor, parseWall, WALL } from '../lambda/domain/wall-clock.ts';
import { windowEndInstant } from '../lambda/domain/window.ts';
import { trueTotalsOf, type SimulatorOptions, type TrafficProfile } from '../test/simulator/index.ts';
import { callsCoveringDay, compareWithTruth, OP, openOperation, runRangeOnce, runScheduleUntil, verificationRows, type Operation } from '../test/support/scheduled-operation.ts';

const DAY = '2026-11-18'; // a Wednesday: a full business day
const SCHEDULE_FROM = '2026-11-17 12:00';
// Eight hours past midnight: long calls of the evening have ended and the verification horizon has passed.
const SCHEDULE_UNTIL = '2026-11-19 08:00';
const SEEDS = [1, 2, 3, 4, 5];
const WINDOWS_PER_DAY = 288;
const MONTH = { from: '2026-10-01 00:00', to: '2026-11-01 00:00' } as const;
const MONTH_OPENED_AT = '2026-11-25 12:00';
/** A Lambda stops at 15 minutes; the collector is told to be done a minute before. */
const LAMBDA_BUDGET_MS = 840_000;
/** A vendor answer's time in the second backfill, so that its deadline binds (~3,300 calls outlast 14 minutes). */
const VENDOR_LATENCY_MS = 500;
/** The old way's restatement moment, minutes after a window ended. */
const OLD_RESTATE_MINUTES = 60;

const BUSINESS: TrafficProfile = { kind: 'business-hours' };
const BUSY: TrafficProfile = { kind: 'busy' };

const sum = (t: Record<string, { calls: number }>) => Object.values(t).reduce((n, v) => n + v.calls, 0);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: readonly number[]) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
const isVerified = (op: Operation, day: string) => verificationRows(op, day).some((r) => r.status === 'verified');

/**
 * The old way over one day: two calls per window, and a window keeps what the report held
 * at its restatement, so every call that ended later than that is lost for good.
 */
function oldWay(sim: SimulatorOptions, day: string, endMs: number) {
  let stored = 0;
  let truth = 0;
  for (const w of windowsOf(daySpan(day, OP.timeZone))) {
    const { date_ini, date_end } = spanDates(spanOf(w));
    stored += sum(trueTotalsOf(sim, date_ini, date_end, windowEndInstant(w) + OLD_RESTATE_MINUTES * WALL.MINUTE_MS));
    truth += sum(trueTotalsOf(sim, date_ini, date_end, endMs));
  }
  return { api_calls: 2 * WINDOWS_PER_DAY, truth_calls: truth, stored_calls: stored, calls_lost: truth - stored };
}

/** The new way over one day: the scheduled path every 5 minutes, read back as a user would. */
async function scheduledDay(traffic: TrafficProfile, seed: number) {
  const started = Date.now();
  const op = await openOperation(SCHEDULE_FROM, { traffic, seed });
  try {
    await runScheduleUntil(op, SCHEDULE_UNTIL);
    const truth = compareWithTruth(op, DAY);
    const old = oldWay({ traffic, seed, timeZone: OP.timeZone }, DAY, op.clock.ms);
    return {
      seed,
      api_calls: callsCoveringDay(op.sim, DAY),
      verified: isVerified(op, DAY),
      exact: truth.wrongWindows.length === 0,
      wrong_windows: truth.wrongWindows.length,
      truth_calls: truth.truthCalls,
      calls_lost: truth.truthCalls - truth.storedCalls,
      old,
      wall_ms: Date.now() - started,
    };
  } finally {
    await op.close();
  }
}

function daysOf(fromWall: string, toWall: string): string[] {
  const days: string[] = [];
  for (let wall = parseWall(fromWall)!; wall < parseWall(toWall)!; wall += 24 * WALL.HOUR_MS) days.push(formatDate(wall));
  return days;
}

/**
 * API calls whose range covers any part of October, reading the log once over the month:
 * summing callsCoveringDay per day would count a call over several days (the top-down walk
 * makes many) once for each of them.
 */
function monthCalls(op: Operation): number {
  const ini = formatVendor(parseWall(MONTH.from)!);
  const end = formatVendor(parseWall(MONTH.to)! - 1000);
  return op.sim.stats.log.filter((e) => e.dateIni !== null && e.dateEnd !== null && e.dateIni <= end && e.dateEnd >= ini).length;
}

function monthFigures(op: Operation) {
  const days = daysOf(MONTH.from, MONTH.to);
  return {
    days,
    api_calls: monthCalls(op),
    verified: days.filter((d) => isVerified(op, d)).length,
    exact: days.every((d) => compareWithTruth(op, d).wrongWindows.length === 0),
  };
}

/** October loaded by one CLI-style range on an operation opened late in November. */
async function monthByRange() {
  const started = Date.now();
  const op = await openOperation(MONTH_OPENED_AT, { traffic: BUSINESS, seed: 1 });
  try {
    const report = await runRangeOnce(op, MONTH.from, MONTH.to);
    const m = monthFigures(op);
    return { ...m, stop_reason: report.stopReason, wall_ms: Date.now() - started };
  } finally {
    await op.close();
  }
}

/**
 * October as a Lambda backfill: queued by the first scheduled invocation, worked on by that
 * one and the following ones (each given the Lambda's deadline) until none is left, then
 * until the month is verified (the check of a day comes on a run after its windows).
 * With `latencyMs` 0 the simulator answers in no simulated time and the deadline never
 * binds; with a latency each answer moves the clock, so the deadline cuts the work into
 * several invocations, as it would against the real vendor.
 */
async function monthByBackfill(latencyMs: number) {
  const started = Date.now();
  // The clock is made by openOperation, after the hook is handed over: hence the holder.
  const holder: { op?: Operation } = {};
  const op = await openOperation(MONTH_OPENED_AT, {
    traffic: BUSINESS,
    seed: 1,
    faultFor: () => {
      if (latencyMs > 0) holder.op?.clock.advance(latencyMs);
      return undefined;
    },
  });
  holder.op = op;
  const days = daysOf(MONTH.from, MONTH.to);
  try {
    const backfill = { fromWall: parseWall(MONTH.from)!, toWall: parseWall(MONTH.to)! };
    let runs = 0;
    let remaining = Number.POSITIVE_INFINITY;
    let runsToBackfilled = 0;
    let callsAtBackfilled = 0;
    // Bounded, so that an engine that never finishes shows as a figure rather than a hung bench.
    while (runs < 200 && (remaining > 0 || !days.every((d) => isVerified(op, d)))) {
      const runStarted = op.clock.ms;
      const report = await runLive(op.deps, { ...OP, deadline: runStarted + LAMBDA_BUDGET_MS, ...(runs === 0 ? { backfill } : {}) });
      runs += 1;
      if (remaining > 0 && report.backfillRemaining === 0) {
        runsToBackfilled = runs;
        callsAtBackfilled = monthCalls(op);
      }
      remaining = report.backfillRemaining;
      op.clock.set(Math.max(op.clock.ms, runStarted + 5 * WALL.MINUTE_MS));
    }
    return { ...monthFigures(op), runs, runs_to_backfilled: runsToBackfilled, calls_at_backfilled: callsAtBackfilled, remaining, wall_ms: Date.now() - started };
  } finally {
    await op.close();
  }
}

export async function benchVerification() {
  const business = [];
  for (const seed of SEEDS) business.push(await scheduledDay(BUSINESS, seed));
  const busy = await scheduledDay(BUSY, 1);
  const range = await monthByRange();
  const lambda = await monthByBackfill(0);
  const slow = await monthByBackfill(VENDOR_LATENCY_MS);
  const monthWindows = daysOf(MONTH.from, MONTH.to).length * WINDOWS_PER_DAY;
  const perWindow = (calls: number) => Number((calls / monthWindows).toFixed(3));

  return {
    business_day: `${DAY} (Wed), ${OP.timeZone}, scheduled every 5 min ${SCHEDULE_FROM} .. ${SCHEDULE_UNTIL}, seeds ${SEEDS.join(',')}`,
    business_per_seed_api_calls: business.map((b) => b.api_calls).join(','),
    business_per_seed_verified: business.map((b) => b.verified).join(','),
    business_per_seed_exact: business.map((b) => b.exact).join(','),
    business_per_seed_calls_lost: business.map((b) => b.calls_lost).join(','),
    business_per_seed_truth_calls: business.map((b) => b.truth_calls).join(','),
    business_api_calls: spread(business.map((b) => b.api_calls)),
    business_calls_lost: spread(business.map((b) => b.calls_lost)),
    business_all_verified_and_exact: business.every((b) => b.verified && b.exact),
    business_bound_320_met: business.every((b) => b.api_calls <= 320),
    business_old_way_api_calls: spread(business.map((b) => b.old.api_calls)),
    business_old_way_per_seed_calls_lost: business.map((b) => b.old.calls_lost).join(','),
    business_old_way_calls_lost: spread(business.map((b) => b.old.calls_lost)),
    // The model and the run read the same truth: a mismatch would make the old-way figures meaningless.
    old_way_model_truth_agrees: [...business, busy].every((b) => b.old.truth_calls === b.truth_calls),
    business_wall_ms_per_seed: business.map((b) => b.wall_ms).join(','),

    busy_day: `${DAY}, traffic busy, seed 1, same schedule`,
    busy_api_calls: busy.api_calls,
    busy_verified: busy.verified,
    busy_exact: busy.exact,
    busy_wrong_windows: busy.wrong_windows,
    busy_truth_calls: busy.truth_calls,
    busy_calls_lost: busy.calls_lost,
    busy_no_more_calls_than_old_way: busy.api_calls <= busy.old.api_calls,
    busy_old_way_api_calls: busy.old.api_calls,
    busy_old_way_calls_lost: busy.old.calls_lost,
    busy_wall_ms: busy.wall_ms,

    month: `${MONTH.from} .. ${MONTH.to} (${monthWindows} windows), business-hours seed 1, opened ${MONTH_OPENED_AT}`,
    month_range_api_calls: range.api_calls,
    month_range_calls_per_window: perWindow(range.api_calls),
    month_range_bound_0_42_met: range.api_calls <= 0.42 * monthWindows,
    month_range_days_verified: `${range.verified}/${range.days.length}`,
    month_range_exact: range.exact,
    month_range_stop_reason: range.stop_reason,
    month_range_wall_ms: range.wall_ms,
    month_backfill_api_calls_october: lambda.api_calls,
    month_backfill_calls_per_window: perWindow(lambda.api_calls),
    month_backfill_api_calls_at_remaining_0: lambda.calls_at_backfilled,
    month_backfill_runs_to_remaining_0: lambda.runs_to_backfilled,
    month_backfill_runs_to_verified: lambda.runs,
    month_backfill_remaining: lambda.remaining,
    month_backfill_days_verified: `${lambda.verified}/${lambda.days.length}`,
    month_backfill_exact: lambda.exact,
    month_backfill_wall_ms: lambda.wall_ms,
    month_backfill_slow_vendor_latency_ms: VENDOR_LATENCY_MS,
    month_backfill_slow_vendor_api_calls_october: slow.api_calls,
    month_backfill_slow_vendor_calls_per_window: perWindow(slow.api_calls),
    month_backfill_slow_vendor_runs_to_remaining_0: slow.runs_to_backfilled,
    month_backfill_slow_vendor_runs_to_verified: slow.runs,
    month_backfill_slow_vendor_days_verified: `${slow.verified}/${slow.days.length}`,
    month_backfill_slow_vendor_exact: slow.exact,
    month_backfill_slow_vendor_wall_ms: slow.wall_ms,
    month_old_way_api_calls: monthWindows,
    month_old_way_calls_per_window: 1,
  };
}
