import { describe, expect, it } from 'vitest';
import { type Checkpoint, cursorOf, labelOf, parseCheckpoint, serializeCheckpoint } from '../../../lambda/domain/checkpoint.ts';
import { CheckpointError } from '../../../lambda/domain/errors.ts';
import { windowAt } from '../../../lambda/domain/window.ts';
import { caught } from '../../support/caught.ts';

const EXPECTED = { operation: '0032', timeZone: 'America/Bogota' };
const WHERE = 's3://bucket/wolkvox/_state/cdr_4/operation=0032/checkpoint.json';

const sample: Checkpoint = {
  version: 1,
  operation: '0032',
  timezone: 'America/Bogota',
  next_window: '2026-11-20 08:05:00',
  live_from: '2026-11-20 07:00:00',
  token_limit_until: '2026-11-21T05:00:00.000Z',
  failures: { '2026-11-20 07:00:00': 2 },
  quarantined: ['2026-11-19 10:15:00'],
  restate_next: '2026-11-20 07:00:00',
  backfills: [{ from: '2026-11-01 00:00:00', to: '2026-11-02 00:00:00', next: '2026-11-01 06:00:00', requested_at: '2026-11-20T13:00:00.000Z', refetch: false }],
  budget: { day: '2026-11-20', calls: 120 },
  check_budget: { day: '2026-11-20', calls: 40 },
  allowance: { read_at: '2026-11-20T13:00:00.000Z', day: '2026-11-20', limit: 1000, used: 600, ours_at_read: 100 },
  vendor_mode: 'non-additive',
  vendor_mode_since: '2026-11-20T09:00:00.000Z',
  unreconcilable_days: ['2026-11-18', '2026-11-19'],
  unverified_days: ['2026-11-17'],
  last_call_seen: '2026-11-20 08:00:00',
  watched_from: '2026-10-20 07:00:00',
  looked_until: '2026-11-20 08:05:00',
  looked_back: true,
  days_dirty: ['2026-11-20'],
  verify_days: { '2026-11-19': { since: '2026-11-19T13:00:00.000Z', checks: 1, calls: 14, next_check: null, whole: true } },
  searches: {},
  quiet_since: null,
  late_share: null,
  updated_at: '2026-11-20T13:12:30.000Z',
};

describe('Function: parseCheckpoint', () => {
  it('round-trips a checkpoint written by serializeCheckpoint', () => {
    // Prepare
    const text = serializeCheckpoint(sample);

    // Act
    const cp = parseCheckpoint(text, WHERE, EXPECTED);

    // Assess
    expect(cp).toEqual(sample);
  });

  it('fills defaults for the optional fields', () => {
    // Prepare
    const text = JSON.stringify({ version: 1, operation: '0032', timezone: 'America/Bogota', next_window: '2026-11-20 08:05:00', updated_at: '2026-11-20T13:12:30Z' });

    // Act
    const cp = parseCheckpoint(text, WHERE, EXPECTED);

    // Assess
    expect(cp.token_limit_until).toBeNull();
    expect(cp.failures).toEqual({});
    expect(cp.quarantined).toEqual([]);
    expect(cp.restate_next).toBeNull();
    expect(cp.backfills).toEqual([]);
    expect(cp.budget).toBeNull();
  });

  it('throws a CheckpointError saying "not JSON" for text that is not JSON', () => {
    // Act
    const error = caught(() => parseCheckpoint('{"version":1,', WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain('is not JSON');
    expect((error as CheckpointError).message).toContain(WHERE);
    expect((error as CheckpointError).retryable).toBe(false);
    expect((error as CheckpointError).context).toEqual({ where: WHERE });
  });

  it.each([
    { label: 'version 2', patch: { version: 2 }, names: 'version' },
    { label: 'version "1"', patch: { version: '1' }, names: 'version' },
    { label: 'an unaligned next_window', patch: { next_window: '2026-11-20 08:03:00' }, names: 'next_window' },
    { label: 'a next_window with seconds', patch: { next_window: '2026-11-20 08:05:30' }, names: 'next_window' },
    { label: 'an impossible next_window', patch: { next_window: '2026-02-30 08:05:00' }, names: 'next_window' },
    { label: 'a next_window that is not a date', patch: { next_window: 'soon' }, names: 'next_window' },
    { label: 'an unaligned quarantined label', patch: { quarantined: ['2026-11-20 08:01:00'] }, names: 'quarantined' },
    { label: 'a zero failure count', patch: { failures: { '2026-11-20 07:00:00': 0 } }, names: 'failures' },
    { label: 'a bad updated_at', patch: { updated_at: 'yesterday' }, names: 'updated_at' },
    { label: 'a missing operation', patch: { operation: undefined }, names: 'operation' },
  ])('throws a CheckpointError naming the field for $label', ({ patch, names }) => {
    // Prepare
    const text = JSON.stringify({ ...sample, ...patch });

    // Act
    const error = caught(() => parseCheckpoint(text, WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain('is not valid');
    expect((error as CheckpointError).message).toContain(`${names}`);
  });

  it('throws a CheckpointError naming "(root)" when the JSON is not an object', () => {
    // Act
    const error = caught(() => parseCheckpoint('[]', WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain('(root)');
  });

  it('throws a CheckpointError naming both operations when the checkpoint belongs to another one', () => {
    // Prepare
    const text = serializeCheckpoint({ ...sample, operation: '0099' });

    // Act
    const error = caught(() => parseCheckpoint(text, WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain('belongs to operation 0099, not 0032');
  });

  it('throws a CheckpointError naming both zones when the checkpoint was written for another time zone', () => {
    // Prepare
    const text = serializeCheckpoint({ ...sample, timezone: 'Europe/Madrid' });

    // Act
    const error = caught(() => parseCheckpoint(text, WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain('labelled in Europe/Madrid');
    expect((error as CheckpointError).message).toContain('WOLKVOX_TIMEZONE is America/Bogota');
  });
});

describe('Function: parseCheckpoint (interval keys named like members of every object)', () => {
  it('keeps __proto__ and constructor in the totals of a search and of a check when it reads them back', () => {
    // Prepare
    const totals = JSON.parse('{"__proto__":2,"constructor":3,"0_5_seg":1}') as Record<string, number>;
    const text = serializeCheckpoint({
      ...sample,
      searches: { backfill: [{ from: '2026-11-01 00:00:00', to: '2026-11-02 00:00:00', vendor: totals, parent: totals }] },
      verify_days: { '2026-11-19': { since: '2026-11-19T13:00:00.000Z', checks: 1, calls: 3, next_check: null, check: { vendor: totals, stored: totals, fetch_id: 'f-1', calls: 1 } } },
    });

    // Act
    const read = parseCheckpoint(text, WHERE, EXPECTED);

    // Assess
    const node = read.searches.backfill?.[0];
    const check = read.verify_days['2026-11-19']?.check;
    for (const t of [node?.vendor, node?.parent, check?.vendor, check?.stored]) expect(Object.entries(t ?? {})).toEqual([['__proto__', 2], ['constructor', 3], ['0_5_seg', 1]]);
  });

  it('throws a CheckpointError when calls per interval are not whole numbers', () => {
    // Prepare
    const text = serializeCheckpoint({ ...sample, searches: { backfill: [{ from: '2026-11-01 00:00:00', to: '2026-11-02 00:00:00', vendor: { '0_5_seg': 1.5 } }] } });

    // Act
    const error = caught(() => parseCheckpoint(text, WHERE, EXPECTED));

    // Assess
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain('must be calls per interval');
  });
});

describe('Function: serializeCheckpoint', () => {
  it('returns pretty JSON ending with a newline', () => {
    // Act
    const text = serializeCheckpoint(sample);

    // Assess
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "next_window": "2026-11-20 08:05:00"');
    expect(JSON.parse(text)).toEqual(sample);
  });
});

describe('Function: cursorOf / labelOf', () => {
  it('returns the window of next_window in the checkpoint zone', () => {
    // Act
    const w = cursorOf(sample);

    // Assess
    expect(w).toEqual({ startWall: Date.UTC(2026, 10, 20, 8, 5), timeZone: 'America/Bogota' });
  });

  it('returns the wall label of a window, which cursorOf reads back', () => {
    // Prepare
    const w = windowAt(Date.UTC(2026, 10, 25, 2, 30), 'America/Bogota');

    // Act
    const label = labelOf(w);

    // Assess
    expect(label).toBe('2026-11-25 02:30:00');
    expect(cursorOf({ ...sample, next_window: label })).toEqual(w);
  });
});
