import { WolkvoxHostNotFoundError, WolkvoxResponseError, WolkvoxTimeoutError, WolkvoxTransportError } from '../domain/errors.ts';
import { spanDates, spanOf, type Span } from '../domain/span.ts';
import type { Window } from '../domain/window.ts';
import type { TokenProvider } from './token-provider.ts';

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  readonly requestedAt: number;
  readonly latencyMs: number;
}

export interface Cdr4Client {
  /** One GET of cdr_4 for the window. Resolves with any HTTP answer; rejects only when none arrived. */
  fetchWindow(w: Window, timeoutMs: number): Promise<RawAnswer>;
  /** One GET of cdr_4 over a span of windows (the vendor sums up to 31 days in one answer). */
  fetchSpan(span: Span, timeoutMs: number): Promise<RawAnswer>;
  /**
   * Epoch ms before which no request may start: after a timeout the vendor may still be
   * running the abandoned report (up to its 60 s limit) on our token.
   */
  busyUntil(): number;
}

/** The vendor stops a report after 60 s of run time; a little slack on top. */
export const VENDOR_MAX_RUN_MS = 65_000;

export interface Cdr4ClientOptions {
  readonly baseUrl: string;
  readonly server: string;
  readonly token: TokenProvider;
  readonly clock?: () => number;
  /** Swap in tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** cdr_4 answers are a handful of intervals; anything this big is not one. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function createCdr4Client(options: Cdr4ClientOptions): Cdr4Client {
  const clock = options.clock ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  let busyUntil = 0;
  const client: Cdr4Client = {
    busyUntil: () => busyUntil,
    fetchWindow: (w, timeoutMs) => client.fetchSpan(spanOf(w), timeoutMs),
    async fetchSpan(span, timeoutMs) {
      const { date_ini, date_end } = spanDates(span);
      const url = new URL('/api/v2/reports_manager.php', options.baseUrl);
      url.searchParams.set('api', 'cdr_4');
      url.searchParams.set('date_ini', date_ini);
      url.searchParams.set('date_end', date_end);
      const token = await options.token.get();
      const requestedAt = clock();
      const context = { date_ini, date_end };
      // Not AbortSignal.timeout(): its timer lives on for the whole timeout after the answer,
      // and a backfill making thousands of calls would hold thousands of them.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      try {
        const response = await doFetch(url, {
          method: 'GET',
          headers: { 'wolkvox-token': token, wolkvox_server: options.server, accept: 'application/json' },
          redirect: 'error',
          // The timeout covers the body too: a server that stalls mid-body is cut off as well.
          signal: abort.signal,
        });
        const length = Number(response.headers.get('content-length') ?? 0);
        if (length > MAX_BODY_BYTES) {
          await response.body?.cancel();
          throw new WolkvoxResponseError(`Wolkvox answer of ${length} bytes is too large for a cdr_4 report`, { httpStatus: response.status, context });
        }
        const body = await response.text();
        return { status: response.status, body, requestedAt, latencyMs: clock() - requestedAt };
      } catch (cause) {
        if (cause instanceof WolkvoxResponseError) throw cause;
        const err = cause as Error;
        const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
        // Only the name and code of the failure: undici's messages never hold headers, but we do not rely on it.
        const code = (err as { cause?: { code?: string } }).cause?.code;
        const host = url.host;
        const details = { httpStatus: null, context: { ...context, host, latency_ms: clock() - requestedAt }, cause };
        if (code === 'ENOTFOUND') throw new WolkvoxHostNotFoundError(`Wolkvox host ${host} not found (ENOTFOUND): check WOLKVOX_SERVER and WOLKVOX_BASE_URL`, details);
        const what = timedOut ? `${host} gave no answer within ${timeoutMs} ms` : `request to ${host} failed: ${err.name}${code ? ` (${code})` : ''}`;
        if (timedOut) busyUntil = Math.max(busyUntil, requestedAt + VENDOR_MAX_RUN_MS);
        throw timedOut ? new WolkvoxTimeoutError(`Wolkvox ${what}`, details) : new WolkvoxTransportError(`Wolkvox ${what}`, details);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return client;
}
