import { describe, expect, it } from 'vitest';
import type { ParsedReport } from '../../../lambda/domain/cdr4-report.ts';
import { DATA_COLUMNS, FETCH_COLUMNS, PARTITION_COLUMNS } from '../../../lambda/domain/columns.ts';
import { WolkvoxTokenLimitError } from '../../../lambda/domain/errors.ts';
import { buildDataRows, buildFetchRecord, type FetchMeta, MAX_STORED_BODY, toNdjson } from '../../../lambda/domain/rows.ts';
import { windowAt } from '../../../lambda/domain/window.ts';

const w = windowAt(Date.UTC(2026, 10, 20, 8, 0), 'America/Bogota');

const report: ParsedReport = {
  kind: 'collected',
  intervals: [
    { key: '0_5_seg', minSeconds: 0, maxSeconds: 5, calls: 12, minutes: 0.5, cost: 1.25, percentage: 60 },
    { key: 'greater_than_121', minSeconds: 122, maxSeconds: null, calls: null, minutes: null, cost: null, percentage: null },
  ],
  vendorCode: '200',
  vendorMsg: '2 records were found',
  warnings: [],
};

const meta: FetchMeta = {
  fetchId: 'fetch-1',
  requestedAt: Date.parse('2026-11-20T13:10:00.000Z'),
  latencyMs: 123.6,
  httpStatus: 200,
  body: '{"code":200}',
  revision: 1,
  collectedAt: Date.parse('2026-11-20T13:10:01.000Z'),
};

describe('Function: buildDataRows', () => {
  it('returns one row per interval whose keys are exactly DATA_COLUMNS, in order', () => {
    // Act
    const rows = buildDataRows(w, report, meta);

    // Assess
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Object.keys(row)).toEqual(DATA_COLUMNS.map((c) => c.name));
  });

  it('never writes a partition column into a row', () => {
    // Act
    const rows = buildDataRows(w, report, meta);

    // Assess
    const keys = Object.keys(rows[0]!);
    for (const name of ['operation', 'dt', 'hour', ...PARTITION_COLUMNS.map((c) => c.name)]) expect(keys).not.toContain(name);
  });

  it('fills the window, interval figures and fetch fields', () => {
    // Act
    const rows = buildDataRows(w, report, meta);

    // Assess
    expect(rows[0]).toEqual({
      window_start: '2026-11-20 08:00:00',
      window_end: '2026-11-20 08:05:00',
      window_start_utc: '2026-11-20T13:00:00.000Z',
      window_end_utc: '2026-11-20T13:05:00.000Z',
      timezone: 'America/Bogota',
      interval: '0_5_seg',
      interval_min_seconds: 0,
      interval_max_seconds: 5,
      calls: 12,
      minutes: 0.5,
      cost: 1.25,
      percentage: 60,
      revision: 1,
      fetch_id: 'fetch-1',
      collected_at: '2026-11-20T13:10:01.000Z',
    });
    expect(rows[1]).toMatchObject({ interval: 'greater_than_121', interval_min_seconds: 122, interval_max_seconds: null, calls: null, minutes: null, cost: null, percentage: null });
  });

  it('returns no row for an empty report', () => {
    // Prepare
    const empty: ParsedReport = { kind: 'empty', intervals: [], vendorCode: null, vendorMsg: null, warnings: [] };

    // Act
    const rows = buildDataRows(w, empty, meta);

    // Assess
    expect(rows).toEqual([]);
  });
});

describe('Function: toNdjson', () => {
  it('returns an empty string for no rows', () => {
    // Act & Assess
    expect(toNdjson([])).toBe('');
  });

  it('returns one JSON line per row, each ending with a newline', () => {
    // Prepare
    const rows = buildDataRows(w, report, meta);

    // Act
    const text = toNdjson(rows);

    // Assess
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(rows[0]);
    expect(JSON.parse(lines[1]!)).toEqual(rows[1]);
  });

  it('keeps nulls and key order in a line', () => {
    // Act
    const text = toNdjson([{ a: 1, b: null }]);

    // Assess
    expect(text).toBe('{"a":1,"b":null}\n');
  });
});

describe('Function: buildFetchRecord', () => {
  it('returns a success record whose keys are exactly FETCH_COLUMNS, in order', () => {
    // Act
    const record = buildFetchRecord(w, meta, { report, rowCount: 2 });

    // Assess
    expect(Object.keys(record)).toEqual(FETCH_COLUMNS.map((c) => c.name));
    expect(record).toEqual({
      fetch_id: 'fetch-1',
      window_start: '2026-11-20 08:00:00',
      window_end: '2026-11-20 08:05:00',
      window_start_utc: '2026-11-20T13:00:00.000Z',
      timezone: 'America/Bogota',
      date_ini: '20261120080000',
      date_end: '20261120080459',
      requested_at: '2026-11-20T13:10:00.000Z',
      latency_ms: 124,
      http_status: 200,
      vendor_code: '200',
      vendor_msg: '2 records were found',
      outcome: 'collected',
      error_class: null,
      error_message: null,
      retryable: null,
      row_count: 2,
      revision: 1,
      warnings: null,
      response_body: '{"code":200}',
    });
  });

  it('returns outcome empty and joins warnings with "; "', () => {
    // Prepare
    const empty: ParsedReport = { kind: 'empty', intervals: [], vendorCode: null, vendorMsg: 'Validate dates entered', warnings: ['a', 'b'] };

    // Act
    const record = buildFetchRecord(w, { ...meta, httpStatus: 404 }, { report: empty, rowCount: 0 });

    // Assess
    expect(record.outcome).toBe('empty');
    expect(record.warnings).toBe('a; b');
    expect(record.http_status).toBe(404);
    expect(record.vendor_msg).toBe('Validate dates entered');
    expect(record.row_count).toBe(0);
  });

  it('returns a failure record whose keys are exactly FETCH_COLUMNS, in order', () => {
    // Prepare
    const error = new WolkvoxTokenLimitError('Wolkvox token daily limit reached: HTTP 403 TOKEN LIMIT EXCEEDED', { httpStatus: 403, vendorMessage: 'TOKEN LIMIT EXCEEDED' });

    // Act
    const record = buildFetchRecord(w, { ...meta, httpStatus: 403 }, { error });

    // Assess
    expect(Object.keys(record)).toEqual(FETCH_COLUMNS.map((c) => c.name));
    expect(record).toMatchObject({
      outcome: 'failed',
      vendor_code: null,
      vendor_msg: 'TOKEN LIMIT EXCEEDED',
      error_class: 'WolkvoxTokenLimitError',
      error_message: 'Wolkvox token daily limit reached: HTTP 403 TOKEN LIMIT EXCEEDED',
      retryable: false,
      row_count: 0,
      revision: 0,
      warnings: null,
      http_status: 403,
      response_body: '{"code":200}',
    });
  });

  it.each([
    { label: 'a plain Error', error: new TypeError('fetch failed'), cls: 'TypeError', message: 'fetch failed' },
    { label: 'a thrown string', error: 'boom', cls: 'UnknownError', message: 'boom' },
  ])('records $label as a retryable failure', ({ error, cls, message }) => {
    // Act
    const record = buildFetchRecord(w, { ...meta, httpStatus: null, body: null }, { error });

    // Assess
    expect(record).toMatchObject({ outcome: 'failed', error_class: cls, error_message: message, retryable: true, vendor_msg: null, http_status: null, response_body: null });
  });

  it('keeps a body of exactly MAX_STORED_BODY characters whole', () => {
    // Prepare
    const body = 'x'.repeat(MAX_STORED_BODY);

    // Act
    const record = buildFetchRecord(w, { ...meta, body }, { report, rowCount: 2 });

    // Assess
    expect(record.response_body).toBe(body);
  });

  it('truncates a longer body to its first MAX_STORED_BODY characters', () => {
    // Prepare
    const body = 'a'.repeat(MAX_STORED_BODY) + 'TAIL';

    // Act
    const record = buildFetchRecord(w, { ...meta, body }, { error: new Error('x') });

    // Assess
    expect(MAX_STORED_BODY).toBe(256 * 1024);
    expect(record.response_body).toHaveLength(MAX_STORED_BODY);
    expect(record.response_body).not.toContain('TAIL');
  });
});
