/**
 * Each phase of the engine on its own: a Run built by hand on a stored state, the phase's
 * `due` and `work` called directly, against the simulator on loopback. What runLive and
 * runRange do with the phases is tested through them elsewhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Budget, stopOf } from '../../lambda/collector/budget.ts';
import type { RunState } from '../../lambda/collector/run-state.ts';
import { runLive, runRange } from '../../lambda/collector/runs.ts';
import { DAY_MS } from '../../lambda/domain/day.ts';
import { WolkvoxAuthError, WolkvoxTokenLimitError, WolkvoxTransportError } from '../../lambda/domain/errors.ts';
import type { Cdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { verifySearchKey } from '../../lambda/collector/checkpoint-codec.ts';
import { parseVendorDate } from '../simulator/vendor-dates.ts';
import { backfillPhase } from '../../lambda/collector/phases/backfill.ts';
import { livePhase } from '../../lambda/collector/phases/live.ts';
import { reconcilePhase } from '../../lambda/collector/phases/reconcile.ts';
import { verifyPhase } from '../../lambda/collector/phases/verify.ts';
import { parseDay } from '../../lambda/domain/day.ts';
import { checkpointKey, dataKey } from '../../lambda/domain/layout.ts';
import { daySpan, spanDates, windowsOf } from '../../lambda/domain/span.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import type { Window } from '../../lambda/domain/window.ts';
import { instantOfWall } from '../support/clock.ts';
import { rowsOf, runOn, seedState, windowsOffTruth } from '../support/phase-run.ts';
import { OP, openOperation, runRangeOnce, verificationRows, type Operation } from '../support/scheduled-operation.ts';

const at = (label: string): Window => ({ startWall: parseWall(label)!, timeZone: OP.timeZone });
const windowsBetween = (from: string, to: string) => windowsOf({ fromWall: parseWall(from)!, toWall: parseWall(to)!, timeZone: OP.timeZone });

let op: Operation | undefined;
afterEach(async () => {
  await op?.close();
  op = undefined;
});

describe('Function: livePhase', () => {
  it('returns the due windows collected, one call each, and moves the live cursor past them when the schedule is behind', async () => {
    // Prepare: the last run stopped at 09:00; at 10:00 the windows 09:00 to 09:50 are due.
    op = await openOperation('2026-11-20 10:00');
    await seedState(op, (state) => {
      state.nextWindow = at('2026-11-20 09:00');
    });
    const run = await runOn(op);

    // Act
    const outcome = await livePhase.work(run);

    // Assess
    const due = windowsBetween('2026-11-20 09:00', '2026-11-20 09:55');
    expect(outcome.stop).toBe('done');
    expect(outcome.collected.count).toBe(due.length);
    expect(op.sim.stats.reportRequests).toBe(due.length);
    expect(windowsOffTruth(op, due)).toEqual([]);
    expect(run.state.nextWindow).toEqual(at('2026-11-20 09:55'));
    expect([...run.fresh]).toEqual(due.map((w) => w.startWall));
    expect(run.state.restateNext).toEqual(at('2026-11-20 09:00'));
  });

  it('returns nothing collected and makes no call when a quiet period lets the due window wait within its freshness bound', async () => {
    // Prepare: no call since 02:00; the 03:00 window ended at 03:05 and may wait until 03:35.
    op = await openOperation('2026-11-20 03:10');
    await seedState(op, (state) => {
      state.nextWindow = at('2026-11-20 03:00');
      state.quietSince = at('2026-11-20 02:00');
    });
    const run = await runOn(op);

    // Act
    const outcome = await livePhase.work(run);

    // Assess
    expect(outcome.collected.count).toBe(0);
    expect(run.report.deferred).toBe(true);
    expect(run.report.planned).toBe(1);
    expect(op.sim.stats.reportRequests).toBe(0);
    expect(run.state.nextWindow).toEqual(at('2026-11-20 03:00'));
  });
  it('moves the live cursor only past the windows a resumed quiet search stored, never past windows due since', async () => {
    // Prepare: a quiet night; an earlier run's call over 03:05-03:45 failed and left its search saved; at 04:05 windows up to 03:55 are due.
    op = await openOperation('2026-11-20 04:05', { traffic: { kind: 'business-hours' } });
    await seedState(op, (state) => {
      state.nextWindow = at('2026-11-20 03:05');
      state.quietSince = at('2026-11-20 00:00');
      state.searches.set('quiet', [{ fromWall: parseWall('2026-11-20 03:05')!, toWall: parseWall('2026-11-20 03:45')! }]);
    });
    const run = await runOn(op);

    // Act
    const outcome = await livePhase.work(run);
    await run.state.flush();
    op.clock.set(instantOfWall('2026-11-20 04:25', OP.timeZone));
    const next = await runOn(op);
    await livePhase.work(next);

    // Assess: the first run stops at 03:45 (what its search covered); the next quiet call, at 04:25, stores the rest.
    expect(outcome.stop).toBe('done');
    expect(run.state.nextWindow).toEqual(at('2026-11-20 03:45'));
    expect(next.state.nextWindow).toEqual(at('2026-11-20 04:20'));
    expect(windowsOffTruth(op, windowsBetween('2026-11-20 03:05', '2026-11-20 04:20'))).toEqual([]);
  });
});

describe('Function: reconcilePhase', () => {
  it('returns the windows re-collected with their late calls (revision 2) once the hour is ripe, and moves on to the next hour', async () => {
    // Prepare: calls reach the report 20 minutes after they end; 08:00-09:00 was collected at 09:05.
    op = await openOperation('2026-11-20 09:05', { reportDelayMs: 20 * 60_000 });
    const first = await runOn(op, { firstRunWindows: 12 });
    await livePhase.work(first);
    await first.state.flush();
    const hour = windowsBetween('2026-11-20 08:00', '2026-11-20 09:00');
    op.clock.set(instantOfWall('2026-11-20 10:35', OP.timeZone));
    expect(windowsOffTruth(op, hour).length).toBeGreaterThan(0);
    const run = await runOn(op);
    run.budget.spendOn('history');

    // Act
    const due = reconcilePhase.due(run);
    const outcome = await reconcilePhase.work(run);

    // Assess
    expect(due).toBe(true);
    expect(outcome.stop).toBe('done');
    expect(outcome.notes.recollected + outcome.notes.emptied).toBeGreaterThan(0);
    expect(windowsOffTruth(op, hour)).toEqual([]);
    expect(hour.some((w) => rowsOf(op!, w).some((r) => r.revision === 2))).toBe(true);
    expect(run.state.restateNext).toEqual(at('2026-11-20 09:00'));
  });
});

describe('Function: verifyPhase', () => {
  const DAY = '2026-11-19';

  /** The day collected by a range before its verification horizon, then the clock past it. */
  async function pendingDay(): Promise<Operation> {
    const o = await openOperation('2026-11-20 01:00');
    await runRangeOnce(o, `${DAY} 00:00`, '2026-11-20 00:00');
    o.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    return o;
  }

  it('returns the day verified with one call when its windows add up to the vendor\'s day total', async () => {
    // Prepare
    op = await pendingDay();
    const run = await runOn(op);
    const callsBefore = op.sim.stats.reportRequests;

    // Act
    const due = verifyPhase.due(run);
    const outcome = await verifyPhase.work(run);
    await run.state.flush();

    // Assess
    expect(due).toBe(true);
    expect(outcome.notes.verified).toEqual([parseDay(DAY)]);
    expect(op.sim.stats.reportRequests - callsBefore).toBe(1);
    expect(outcome.calls).toBe(1);
    expect(run.state.verifyDays.size).toBe(0);
    expect(verificationRows(op, DAY).map((r) => r.status)).toEqual(['pending', 'verified']);
  });

  it('returns the day changed and then verified when a stored window lost its calls, having re-collected only what differs', async () => {
    // Prepare: the busiest window of the day is emptied in the store.
    op = await pendingDay();
    const windows = windowsOf(daySpan(DAY, OP.timeZone));
    const busiest = windows.map((w) => ({ w, calls: rowsOf(op!, w).reduce((n, r) => n + r.calls, 0) })).sort((a, b) => b.calls - a.calls)[0]!;
    expect(busiest.calls).toBeGreaterThan(0);
    await op.store.put(dataKey(OP.prefix, OP.operation, busiest.w), '', 'application/x-ndjson');
    const run = await runOn(op);
    const callsBefore = op.sim.stats.reportRequests;

    // Act
    const outcome = await verifyPhase.work(run);

    // Assess
    expect(outcome.notes.changed).toEqual([parseDay(DAY)]);
    expect(outcome.notes.verified).toEqual([parseDay(DAY)]);
    expect(windowsOffTruth(op, windows)).toEqual([]);
    expect(rowsOf(op, busiest.w).every((r) => r.revision === 2)).toBe(true);
    // A narrowing search: far fewer calls than the day's 288 windows.
    expect(op.sim.stats.reportRequests - callsBefore).toBeLessThan(30);
    expect(verificationRows(op, DAY).map((r) => r.status)).toEqual(['pending', 'changed', 'verified']);
  });

  it('returns the day changed and then verified, never found not to add up, when a half\'s answer cannot be read while narrowing', async () => {
    // Prepare: the busiest window is emptied in the store (the day differs); the first span the
    // search asks after the day's call (the day's left half) answers bad JSON every time, so its
    // own halves are asked instead, and the right half must not be derived from one of them.
    let dayAsked = false;
    let unreadable: string | undefined;
    op = await openOperation('2026-11-20 01:00', {
      faultFor: (r) => {
        if (r.nowMs < instantOfWall('2026-11-20 06:00', OP.timeZone)) return undefined;
        const dates = `${r.dateIni}-${r.dateEnd}`;
        if (dates === '20261119000000-20261119235959') dayAsked = true;
        else if (dayAsked) unreadable ??= dates;
        return dates === unreadable ? { kind: 'badJson' } : undefined;
      },
    });
    await runRangeOnce(op, `${DAY} 00:00`, '2026-11-20 00:00');
    op.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    const windows = windowsOf(daySpan(DAY, OP.timeZone));
    const busiest = windows.map((w) => ({ w, calls: rowsOf(op!, w).reduce((n, r) => n + r.calls, 0) })).sort((a, b) => b.calls - a.calls)[0]!;
    await op.store.put(dataKey(OP.prefix, OP.operation, busiest.w), '', 'application/x-ndjson');
    const run = await runOn(op);

    // Act
    const outcome = await verifyPhase.work(run);

    // Assess
    expect(unreadable).toBeDefined();
    expect(outcome.notes.unreconcilable).toEqual([]);
    expect(outcome.notes.verified).toEqual([parseDay(DAY)]);
    expect(windowsOffTruth(op, windows)).toEqual([]);
    expect(verificationRows(op, DAY).map((r) => r.status)).toEqual(['pending', 'changed', 'verified']);
  });

  it('returns the day never found not to add up when a window asked on its own while narrowing cannot be read', async () => {
    // Prepare: a stored window lost one call (the day differs by one, so the search halves down
    // to single windows); the first window the search asks on its own answers bad JSON every
    // time (it is passed over), so its sibling must not be derived from it.
    let dayAsked = false;
    let unreadable: string | undefined;
    op = await openOperation('2026-11-20 01:00', {
      faultFor: (r) => {
        if (r.nowMs < instantOfWall('2026-11-20 06:00', OP.timeZone)) return undefined;
        const dates = `${r.dateIni}-${r.dateEnd}`;
        if (dates === '20261119000000-20261119235959') dayAsked = true;
        else if (dayAsked && parseVendorDate(r.dateEnd)! - parseVendorDate(r.dateIni)! === 5 * 60_000 - 1000) unreadable ??= dates;
        return dates === unreadable ? { kind: 'badJson' } : undefined;
      },
    });
    await runRangeOnce(op, `${DAY} 00:00`, '2026-11-20 00:00');
    op.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    const windows = windowsOf(daySpan(DAY, OP.timeZone));
    const changed = windows.filter((w) => rowsOf(op!, w).some((r) => r.calls > 0))[40]!;
    const key = dataKey(OP.prefix, OP.operation, changed);
    const rows = op.store.objects.get(key)!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { calls: number });
    rows.find((r) => r.calls > 0)!.calls -= 1;
    await op.store.put(key, rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'application/x-ndjson');
    const run = await runOn(op);

    // Act
    const outcome = await verifyPhase.work(run);

    // Assess
    expect(unreadable).toBeDefined();
    expect(outcome.notes.unreconcilable).toEqual([]);
    expect(verificationRows(op, DAY).map((r) => r.status)).not.toContain('unreconcilable');
  });

  it('returns the day never found not to add up when it resumes a fetch of every window that a stopped run began after fetching only missing ones', async () => {
    // Prepare: a check cut short inside 09:00-11:00: the span's total was asked after every call
    // ended, and its fetch stopped after 09:55 (it was filling missing windows); 09:00-09:55 are
    // stored without their calls (as collected before those calls ended), 10:00-10:55 as now.
    op = await pendingDay();
    const span = { fromWall: parseWall(`${DAY} 09:00`)!, toWall: parseWall(`${DAY} 11:00`)!, timeZone: OP.timeZone };
    const spanTotals = op.sim.trueTotals(...(Object.values(spanDates(span)) as [string, string]));
    const vendor = Object.fromEntries(Object.entries(spanTotals).map(([k, t]) => [k, t.calls]));
    const early = windowsOf(span).filter((w) => w.startWall < parseWall(`${DAY} 10:00`)! && rowsOf(op!, w).some((r) => r.calls > 0));
    for (const w of early) {
      const key = dataKey(OP.prefix, OP.operation, w);
      const rows = op.store.objects.get(key)!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { calls: number });
      for (const r of rows) r.calls = 0;
      await op.store.put(key, rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'application/x-ndjson');
    }
    await seedState(op, (state) => {
      const day = parseDay(DAY)!;
      state.verifyDays.get(day)!.check = { vendor, stored: vendor, fetchId: 'f-day', calls: 3 };
      state.searches.set(verifySearchKey(day), [{ fromWall: span.fromWall, toWall: span.toWall, vendor, by: 'f-span', fetched: parseWall(`${DAY} 09:55`)! }]);
    });
    const run = await runOn(op);

    // Act
    const outcome = await verifyPhase.work(run);

    // Assess
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(outcome.notes.unreconcilable).toEqual([]);
    expect(outcome.notes.changed).toEqual([parseDay(DAY)]);
    expect(verificationRows(op, DAY).map((r) => r.status)).not.toContain('unreconcilable');
  });

  it('returns the day verified only after filling a window whose object went missing, one call for that window', async () => {
    // Prepare: a window with calls disappears from the store; every write is recorded in order.
    op = await pendingDay();
    const windows = windowsOf(daySpan(DAY, OP.timeZone));
    const lost = windows.find((w) => rowsOf(op!, w).some((r) => r.calls > 0))!;
    const lostKey = dataKey(OP.prefix, OP.operation, lost);
    op.store.remove(lostKey);
    const writes: string[] = [];
    const put = op.store.put.bind(op.store);
    op.store.put = async (key, body, type) => {
      await put(key, body, type);
      writes.push(key);
    };
    const run = await runOn(op);
    const callsBefore = op.sim.stats.reportRequests;

    // Act
    const outcome = await verifyPhase.work(run);
    await run.state.flush();

    // Assess
    expect(outcome.notes.verified).toEqual([parseDay(DAY)]);
    expect(windowsOffTruth(op, windows)).toEqual([]);
    const verifiedAt = writes.findIndex((k) => k.includes('/verified-'));
    expect(writes.indexOf(lostKey)).toBeGreaterThanOrEqual(0);
    expect(writes.indexOf(lostKey)).toBeLessThan(verifiedAt);
    // The window fetched on its own, then the day's call.
    expect(op.sim.stats.reportRequests - callsBefore).toBe(2);
  });

  it('stops with a transient error and keeps the day pending when the day call keeps failing with 503', async () => {
    // Prepare
    op = await openOperation('2026-11-20 01:00', { faultFor: (r) => (r.dateIni === '20261119000000' && r.dateEnd === '20261119235959' && r.nowMs >= instantOfWall('2026-11-20 05:00', OP.timeZone) ? { kind: 'http503' } : undefined) });
    await runRangeOnce(op, `${DAY} 00:00`, '2026-11-20 00:00');
    op.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    const run = await runOn(op);

    // Act
    const outcome = await verifyPhase.work(run);

    // Assess
    expect(outcome.stop).toBe('transient-error');
    expect(outcome.stoppedAt?.window).toEqual(at(`${DAY} 00:00`));
    expect(outcome.notes.verified).toEqual([]);
    expect([...run.state.verifyDays.keys()]).toEqual([parseDay(DAY)]);
  });
});

describe('Function: backfillPhase', () => {
  it('returns a queued job\'s windows stored top down, with fewer calls than windows, and drops the job once done', async () => {
    // Prepare: a business-hours operation, closed at night.
    op = await openOperation('2026-11-20 10:00', { traffic: { kind: 'business-hours' } });
    await seedState(op, (state) => {
      state.backfills.push({ from: at('2026-11-19 00:00'), to: at('2026-11-19 06:00'), next: at('2026-11-19 00:00'), requestedAt: op!.clock.ms, refetch: false });
    });
    const run = await runOn(op);
    run.budget.spendOn('history');

    // Act
    const outcome = await backfillPhase.work(run);

    // Assess
    const job = windowsBetween('2026-11-19 00:00', '2026-11-19 06:00');
    expect(outcome.stop).toBe('done');
    expect(outcome.collected.count).toBe(job.length);
    expect(windowsOffTruth(op, job)).toEqual([]);
    expect(op.sim.stats.reportRequests).toBeLessThan(job.length);
    expect(run.state.backfills).toEqual([]);
  });

  it('keeps a job that reaches past now queued, with its next window the first that has not ended', async () => {
    // Prepare
    op = await openOperation('2026-11-20 10:00');
    await seedState(op, (state) => {
      state.backfills.push({ from: at('2026-11-20 09:00'), to: at('2026-11-20 11:00'), next: at('2026-11-20 09:00'), requestedAt: op!.clock.ms, refetch: false });
    });
    const run = await runOn(op);
    run.budget.spendOn('history');

    // Act
    const outcome = await backfillPhase.work(run);

    // Assess
    expect(outcome.stop).toBe('done');
    expect(outcome.notes.notYetDue).toEqual(at('2026-11-20 10:00'));
    expect(run.state.backfills.map((b) => b.next)).toEqual([at('2026-11-20 10:00')]);
    expect(windowsOffTruth(op, windowsBetween('2026-11-20 09:00', '2026-11-20 10:00'))).toEqual([]);
  });
});

describe('Function: runLive (history behind a phase that stopped)', () => {
  const jobDay = (day: string) => (state: RunState) => {
    state.backfills.push({ from: at(`${day} 00:00`), to: at(`${day} 06:00`), next: at(`${day} 00:00`), requestedAt: 0, refetch: false });
  };

  it('leaves the queued backfill for the next run when verification stops on a transient error', async () => {
    // Prepare: 2026-11-19 pending verification, whose day call answers 503 from 05:00 on; a backfill of 2026-11-18 queued.
    op = await openOperation('2026-11-20 01:00', { faultFor: (r) => (r.dateIni === '20261119000000' && r.dateEnd === '20261119235959' && r.nowMs >= instantOfWall('2026-11-20 05:00', OP.timeZone) ? { kind: 'http503' } : undefined) });
    await runRangeOnce(op, '2026-11-19 00:00', '2026-11-20 00:00');
    await seedState(op, jobDay('2026-11-18'));
    op.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    const logged = op.sim.stats.log.length;

    // Act
    const report = await runLive(op.deps, OP);

    // Assess
    expect(report.verification.stoppedAt?.error.name).toBe('WolkvoxTransportError');
    const calls = op.sim.stats.log.slice(logged);
    expect(calls.some((c) => c.dateIni === '20261119000000' && c.status === 503)).toBe(true);
    expect(calls.filter((c) => c.dateIni?.startsWith('20261118'))).toEqual([]);
    expect(report.backfilled).toBe(0);
    expect(report.backfillRemaining).toBe(72);
  });

  it('leaves the queued backfill untouched when verification stops at the run\'s deadline', async () => {
    // Prepare: two days pending; a day call takes 10 minutes of the run's 5; a backfill of 2026-11-17 queued.
    const log = new CaptureLog();
    op = await openOperation('2026-11-20 01:00', {}, { log });
    const client = op.deps.client;
    const clock = op.clock;
    const slowDays: Cdr4Client = { busyUntil: () => client.busyUntil(), fetchTokenInfo: (t) => client.fetchTokenInfo(t), fetchWindow: (w, t) => client.fetchWindow(w, t), async fetchSpan(span, timeoutMs) {
      const answer = await client.fetchSpan(span, timeoutMs);
      if (span.toWall - span.fromWall === DAY_MS) clock.advance(10 * 60_000);
      return answer;
    } };
    op = { ...op, deps: { ...op.deps, client: slowDays } };
    // Both days collected before either is checked (a day's horizon of 48 h, for these ranges only).
    op.clock.set(instantOfWall('2026-11-20 01:00', OP.timeZone));
    for (const [from, to] of [['2026-11-18 00:00', '2026-11-19 00:00'], ['2026-11-19 00:00', '2026-11-20 00:00']] as const) await runRange(op.deps, { ...OP, verifyAfterMinutes: 48 * 60 }, parseWall(from)!, parseWall(to)!);
    await seedState(op, jobDay('2026-11-17'));
    op.clock.set(instantOfWall('2026-11-20 06:00', OP.timeZone));
    log.lines.length = 0;

    // Act
    const report = await runLive(op.deps, { ...OP, deadline: op.clock.ms + 5 * 60_000 });

    // Assess: the first day was verified, the second met the deadline, and the backfill never started a pass.
    expect(report.verification.verified).toEqual(['2026-11-18']);
    expect(report.verification.pendingDays).toEqual(['2026-11-19', '2026-11-20']);
    expect(log.lines.filter((l) => l.includes('"backfill progress"'))).toEqual([]);
    expect(report.backfillRemaining).toBe(72);
  });
});

describe('Function: Budget', () => {
  const TEN = instantOfWall('2026-11-20 10:00', OP.timeZone);
  const state = (o: { callsToday?: number; checkCallsToday?: number; scheduled?: boolean; allowance?: { limit: number; used: number } } = {}) => ({
    apiCalls: 0,
    callsToday: () => o.callsToday ?? 40,
    checkCallsToday: () => o.checkCallsToday ?? 0,
    nextWindow: o.scheduled === false ? null : at('2026-11-20 09:55'),
    today: () => parseDay('2026-11-20')!,
    allowance: o.allowance ? { readAt: TEN, day: parseDay('2026-11-20')!, limit: o.allowance.limit, usedAtRead: o.allowance.used, oursAtRead: o.callsToday ?? 40 } : null,
  });
  const budget = (o: Partial<ConstructorParameters<typeof Budget>[0]> = {}) => new Budget({ clock: () => TEN, timeZone: OP.timeZone, deadline: Number.POSITIVE_INFINITY, dailyCallCap: 200, reserve: { share: 0.2 }, checkShare: 0.5, state: state(), ...o });

  it('returns interrupted before deadline before budget when all three hold', async () => {
    // Prepare
    const spent = state({ callsToday: 200 });
    const all = budget({ shouldStop: () => true, deadline: TEN, state: spent });
    const twoOf = budget({ deadline: TEN, state: spent });
    const cap = budget({ state: spent });

    // Act / Assess
    expect(await all.mayCall()).toBe('interrupted');
    expect(await twoOf.mayCall()).toBe('deadline');
    expect(await cap.mayCall()).toBe('budget');
    expect(await budget().mayCall()).toBeUndefined();
  });

  it('returns history\'s room less today\'s remaining live windows only when a schedule collects them', () => {
    // Prepare: 10:00 leaves 168 live windows in the day.
    const scheduled = budget();
    const rangesOnly = budget({ state: state({ scheduled: false }) });

    // Act / Assess
    expect(scheduled.room('live').calls).toBe(160);
    expect(scheduled.room('history').calls).toBe(160 - 168);
    expect(rangesOnly.room('history').calls).toBe(160);
    expect(budget({ dailyCallCap: undefined }).room('history').calls).toBe(Number.POSITIVE_INFINITY);
  });

  it('returns the room above the token\'s reserve for history, and checking\'s share of the allowance, whichever binds', () => {
    // Prepare: a 1,000-call token with 600 used, a 20% reserve: 200 left for history; checking's half is 500, 450 after 50 spent.
    const read = budget({ dailyCallCap: undefined, state: state({ allowance: { limit: 1000, used: 600 }, checkCallsToday: 50 }) });
    const checked = budget({ dailyCallCap: undefined, state: state({ allowance: { limit: 1000, used: 200 }, checkCallsToday: 480 }) });

    // Act / Assess
    expect(read.room('live').calls).toBe(Number.POSITIVE_INFINITY);
    // The rest of today's 168 live windows are kept too, cap or no cap (issue 22); with no schedule, nothing is.
    expect(read.room('history')).toEqual({ calls: 200 - 168, by: 'reserve' });
    expect(read.room('check')).toEqual({ calls: 200 - 168, by: 'reserve' });
    expect(budget({ dailyCallCap: undefined, state: state({ allowance: { limit: 1000, used: 600 }, scheduled: false }) }).room('history')).toEqual({ calls: 200, by: 'reserve' });
    expect(checked.room('check')).toEqual({ calls: 20, by: 'check-share' });
  });

  it('returns bound for a piece of work once it made its calls, and nothing for the work around it', async () => {
    // Prepare
    const s = state();
    const b = budget({ state: s });

    // Act
    const inside = await b.within(2, async () => {
      s.apiCalls += 2;
      return b.mayCall();
    });

    // Assess
    expect(inside).toBe('bound');
    expect(await b.mayCall()).toBeUndefined();
  });

  it('returns the stop reason of an error: the token\'s limit, transient, or failed', () => {
    // Act / Assess
    expect(stopOf(new WolkvoxTokenLimitError('TOKEN LIMIT EXCEEDED', {}))).toBe('token-limit');
    expect(stopOf(new WolkvoxTransportError('socket hang up', {}))).toBe('transient-error');
    expect(stopOf(new WolkvoxAuthError('PLEASE VALIDATE TOKEN', {}))).toBe('failed');
  });
});

describe('Function: runLive (a day marked before its first call)', () => {
  it('leaves no pending row and owes no check for a day whose only call failed', async () => {
    // Prepare: the first window of 2026-11-20 is due, and its call keeps answering 503.
    op = await openOperation('2026-11-20 00:10', { faultFor: (r) => (r.dateIni === '20261120000000' ? { kind: 'http503' } : undefined) });
    await seedState(op, (state) => {
      state.nextWindow = at('2026-11-20 00:00');
    });

    // Act
    const report = await runLive(op.deps, OP);

    // Assess
    const checkpoint = JSON.parse((await op.store.get(checkpointKey(OP.prefix, OP.operation)))!) as { verify_days: Record<string, unknown>; days_dirty: string[] };
    expect(report.stopReason).toBe('transient-error');
    expect(verificationRows(op, '2026-11-20')).toEqual([]);
    expect(Object.keys(checkpoint.verify_days)).not.toContain('2026-11-20');
    expect(checkpoint.days_dirty).not.toContain('2026-11-20');
    expect(report.verification.pendingDays).toEqual([]);
  });
});

describe('Function: runRange (counts across a stop)', () => {
  it('tells the resumed range\'s bar exactly the windows the stopped run said were left, when it stopped inside a span', async () => {
    // Prepare: a busy day, stopped by Ctrl-C after 40 calls of the range, deep inside its top-down search.
    op = await openOperation('2026-11-20 10:00', { traffic: { kind: 'busy' } });
    let stop = false;
    const deps = { ...op.deps, shouldStop: () => stop };
    const from = parseWall('2026-11-19 00:00')!;
    const to = parseWall('2026-11-20 00:00')!;
    const calls = op.sim.stats.reportRequests;
    const first = await runRange({ ...deps, shouldStop: () => (stop ||= op!.sim.stats.reportRequests - calls >= 40) }, OP, from, to);
    stop = false;
    let planned: number | undefined;

    // Act
    const second = await runRange(op.deps, { ...OP, onPlanned: (n) => (planned = n) }, from, to);

    // Assess
    expect(first.stopReason).toBe('interrupted');
    expect(first.job?.searching).toBe(true);
    expect(planned).toBe(first.job?.remaining);
    expect(second.collected.count).toBe(first.job?.remaining);
  });
});
