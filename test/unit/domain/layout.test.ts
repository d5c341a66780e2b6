import { describe, expect, it } from 'vitest';
import {
  checkpointKey,
  DATA_TABLE,
  DEFAULT_PREFIX,
  dataKey,
  FETCH_TABLE,
  fetchLogKey,
  PREFIX_PATTERN,
  partitionPath,
  SERVER_PATTERN,
  STATE_DIR,
  tableRoot,
} from '../../../lambda/domain/layout.ts';
import { windowAt } from '../../../lambda/domain/window.ts';

const w = windowAt(Date.UTC(2026, 10, 20, 8, 0), 'America/Bogota');

describe('Constants: table names', () => {
  it('names the tables, state folder and default prefix as the output contract says', () => {
    // Assess
    expect(DATA_TABLE).toBe('cdr_4');
    expect(FETCH_TABLE).toBe('cdr_4_fetches');
    expect(STATE_DIR).toBe('_state');
    expect(DEFAULT_PREFIX).toBe('wolkvox');
  });
});

describe('Function: dataKey', () => {
  it('returns the exact key of a window', () => {
    // Act
    const key = dataKey('wolkvox', '0032', w);

    // Assess
    expect(key).toBe('wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json');
  });

  it.each([
    { prefix: '', expected: 'cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json' },
    { prefix: '/', expected: 'cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json' },
    { prefix: 'a/b/', expected: 'a/b/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json' },
    { prefix: '/a/b', expected: 'a/b/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json' },
    { prefix: '//a/b//', expected: 'a/b/cdr_4/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459.json' },
  ])('trims slashes of prefix "$prefix"', ({ prefix, expected }) => {
    // Act
    const key = dataKey(prefix, '0032', w);

    // Assess
    expect(key).toBe(expected);
  });

  it('uses the wall-clock date and hour of the window start for a late-evening window', () => {
    // Prepare: 23:55 Bogota is 04:55Z the next day
    const late = windowAt(Date.UTC(2026, 10, 20, 23, 55), 'America/Bogota');

    // Act
    const key = dataKey('wolkvox', '0032', late);

    // Assess
    expect(key).toBe('wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=23/20261120235500-20261120235959.json');
  });
});

describe('Function: fetchLogKey', () => {
  it('returns the exact key of one API call', () => {
    // Act
    const key = fetchLogKey('wolkvox', '0032', w, 'f-01');

    // Assess
    expect(key).toBe('wolkvox/cdr_4_fetches/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459-f-01.json');
  });

  it('returns a different key for each fetch id of the same window', () => {
    // Act
    const a = fetchLogKey('wolkvox', '0032', w, 'a');
    const b = fetchLogKey('wolkvox', '0032', w, 'b');

    // Assess
    expect(a).not.toBe(b);
  });

  it('trims the prefix "a/b/"', () => {
    // Act
    const key = fetchLogKey('a/b/', '0032', w, 'x');

    // Assess
    expect(key).toBe('a/b/cdr_4_fetches/operation=0032/dt=2026-11-20/hour=08/20261120080000-20261120080459-x.json');
  });
});

describe('Function: checkpointKey', () => {
  it.each([
    { prefix: 'wolkvox', expected: 'wolkvox/_state/cdr_4/operation=0032/checkpoint.json' },
    { prefix: '', expected: '_state/cdr_4/operation=0032/checkpoint.json' },
    { prefix: 'a/b/', expected: 'a/b/_state/cdr_4/operation=0032/checkpoint.json' },
  ])('returns $expected for prefix "$prefix"', ({ prefix, expected }) => {
    // Act & Assess
    expect(checkpointKey(prefix, '0032')).toBe(expected);
  });
});

describe('Function: tableRoot', () => {
  it.each([
    { prefix: 'wolkvox', table: DATA_TABLE, expected: 'wolkvox/cdr_4/' },
    { prefix: 'wolkvox', table: FETCH_TABLE, expected: 'wolkvox/cdr_4_fetches/' },
    { prefix: '', table: DATA_TABLE, expected: 'cdr_4/' },
    { prefix: 'a/b/', table: DATA_TABLE, expected: 'a/b/cdr_4/' },
  ])('returns $expected', ({ prefix, table, expected }) => {
    // Act & Assess
    expect(tableRoot(prefix, table)).toBe(expected);
  });
});

describe('Function: partitionPath', () => {
  it('returns the Hive-style partition folder without a trailing slash', () => {
    // Act & Assess
    expect(partitionPath('wolkvox', DATA_TABLE, '0032', w)).toBe('wolkvox/cdr_4/operation=0032/dt=2026-11-20/hour=08');
  });
});

describe('Layout: table separation', () => {
  it.each(['wolkvox', '', 'a/b/'])('keeps data, fetch and checkpoint keys under disjoint roots for prefix "%s"', (prefix) => {
    // Prepare
    const dataRoot = tableRoot(prefix, DATA_TABLE);
    const fetchRoot = tableRoot(prefix, FETCH_TABLE);

    // Act
    const data = dataKey(prefix, '0032', w);
    const fetch = fetchLogKey(prefix, '0032', w, 'f');
    const cp = checkpointKey(prefix, '0032');

    // Assess
    expect(data.startsWith(dataRoot)).toBe(true);
    expect(data.startsWith(fetchRoot)).toBe(false);
    expect(fetch.startsWith(fetchRoot)).toBe(true);
    expect(fetch.startsWith(dataRoot)).toBe(false);
    expect(cp.startsWith(dataRoot)).toBe(false);
    expect(cp.startsWith(fetchRoot)).toBe(false);
  });
});

describe('Constant: SERVER_PATTERN', () => {
  it.each(['0032', 'wv0032', 'abc-1', 'A', 'x'.repeat(32)])('accepts "%s"', (server) => {
    // Act & Assess
    expect(SERVER_PATTERN.test(server)).toBe(true);
  });

  it.each(['', 'wv.evil.com/', '0032.evil.com', 'a b', 'a_b', '0032/', '../x', 'x'.repeat(33), 'ñ', '0032\n', 'a@b'])('rejects "%s"', (server) => {
    // Act & Assess
    expect(SERVER_PATTERN.test(server)).toBe(false);
  });
});

describe('Constant: PREFIX_PATTERN', () => {
  it.each(['', 'wolkvox', 'a/b', 'raw-data/wolkvox_v2', "x!_.'()-"])('accepts "%s"', (prefix) => {
    // Act & Assess
    expect(PREFIX_PATTERN.test(prefix)).toBe(true);
  });

  it.each(['/a', 'a/', 'a//b', 'dt=2026-11-20', 'a/operation=0032', 'a b', 'a\\b', 'a?b', 'a#b', 'é', 'data*', 'a/*/b', '${aws:username}'])('rejects "%s"', (prefix) => {
    // Act & Assess
    expect(PREFIX_PATTERN.test(prefix)).toBe(false);
  });

  // BUG: the doc comment says "no `..`", but `.` is in the segment character class, so a
  // `..` segment passes: the local sink would then collapse `a/../b` to `b`.
  it.each(['..', 'a/../b', 'wolkvox/..'])('rejects the parent segment in "%s"', (prefix) => {
    // Act & Assess
    expect(PREFIX_PATTERN.test(prefix)).toBe(false);
  });
});
