/**
 * Calls the vendor the way every phase must: counted as they start (the daily budget,
 * metrics), a rejected token re-read once, transient failures retried with backoff while time
 * allows, each failed attempt recorded in the fetch log at once.
 */
import { randomBytes } from 'node:crypto';
import { parseCdr4Response, type ParsedReport } from '../domain/cdr4-report.ts';
import { CollectorError, WolkvoxAuthError, WolkvoxBadJsonError, WolkvoxConcurrencyError, WolkvoxResponseError, WolkvoxTimeoutError, WolkvoxTransportError, errorClass } from '../domain/errors.ts';
import { fetchLogKey } from '../domain/layout.ts';
import { METRIC } from '../domain/metrics.ts';
import { buildFetchRecord, toNdjson, type FetchMeta } from '../domain/rows.ts';
import { spanDates, type Span } from '../domain/span.ts';
import type { Window } from '../domain/window.ts';
import { NDJSON } from '../storage/object-store.ts';
import type { Cdr4Client, RawAnswer } from '../wolkvox/cdr4-client.ts';
import type { TokenProvider } from '../wolkvox/token-provider.ts';
import { MIN_REQUEST_MS, WRITE_RESERVE_MS } from './budget.ts';
import type { Log, MetricsPort } from './ports.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export interface CollectorDeps {
  readonly client: Cdr4Client;
  readonly token: TokenProvider;
  readonly store: ObjectStore;
  readonly log: Log;
  readonly metrics: MetricsPort;
  readonly clock: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly newFetchId?: (now: number) => string;
  /** Aborted when the user will not wait for the call in flight (a Ctrl-C that lasts): the call is abandoned. */
  readonly stopSignal?: AbortSignal;
}

export interface CallerSettings {
  readonly operation: string;
  readonly prefix: string;
  readonly requestTimeoutMs: number;
  /** Attempts per call for transient failures within one run. Default 3. */
  readonly maxAttempts?: number;
  /** Pauses between attempts. Default 1 s, then 4 s. */
  readonly backoffMs?: readonly number[];
}

export type Attempt = { ok: true; report: ParsedReport; meta: FetchMeta } | { ok: false; error: CollectorError; meta: FetchMeta };

export type FetchOutcome = Parameters<typeof buildFetchRecord>[2];

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function newFetchId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

export function asCollectorError(error: unknown): CollectorError {
  if (error instanceof CollectorError) return error;
  return new WolkvoxTransportError(`unexpected failure: ${errorClass(error)}`, { cause: error });
}

/** Non-transient answers for one window: retrying now gives the same answer. */
export function isWindowPoison(error: CollectorError): boolean {
  return error instanceof WolkvoxResponseError || error instanceof WolkvoxBadJsonError;
}

function retriesNow(error: CollectorError): boolean {
  if (error instanceof WolkvoxTimeoutError) return false;
  return error instanceof WolkvoxTransportError || error instanceof WolkvoxBadJsonError || error instanceof WolkvoxConcurrencyError;
}

export class VendorCaller {
  /** Calls made through this caller. */
  calls = 0;
  private tokenRefreshed = false;
  private readonly deps: CollectorDeps;
  private readonly s: CallerSettings;
  private readonly timeLeft: () => number;
  private readonly onApiCall: () => void;
  private readonly stopped: () => boolean;
  private readonly onAnswer: (span: Span, report: ParsedReport) => void;

  constructor(deps: CollectorDeps, s: CallerSettings, hooks: { timeLeft: () => number; onApiCall: () => void; stopped?: () => boolean; onAnswer?: (span: Span, report: ParsedReport) => void }) {
    this.deps = deps;
    this.s = s;
    this.timeLeft = hooks.timeLeft;
    this.onApiCall = hooks.onApiCall;
    this.stopped = hooks.stopped ?? (() => false);
    this.onAnswer = hooks.onAnswer ?? (() => undefined);
  }

  /** Writes the fetch-log line of a call. */
  record(target: Window | Span, meta: FetchMeta, outcome: FetchOutcome): Promise<void> {
    return this.deps.store.put(fetchLogKey(this.s.prefix, this.s.operation, target, meta.fetchId), toNdjson([buildFetchRecord(target, meta, outcome)]), NDJSON);
  }

  /** One call, with the retries that may succeed now; the last failure's fetch record is not yet written. */
  async attempt(span: Span, revision: number): Promise<Attempt> {
    const backoff = this.s.backoffMs ?? [1_000, 4_000];
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attemptOnce(span, revision);
      if (outcome.ok) {
        this.onAnswer(span, outcome.report);
        return outcome;
      }
      const error = outcome.error;
      if (error instanceof WolkvoxAuthError && !this.tokenRefreshed) {
        if (!(await this.tokenRotated())) return outcome;
        await this.record(span, outcome.meta, { error });
        continue;
      }
      const wait = backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 0;
      if (this.stopped() || !(retriesNow(error) && attempt < (this.s.maxAttempts ?? 3) && this.timeLeft() - wait >= MIN_REQUEST_MS + WRITE_RESERVE_MS)) return outcome;
      // A failed call is recorded at once: if the run dies later, the log still says why.
      await this.record(span, outcome.meta, { error });
      await (this.deps.sleep ?? defaultSleep)(wait);
      // A stop asked for during the pause: no other attempt (the last failure is the caller's to record).
      if (this.stopped()) return outcome;
    }
  }

  /**
   * The secret may have been rotated since this container read it: read once more. The same
   * token again (a CLI token, a secret not rotated) would only get the same answer: no second call.
   */
  private async tokenRotated(): Promise<boolean> {
    this.tokenRefreshed = true;
    const before = await this.deps.token.get();
    return (await this.deps.token.refresh()) !== before;
  }

  private async attemptOnce(span: Span, revision: number): Promise<Attempt> {
    const { deps } = this;
    const requestTimeout = Math.min(this.s.requestTimeoutMs, this.timeLeft() - WRITE_RESERVE_MS);
    const startedAt = deps.clock();
    const dates = spanDates(span);
    let answer: RawAnswer | undefined;
    let outcome: Attempt;
    this.calls += 1;
    this.onApiCall();
    deps.metrics.count(METRIC.apiCalls, 1);
    deps.log.debug('cdr_4 request', { ...dates, timeout_ms: requestTimeout });
    try {
      answer = await deps.client.fetchSpan(span, requestTimeout, deps.stopSignal);
      outcome = { ok: true, report: parseCdr4Response(answer.status, answer.body, dates), meta: this.metaOf(answer, startedAt, revision) };
    } catch (error) {
      outcome = { ok: false, error: asCollectorError(error), meta: this.metaOf(answer, startedAt, revision) };
    }
    if (!outcome.ok) {
      deps.metrics.count(METRIC.fetchFailures, 1);
      deps.log.warn('cdr_4 request failed', { ...dates, error_class: errorClass(outcome.error), retryable: outcome.error.retryable, error_message: outcome.error.message, http_status: outcome.meta.httpStatus });
    }
    return outcome;
  }

  private metaOf(a: RawAnswer | undefined, startedAt: number, revision: number): FetchMeta {
    const now = this.deps.clock();
    return {
      fetchId: (this.deps.newFetchId ?? newFetchId)(a?.requestedAt ?? startedAt),
      requestedAt: a?.requestedAt ?? startedAt,
      latencyMs: a?.latencyMs ?? now - startedAt,
      httpStatus: a?.status ?? null,
      body: a?.body ?? null,
      revision,
      collectedAt: now,
    };
  }
}
