import type { ParsedReport } from './cdr4-report.ts';
import type { DataRow, FetchRecord } from './columns.ts';
import { CollectorError, errorClass, WolkvoxError } from './errors.ts';
import { spanDates, type Span } from './span.ts';
import { formatWall } from './wall-clock.ts';
import { dateEnd, dateIni, describeWindow, windowStartInstant, type Window } from './window.ts';

export const MAX_STORED_BODY = 256 * 1024;

export interface FetchMeta {
  readonly fetchId: string;
  readonly requestedAt: number;
  readonly latencyMs: number;
  readonly httpStatus: number | null;
  readonly body: string | null;
  readonly revision: number;
  readonly collectedAt: number;
}

export function buildDataRows(w: Window, report: ParsedReport, meta: FetchMeta): DataRow[] {
  const d = describeWindow(w);
  const collectedAt = new Date(meta.collectedAt).toISOString();
  return report.intervals.map((i) => ({
    window_start: d.window_start,
    window_end: d.window_end,
    window_start_utc: d.window_start_utc,
    window_end_utc: d.window_end_utc,
    timezone: w.timeZone,
    interval: i.key,
    interval_min_seconds: i.minSeconds,
    interval_max_seconds: i.maxSeconds,
    calls: i.calls,
    minutes: i.minutes,
    cost: i.cost,
    percentage: i.percentage,
    revision: meta.revision,
    fetch_id: meta.fetchId,
    collected_at: collectedAt,
  }));
}

/** Newline-delimited JSON; an empty window is an empty object (zero lines), still written. */
export function toNdjson(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** Where a record's call went: its window, or (a call over a span) the span's bounds and dates. */
function callTarget(target: Window | Span) {
  if ('toWall' in target) {
    const first = { startWall: target.fromWall, timeZone: target.timeZone };
    return { window_start: formatWall(target.fromWall), window_end: formatWall(target.toWall), window_start_utc: new Date(windowStartInstant(first)).toISOString(), timezone: target.timeZone, ...spanDates(target) };
  }
  const d = describeWindow(target);
  return { window_start: d.window_start, window_end: d.window_end, window_start_utc: d.window_start_utc, timezone: target.timeZone, date_ini: dateIni(target), date_end: dateEnd(target) };
}

/**
 * The fetch-log line of one call. For a call over a span, window_start/window_end are the
 * span's bounds (longer than 5 minutes) and date_ini/date_end the dates asked.
 */
export function buildFetchRecord(target: Window | Span, meta: FetchMeta, result: { report: ParsedReport; rowCount: number } | { error: unknown; quarantined?: boolean }): FetchRecord {
  const body = meta.body === null ? null : meta.body.length > MAX_STORED_BODY ? meta.body.slice(0, MAX_STORED_BODY) : meta.body;
  const base = {
    fetch_id: meta.fetchId,
    ...callTarget(target),
    requested_at: new Date(meta.requestedAt).toISOString(),
    latency_ms: Math.round(meta.latencyMs),
    http_status: meta.httpStatus,
  };
  if ('error' in result) {
    const e = result.error;
    return {
      ...base,
      vendor_code: null,
      vendor_msg: e instanceof WolkvoxError ? e.vendorMessage : null,
      outcome: result.quarantined ? 'quarantined' : 'failed',
      error_class: errorClass(e),
      error_message: e instanceof Error ? e.message : String(e),
      retryable: e instanceof CollectorError ? e.retryable : true,
      row_count: 0,
      revision: 0,
      warnings: null,
      response_body: body,
    };
  }
  return {
    ...base,
    vendor_code: result.report.vendorCode,
    vendor_msg: result.report.vendorMsg,
    outcome: result.report.kind,
    error_class: null,
    error_message: null,
    retryable: null,
    row_count: result.rowCount,
    revision: meta.revision,
    warnings: result.report.warnings.length ? result.report.warnings.join('; ') : null,
    response_body: body,
  };
}

/**
 * The fetch-log line of a window that a call over a span proved to hold no call: no call of
 * its own, so it names the call that established it (its fetch_id, and that call's dates).
 */
export function buildEstablishedRecord(w: Window, call: Span, meta: Pick<FetchMeta, 'fetchId' | 'requestedAt' | 'revision'>): FetchRecord {
  const d = describeWindow(w);
  return {
    fetch_id: meta.fetchId,
    window_start: d.window_start,
    window_end: d.window_end,
    window_start_utc: d.window_start_utc,
    timezone: w.timeZone,
    ...spanDates(call),
    requested_at: new Date(meta.requestedAt).toISOString(),
    latency_ms: 0,
    http_status: null,
    vendor_code: null,
    vendor_msg: null,
    outcome: 'empty',
    error_class: null,
    error_message: null,
    retryable: null,
    row_count: 0,
    revision: meta.revision,
    warnings: null,
    response_body: null,
  };
}
