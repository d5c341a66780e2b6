import { describe, expect, it } from 'vitest';
import { BackfillRefusedError, ConfigError } from '../../lambda/domain/errors.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { type BackfillBounds, type BackfillRequest, MAX_BACKFILL_DAYS, MAX_QUEUED_BACKFILLS, parseCollectorEvent, type QueuedBackfill, refuseQueueOverflow } from '../../lambda/runtime/lambda-event.ts';
import { instantOfWall } from '../support/clock.ts';
import { thrownBy } from '../support/thrown.ts';

const TZ = 'America/Bogota';
/** 2026-11-20 10:02 on the operation's clock (15:02 UTC), first day 2026-10-01. */
const BOUNDS: BackfillBounds = { now: instantOfWall('2026-11-20 10:02', TZ), timeZone: TZ, firstDay: '2026-10-01' };


describe('Function: parseCollectorEvent', () => {
  it.each([
    [{ backfill: { from: '2026-11-19 00:03', to: '2026-11-19 01:00' } }, 'backfill.from: "2026-11-19 00:03" is not on a 5-minute boundary'],
    [{ backfill: { from: 'yesterday', to: '2026-11-19 01:00' } }, 'backfill.from: "yesterday" is not a date-time'],
    [{ backfill: { from: '2026-11-19 02:00', to: '2026-11-19 01:00' } }, 'backfill.to: "to" must be after "from"'],
    [{ backfill: { from: '2026-11-19 00:00' } }, 'backfill.to'],
    [{ backfill: { from: '2026-11-19 00:00', to: '2026-11-19 01:00', extra: 1 } }, 'extra'],
    [{ detail: 'x' }, 'unsupported event (keys: detail)'],
  ])('throws a ConfigError naming the problem when the event is %j', (event, message) => {
    // Act
    const error = thrownBy(() => parseCollectorEvent(event, BOUNDS));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain(message);
  });

  it('returns the wall-clock range when a backfill within bounds is requested', () => {
    // Act
    const request = parseCollectorEvent({ backfill: { from: '2026-11-01 00:00', to: '2026-11-20 10:00' } }, BOUNDS);

    // Assess
    expect(request).toEqual({ kind: 'backfill', fromWall: parseWall('2026-11-01 00:00'), toWall: parseWall('2026-11-20 10:00'), refetch: false });
  });

  it('accepts a backfill on its bounds when it starts at the first day, ends at now and spans the longest range', () => {
    // Prepare: now is exactly on a boundary, MAX_BACKFILL_DAYS after the first day's midnight.
    const now = instantOfWall('2026-10-01 00:00', TZ) + MAX_BACKFILL_DAYS * 86_400_000;
    const to = '2027-01-01 00:00';

    // Act
    const request = parseCollectorEvent({ backfill: { from: '2026-10-01 00:00', to } }, { ...BOUNDS, now });

    // Assess
    expect(MAX_BACKFILL_DAYS).toBe(92);
    expect(request).toMatchObject({ kind: 'backfill', fromWall: parseWall('2026-10-01 00:00'), toWall: parseWall(to) });
  });

  it('returns refetch when a backfill asks to collect stored windows again', () => {
    // Act
    const request = parseCollectorEvent({ backfill: { from: '2026-11-01 00:00', to: '2026-11-02 00:00', refetch: true } }, BOUNDS);

    // Assess
    expect(request).toMatchObject({ kind: 'backfill', refetch: true });
  });

  it('returns the operator\'s asks when the event sets the vendor model, rechecks days, or both', () => {
    // Act
    const mode = parseCollectorEvent({ vendorModel: 'additive' }, BOUNDS);
    const both = parseCollectorEvent({ vendorModel: 'additive', recheck: '2026-11-18..2026-11-19' }, BOUNDS);

    // Assess
    expect(mode).toEqual({ kind: 'asks', asks: { vendorMode: 'additive' } });
    expect(both).toEqual({ kind: 'asks', asks: { vendorMode: 'additive', recheck: [parseWall('2026-11-18 00:00'), parseWall('2026-11-19 00:00')] } });
  });

  it.each([
    [{ vendorModel: 'fixed' }, 'vendorModel: "fixed" is not a vendor model: use "additive" or "non-additive"'],
    [{ recheck: '2026-11-20' }, 'recheck: "2026-11-20" cannot be checked again: 2026-11-20 has not ended yet'],
    [{ recheck: '2026-09-30' }, "before the operation's first day 2026-10-01"],
    [{ recheck: 20261118 }, 'recheck: '],
    [{ vendorModel: 'additive', backfill: {} }, 'unknown key(s) vendorModel'],
    [{ vendorModel: 'additive', extra: 1 }, 'unknown key(s) extra'],
  ])('throws a ConfigError naming the problem when the asks are %j', (event, message) => {
    // Act
    const error = thrownBy(() => parseCollectorEvent(event, BOUNDS));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain(message);
  });

  it('returns a scheduled request whatever the bounds when the event is the schedule or {}', () => {
    // Act
    const requests = [{ source: 'aws.events', 'detail-type': 'Scheduled Event' }, {}, null].map((e) => parseCollectorEvent(e, { ...BOUNDS, firstDay: '2027-01-01' }));

    // Assess
    expect(requests).toEqual([{ kind: 'scheduled' }, { kind: 'scheduled' }, { kind: 'scheduled' }]);
  });

  it.each([
    ['it starts before the first day', { from: '2026-09-30 23:55', to: '2026-10-01 01:00' }, '"from" 2026-09-30 23:55 is before the operation\'s first day 2026-10-01 (wolkvox:firstDay)'],
    ['it ends after now', { from: '2026-11-20 09:00', to: '2026-11-20 10:05' }, '"to" 2026-11-20 10:05 is after now (2026-11-20 10:02 on the America/Bogota clock)'],
    // 12:00 has passed in UTC (15:02) but not on the operation's clock.
    ['it ends after now on the operation clock though not in UTC', { from: '2026-11-20 09:00', to: '2026-11-20 12:00' }, '"to" 2026-11-20 12:00 is after now (2026-11-20 10:02'],
    ['it spans more than the longest range', { from: '2026-10-01 00:00', to: '2027-01-01 00:05' }, `spans 93 days, more than the longest of ${MAX_BACKFILL_DAYS}: send it in parts of at most ${MAX_BACKFILL_DAYS} days (at most ${MAX_QUEUED_BACKFILLS} queued at once)`],
  ])('refuses a backfill with a BackfillRefusedError naming the bound when %s', (_case, backfill, message) => {
    // Prepare: now far enough ahead for the long range to end before it, except where "now" is the point.
    const bounds = backfill.to.startsWith('2027') ? { ...BOUNDS, now: instantOfWall('2027-02-01 00:00', TZ) } : BOUNDS;

    // Act
    const error = thrownBy(() => parseCollectorEvent({ backfill }, bounds));

    // Assess
    expect(error).toBeInstanceOf(BackfillRefusedError);
    expect(error?.message).toContain(`backfill ${backfill.from} to ${backfill.to} refused: `);
    expect(error?.message).toContain(message);
    expect(error?.message).toContain('Nothing was queued');
    expect((error as BackfillRefusedError).retryable).toBe(false);
  });

  it('refuses naming every bound a backfill breaks when it breaks all three', () => {
    // Act
    const error = thrownBy(() => parseCollectorEvent({ backfill: { from: '2026-01-01 00:00', to: '2026-12-01 00:00' } }, BOUNDS));

    // Assess
    expect(error).toBeInstanceOf(BackfillRefusedError);
    expect(error?.message).toContain('before the operation\'s first day');
    expect(error?.message).toContain('is after now');
    expect(error?.message).toContain('spans 334 days');
  });

  it('refuses every backfill with a ConfigError when the first day it is given is not a date', () => {
    // Act
    const error = thrownBy(() => parseCollectorEvent({ backfill: { from: '2026-11-01 00:00', to: '2026-11-02 00:00' } }, { ...BOUNDS, firstDay: '' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('is not a date YYYY-MM-DD');
  });
});

describe('Function: refuseQueueOverflow', () => {
  const request = (from: string, to: string, refetch = false): BackfillRequest => ({ kind: 'backfill', fromWall: parseWall(from)!, toWall: parseWall(to)!, refetch });
  const queue = (n: number): QueuedBackfill[] => Array.from({ length: n }, (_, i) => request(`2026-10-0${i + 1} 00:00`, `2026-10-0${i + 2} 00:00`));

  it('refuses a new backfill with a BackfillRefusedError naming the queue when the most jobs are queued already', () => {
    // Act
    const error = thrownBy(() => refuseQueueOverflow(request('2026-11-01 00:00', '2026-11-02 00:00'), queue(MAX_QUEUED_BACKFILLS)));

    // Assess
    expect(MAX_QUEUED_BACKFILLS).toBe(5);
    expect(error).toBeInstanceOf(BackfillRefusedError);
    expect(error?.message).toContain('backfill 2026-11-01 00:00 to 2026-11-02 00:00 refused: 5 backfills are queued already, the most at once is 5 (2026-10-01 00:00 to 2026-10-02 00:00, ');
    expect(error?.message).toContain('Nothing was queued');
  });

  it('accepts a new backfill when fewer than the most are queued', () => {
    // Act
    const act = () => refuseQueueOverflow(request('2026-11-01 00:00', '2026-11-02 00:00'), queue(MAX_QUEUED_BACKFILLS - 1));

    // Assess
    expect(act).not.toThrow();
  });

  it('accepts a backfill already queued when the queue is full (an invoke sent twice is one job)', () => {
    // Act
    const act = () => refuseQueueOverflow(request('2026-10-03 00:00', '2026-10-04 00:00'), queue(MAX_QUEUED_BACKFILLS));

    // Assess
    expect(act).not.toThrow();
  });

  it('refuses the range of a queued job asked with refetch when the queue is full (another job)', () => {
    // Act
    const act = () => refuseQueueOverflow(request('2026-10-03 00:00', '2026-10-04 00:00', true), queue(MAX_QUEUED_BACKFILLS));

    // Assess
    expect(act).toThrow(BackfillRefusedError);
  });
});
