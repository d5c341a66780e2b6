import { WolkvoxError, WolkvoxHostNotFoundError, WolkvoxResponseError, WolkvoxTimeoutError, WolkvoxTransportError } from '../domain/errors.ts';
import { spanDates, spanOf, type Span } from '../domain/span.ts';
import { redactor } from '../domain/vendor-text.ts';
import type { Window } from '../domain/window.ts';
import type { TokenProvider } from './token-provider.ts';

export interface RawAnswer {
  readonly status: number;
  /** The body as received, but for the token, which is redacted (an answer that echoed it never reaches a log or the store). */
  readonly body: string;
  readonly requestedAt: number;
  readonly latencyMs: number;
}

export interface Cdr4Client {
  /** One GET of cdr_4 for the window. Resolves with any HTTP answer; rejects only when none arrived. */
  fetchWindow(w: Window, timeoutMs: number): Promise<RawAnswer>;
  /** One GET of cdr_4 over a span of windows (the vendor sums up to 31 days in one answer); `stop` abandons it. */
  fetchSpan(span: Span, timeoutMs: number, stop?: AbortSignal): Promise<RawAnswer>;
  /** One GET of `information.php?api=token_info` (the token's limit and use today; it costs one call too). */
  fetchTokenInfo(timeoutMs: number, stop?: AbortSignal): Promise<RawAnswer>;
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
  /** Swap in tests; defaults to node:http(s) with a keep-alive connection. */
  readonly get?: HttpGet;
}

/** cdr_4 answers are a handful of intervals; anything this big is not one. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** An HTTP answer as it came, redirects included (the client refuses them). */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** An answer whose body is over the limit: dropped unread. */
export class AnswerTooLarge extends Error {
  readonly bytes: number;
  readonly status: number;
  constructor(bytes: number, status: number) {
    super(`answer of ${bytes} bytes`);
    this.bytes = bytes;
    this.status = status;
  }
}

/** One GET: resolves with any HTTP answer; rejects when none arrived, or with AnswerTooLarge when the body is over `maxBytes`. */
export type HttpGet = (url: URL, headers: Readonly<Record<string, string>>, signal: AbortSignal, maxBytes: number) => Promise<HttpAnswer>;

// process.getBuiltinModule, not `import … from 'node:http'`: an ES import of a builtin builds a
// facade of all its exports, and node:http's lazy WebSocket exports then load undici (fetch's
// engine), 10-20 ms of the CLI's start before its first call, for a client that never uses it.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/**
 * A connection to the vendor is reused from call to call, and from run to run in a warm
 * Lambda. Idle ones are dropped after 4 s, before a server's usual 5 s keep-alive would close
 * them under a new request.
 */
const agents = { http: new http.Agent({ keepAlive: true, timeout: 4_000 }), https: new https.Agent({ keepAlive: true, timeout: 4_000 }) };

/**
 * node:http(s) rather than fetch: fetch's layers (Request, Headers, web streams) cost about
 * 0.6 ms of the token's time per call (bench 10), and the token is what a range waits for.
 */
export const nodeHttpGet: HttpGet = (url, headers, signal, maxBytes) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? https.request : http.request)(url, { method: 'GET', headers, agent: secure ? agents.https : agents.http, signal }, (res) => {
      const status = res.statusCode ?? 0;
      const tooLarge = (bytes: number) => {
        reject(new AnswerTooLarge(bytes, status));
        res.destroy();
      };
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) return tooLarge(declared);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) tooLarge(size);
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      // Cut off mid-body (the timeout, the server): the request's own error says why.
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', reject);
    req.end();
  });

export function createCdr4Client(options: Cdr4ClientOptions): Cdr4Client {
  const clock = options.clock ?? Date.now;
  const get = options.get ?? nodeHttpGet;
  let busyUntil = 0;
  /** One GET with the token; `what` names it in messages (the dates asked, or the API). */
  const call = async (path: string, params: Record<string, string>, what: Record<string, string>, timeoutMs: number, stop?: AbortSignal): Promise<RawAnswer> => {
    const url = new URL(path, options.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const token = await options.token.get();
    const requestedAt = clock();
    const context = what;
    // Not AbortSignal.timeout(): its timer lives on for the whole timeout after the answer,
    // and a backfill making thousands of calls would hold thousands of them.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    // The user's stop abandons the call in flight (the vendor may still run it: busyUntil says so).
    const abandon = () => abort.abort(new DOMException('abandoned at the user\'s request', 'AbortError'));
    if (stop?.aborted) abandon();
    stop?.addEventListener('abort', abandon, { once: true });
    const host = url.host;
    try {
      // The timeout covers the body too: a server that stalls mid-body is cut off as well.
      const answer = await get(url, { 'wolkvox-token': token, wolkvox_server: options.server, accept: 'application/json' }, abort.signal, MAX_BODY_BYTES);
      // Never followed: a redirect could carry the token header to another host.
      if (answer.status >= 300 && answer.status < 400) throw new WolkvoxTransportError(`Wolkvox ${host} answered with a redirect (HTTP ${answer.status}), which is not followed: check WOLKVOX_BASE_URL`, { httpStatus: answer.status, context: { ...context, host } });
      // Of the header values sent, the token is the secret one: a body that echoes it is cut off from
      // it here, before any parser, log or store sees the body. The server nomenclature and `accept`
      // are public (the host name holds the server), and redacting them would cut figures ("0032").
      return { status: answer.status, body: redactor([token])(answer.body), requestedAt, latencyMs: clock() - requestedAt };
    } catch (cause) {
      if (cause instanceof WolkvoxError) throw cause;
      if (cause instanceof AnswerTooLarge) throw new WolkvoxResponseError(`Wolkvox answer of ${cause.bytes} bytes is too large for a cdr_4 report`, { httpStatus: cause.status, context });
      const err = cause as Error & { code?: string; cause?: { code?: string } };
      // An abort is ours: the timeout fired.
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError' || abort.signal.aborted;
      // Only the name and code of the failure: node's messages never hold headers, but we do not rely on it.
      const code = err.code ?? err.cause?.code;
      const details = { httpStatus: null, context: { ...context, host, latency_ms: clock() - requestedAt }, cause };
      if (code === 'ENOTFOUND') throw new WolkvoxHostNotFoundError(`Wolkvox host ${host} not found (ENOTFOUND): check WOLKVOX_SERVER and WOLKVOX_BASE_URL`, details);
      const abandoned = stop?.aborted === true;
      const what = abandoned ? `request to ${host} abandoned at the user's request` : timedOut ? `${host} gave no answer within ${timeoutMs} ms` : `request to ${host} failed: ${err.name}${code ? ` (${code})` : ''}`;
      if (timedOut) busyUntil = Math.max(busyUntil, requestedAt + VENDOR_MAX_RUN_MS);
      throw timedOut && !abandoned ? new WolkvoxTimeoutError(`Wolkvox ${what}`, details) : new WolkvoxTransportError(`Wolkvox ${what}`, details);
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', abandon);
    }
  };
  const client: Cdr4Client = {
    busyUntil: () => busyUntil,
    fetchWindow: (w, timeoutMs) => client.fetchSpan(spanOf(w), timeoutMs),
    fetchSpan(span, timeoutMs, stop) {
      const dates = spanDates(span);
      return call('/api/v2/reports_manager.php', { api: 'cdr_4', ...dates }, dates, timeoutMs, stop);
    },
    fetchTokenInfo: (timeoutMs, stop) => call('/api/v2/information.php', { api: 'token_info' }, { api: 'token_info' }, timeoutMs, stop),
  };
  return client;
}
