import { describe, expect, it } from 'vitest';
import { parseCdr4Response } from '../../../lambda/domain/cdr4-report.ts';
import {
  WolkvoxAuthError,
  WolkvoxBadJsonError,
  WolkvoxConcurrencyError,
  WolkvoxRequestError,
  WolkvoxResponseError,
  WolkvoxTokenLimitError,
  WolkvoxTransportError,
  WolkvoxUnavailableError,
} from '../../../lambda/domain/errors.ts';
import { caught } from '../../support/caught.ts';

const FIVE_KEYS = ['0_5_seg', '6_20_seg', '21_60_seg', '61_120_seg', 'greater_than_121'] as const;

describe('Function: parseCdr4Response', () => {
  describe('collected answers', () => {
    it('returns the vendor sample as one collected interval with null figures', () => {
      // Prepare
      const body = JSON.stringify({
        code: 200,
        error: null,
        msg: '1 records were found',
        data: { '0_5_seg': { calls: '', minutes: '', cost: '', percentage: '' } },
      });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report).toEqual({
        kind: 'collected',
        intervals: [{ key: '0_5_seg', minSeconds: 0, maxSeconds: 5, calls: null, minutes: null, cost: null, percentage: null }],
        vendorCode: '200',
        vendorMsg: '1 records were found',
        warnings: [],
      });
    });

    it('returns the five Postman keys with " " values as nulls, in order, without warnings', () => {
      // Prepare
      const data = Object.fromEntries(FIVE_KEYS.map((k) => [k, { calls: ' ', minutes: ' ', cost: ' ', percentage: ' ' }]));
      const body = JSON.stringify({ code: 200, error: null, msg: '5 records were found', data });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.warnings).toEqual([]);
      expect(report.intervals.map((i) => i.key)).toEqual([...FIVE_KEYS]);
      expect(report.intervals.map((i) => [i.minSeconds, i.maxSeconds])).toEqual([
        [0, 5],
        [6, 20],
        [21, 60],
        [61, 120],
        [122, null],
      ]);
      expect(report.intervals.every((i) => i.calls === null && i.minutes === null && i.cost === null && i.percentage === null)).toBe(true);
    });

    it('parses the figures of each interval', () => {
      // Prepare
      const body = JSON.stringify({
        code: 200,
        msg: '2 records were found',
        data: {
          '0_5_seg': { calls: '12', minutes: '0,75', cost: '1.234,5', percentage: '45%' },
          '6_20_seg': { calls: '3', minutes: '1.50', cost: '0', percentage: '55' },
        },
      });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.intervals).toEqual([
        { key: '0_5_seg', minSeconds: 0, maxSeconds: 5, calls: 12, minutes: 0.75, cost: 1234.5, percentage: 45 },
        { key: '6_20_seg', minSeconds: 6, maxSeconds: 20, calls: 3, minutes: 1.5, cost: 0, percentage: 55 },
      ]);
    });

    it('keeps an unknown extra key with null bounds and a warning', () => {
      // Prepare
      const body = JSON.stringify({
        code: 200,
        data: { '0_5_seg': { calls: '1' }, weird_bucket: { calls: '7', minutes: '', cost: '', percentage: '' } },
      });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.intervals).toHaveLength(2);
      expect(report.intervals[1]).toEqual({ key: 'weird_bucket', minSeconds: null, maxSeconds: null, calls: 7, minutes: null, cost: null, percentage: null });
      expect(report.warnings).toEqual(['weird_bucket: unknown interval key, bounds left null']);
    });

    it('warns about a figure that is not a number and leaves it null', () => {
      // Prepare
      const body = JSON.stringify({ code: 200, data: { '0_5_seg': { calls: 'abc', minutes: '1' } } });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.intervals[0]?.calls).toBeNull();
      expect(report.intervals[0]?.minutes).toBe(1);
      expect(report.warnings).toEqual(['0_5_seg.calls: not a number: "abc"']);
    });

    it('warns and keeps the key when an interval value is not an object', () => {
      // Prepare
      const body = JSON.stringify({ code: 200, data: { '0_5_seg': 'n/a' } });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.intervals).toEqual([{ key: '0_5_seg', minSeconds: 0, maxSeconds: 5, calls: null, minutes: null, cost: null, percentage: null }]);
      expect(report.warnings).toEqual(['0_5_seg: value is not an object of figures']);
    });

    it.each([
      { code: '200', expected: '200' },
      { code: 200, expected: '200' },
      // Vendor text is cleaned where it enters: one line, trimmed (vendor-text.ts).
      { code: ' 200 ', expected: '200' },
    ])('accepts the body code $code and reports it as a string', ({ code, expected }) => {
      // Prepare
      const body = JSON.stringify({ code, data: { '0_5_seg': { calls: '1' } } });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.vendorCode).toBe(expected);
    });

    it('accepts a body without code', () => {
      // Act
      const report = parseCdr4Response(200, JSON.stringify({ data: { '0_5_seg': { calls: '2' } } }));

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.vendorCode).toBeNull();
      expect(report.intervals[0]?.calls).toBe(2);
    });

    it('reads data given as an array of {interval, calls, ...} objects', () => {
      // Prepare
      const body = JSON.stringify({
        code: 200,
        data: [
          { interval: '0_5_seg', calls: '1', minutes: '0,05', cost: '', percentage: '50' },
          { interval: 'greater_than_121', calls: '1', minutes: '3', cost: '', percentage: '50' },
        ],
      });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.warnings).toEqual([]);
      expect(report.intervals).toEqual([
        { key: '0_5_seg', minSeconds: 0, maxSeconds: 5, calls: 1, minutes: 0.05, cost: null, percentage: 50 },
        { key: 'greater_than_121', minSeconds: 122, maxSeconds: null, calls: 1, minutes: 3, cost: null, percentage: 50 },
      ]);
    });

    it('reads data given as an array of single-key objects', () => {
      // Prepare
      const body = JSON.stringify({
        code: 200,
        data: [{ '0_5_seg': { calls: '4', minutes: '', cost: '', percentage: '' } }, { '6_20_seg': { calls: '5', minutes: '', cost: '', percentage: '' } }],
      });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.intervals.map((i) => [i.key, i.calls])).toEqual([
        ['0_5_seg', 4],
        ['6_20_seg', 5],
      ]);
      expect(report.warnings).toEqual([]);
    });

    it('keeps array items that name no interval as "#index" with warnings', () => {
      // Prepare
      const body = JSON.stringify({ code: 200, data: [{ calls: '3' }, 7] });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.intervals.map((i) => i.key)).toEqual(['#0', '#1']);
      expect(report.intervals[0]?.calls).toBe(3);
      expect(report.warnings).toContain('data[0] names no interval; kept as interval "#0"');
      expect(report.warnings).toContain('data[1] is not an object; kept as interval "#1"');
    });
  });

  describe('empty answers', () => {
    it.each([
      { label: '[]', data: [] as unknown },
      { label: '{}', data: {} },
      { label: 'null', data: null },
      { label: '""', data: '' },
    ])('returns kind empty when data is $label', ({ data }) => {
      // Prepare
      const body = JSON.stringify({ code: 200, error: null, msg: '0 records were found', data });

      // Act
      const report = parseCdr4Response(200, body);

      // Assess
      expect(report).toEqual({ kind: 'empty', intervals: [], vendorCode: '200', vendorMsg: '0 records were found', warnings: [] });
    });

    it('returns kind empty when data is missing', () => {
      // Act
      const report = parseCdr4Response(200, JSON.stringify({ code: 200, msg: '0 records were found' }));

      // Assess
      expect(report.kind).toBe('empty');
      expect(report.intervals).toEqual([]);
    });

    it('returns kind empty for HTTP 404 "Validate dates entered" with a JSON body', () => {
      // Prepare
      const body = JSON.stringify({ code: 404, error: 'Validate dates entered', msg: 'Validate dates entered' });

      // Act
      const report = parseCdr4Response(404, body);

      // Assess
      expect(report).toEqual({ kind: 'empty', intervals: [], vendorCode: '404', vendorMsg: 'Validate dates entered', warnings: [] });
    });

    it('returns kind empty for HTTP 404 "Validate dates entered" with a plain-text body', () => {
      // Act
      const report = parseCdr4Response(404, '  Validate dates entered\n');

      // Assess
      expect(report).toEqual({ kind: 'empty', intervals: [], vendorCode: null, vendorMsg: 'Validate dates entered', warnings: [] });
    });

    it('returns kind empty for HTTP 200 whose body code is 404 "Validate dates entered"', () => {
      // Act
      const report = parseCdr4Response(200, JSON.stringify({ code: '404', error: 'Validate dates entered' }));

      // Assess
      expect(report.kind).toBe('empty');
      expect(report.vendorCode).toBe('404');
    });

    it('returns kind collected (not empty) when every figure is zero', () => {
      // Act
      const report = parseCdr4Response(200, JSON.stringify({ code: 200, data: { '0_5_seg': { calls: '0', minutes: '0', cost: '0', percentage: '0' } } }));

      // Assess
      expect(report.kind).toBe('collected');
      expect(report.intervals[0]?.calls).toBe(0);
    });
  });

  describe('failures', () => {
    it('throws WolkvoxResponseError when data is a number', () => {
      // Prepare
      const body = JSON.stringify({ code: 200, msg: 'ok', data: 42 });

      // Act
      const error = caught(() => parseCdr4Response(200, body, { window: 'w1' }));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxResponseError);
      expect((error as WolkvoxResponseError).retryable).toBe(false);
      expect((error as WolkvoxResponseError).message).toContain('number');
      expect((error as WolkvoxResponseError).context).toEqual({ window: 'w1' });
    });

    it.each([
      { label: 'a JSON array', body: '[]' },
      { label: 'JSON null', body: 'null' },
      { label: 'a JSON string', body: '"hello"' },
      { label: 'a JSON number', body: '42' },
    ])('throws WolkvoxResponseError for HTTP 200 with $label', ({ body }) => {
      // Act & Assess
      expect(() => parseCdr4Response(200, body)).toThrow(WolkvoxResponseError);
    });

    it('throws WolkvoxTokenLimitError for body code 403 TOKEN LIMIT EXCEEDED sent with HTTP 200', () => {
      // Prepare
      const body = JSON.stringify({ code: 403, error: 'TOKEN LIMIT EXCEEDED', msg: 'TOKEN LIMIT EXCEEDED' });

      // Act
      const error = caught(() => parseCdr4Response(200, body));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxTokenLimitError);
      expect((error as WolkvoxTokenLimitError).retryable).toBe(false);
      expect((error as WolkvoxTokenLimitError).httpStatus).toBe(403);
    });

    it.each([
      { http: 200, body: { code: '403', msg: 'PLEASE VALIDATE TOKEN' }, type: WolkvoxAuthError },
      { http: 403, body: { code: 403, error: 'PLEASE VALIDATE TOKEN' }, type: WolkvoxAuthError },
      { http: 403, body: { code: 403, error: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)' }, type: WolkvoxConcurrencyError },
      { http: 403, body: { code: 403, error: 'TOKEN LIMIT EXCEEDED' }, type: WolkvoxTokenLimitError },
      { http: 400, body: { code: 400, error: 'SOME PARAMETERS ARE REQUIRED' }, type: WolkvoxRequestError },
      { http: 401, body: { code: 401, message: 'PLEASE ENTER THE WOLKVOX-TOKEN' }, type: WolkvoxRequestError },
      { http: 200, body: { code: 500, error: 'internal' }, type: WolkvoxTransportError },
      { http: 404, body: { code: 404, error: 'Not Found' }, type: WolkvoxRequestError },
    ])('throws $type.name for HTTP $http with body $body', ({ http, body, type }) => {
      // Act & Assess
      expect(() => parseCdr4Response(http, JSON.stringify(body))).toThrow(type);
    });

    it('throws a retryable WolkvoxBadJsonError for HTTP 200 with a body that is not JSON', () => {
      // Prepare
      const body = '{"code":200,"data":{"0_5_seg":{"calls":"1"'; // truncated transfer

      // Act
      const error = caught(() => parseCdr4Response(200, body));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxBadJsonError);
      expect((error as WolkvoxBadJsonError).retryable).toBe(true);
      expect((error as WolkvoxBadJsonError).httpStatus).toBe(200);
      expect((error as WolkvoxBadJsonError).message).toContain(`${body.length} bytes`);
    });

    it('throws a retryable WolkvoxTransportError for an HTML 502 page', () => {
      // Prepare
      const body = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

      // Act
      const error = caught(() => parseCdr4Response(502, body));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxTransportError);
      expect((error as WolkvoxTransportError).retryable).toBe(true);
      expect((error as WolkvoxTransportError).httpStatus).toBe(502);
    });

    it('throws a retryable WolkvoxUnavailableError for a plain-text 403 maintenance page', () => {
      // Act
      const error = caught(() => parseCdr4Response(403, 'Service temporarily disabled for backups'));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxUnavailableError);
      expect((error as WolkvoxUnavailableError).retryable).toBe(true);
    });

    it.each([{ code: 'OK' }, { code: 'success' }, { code: '200 OK' }, { code: '' }])('throws WolkvoxResponseError for the non-numeric body code $code', ({ code }) => {
      // Prepare
      const body = JSON.stringify({ code, data: { '0_5_seg': { calls: '1' } } });

      // Act
      const error = caught(() => parseCdr4Response(200, body));

      // Assess
      expect(error).toBeInstanceOf(WolkvoxResponseError);
      expect((error as WolkvoxResponseError).retryable).toBe(false);
    });
  });
});
