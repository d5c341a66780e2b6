/**
 * The simulator's HTTP server (node:http): routes, the vendor's checks in order, faults,
 * latency, per-token concurrency and the request log. Never logs the token, and echoes it only
 * as the echoToken fault asks (a leaky vendor).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DailyUsage } from './daily-usage.ts';
import {
  badShapeReply,
  cdr4Reply,
  echoTokenReply,
  emptyReply,
  errorReply,
  gatewayReply,
  MESSAGES,
  tokenInfoReply,
  truncatedJsonReply,
  type Reply,
} from './responses.ts';
import { CallSource, totalCalls, type IntervalKey } from './synthetic-calls.ts';
import type { EmptyStyle, Fault, FaultRequest, IntervalTotals, Simulator, SimulatorLogEntry, SimulatorStats, TrafficProfile, VendorModel } from './types.ts';
import { checkVendorRange } from './vendor-dates.ts';

export const REPORTS_PATH = '/api/v2/reports_manager.php';
export const INFORMATION_PATH = '/api/v2/information.php';

/** Options with every default filled in. */
export interface SimulatorConfig {
  token: string;
  server: string;
  timeZone: string;
  seed: number;
  traffic: TrafficProfile;
  dailyLimit: number;
  othersUse: (nowMs: number) => number;
  tokenInfo: 'numbers' | 'blank';
  vendor: Required<VendorModel>;
  latencyMs: number;
  now: () => number;
  reportDelayMs: number;
  emptyStyle: EmptyStyle;
  codeAsString: boolean;
  maintenance: (nowMs: number) => boolean;
  faultFor: (req: FaultRequest) => Fault | undefined;
  port: number;
}

/**
 * The true calls per interval of a vendor range at `nowMs`: what the server would answer if
 * asked then. The one place that reads a range for the truth, so that a bench without a
 * server and the server's own trueTotals cannot disagree.
 */
export function rangeTotals(calls: CallSource, dateIni: string, dateEnd: string, nowMs: number, reportDelayMs: number, vendor: VendorModel = {}): Record<IntervalKey, IntervalTotals> {
  const range = checkVendorRange(dateIni, dateEnd);
  if (!range.ok) throw new RangeError(`not a valid vendor range: ${dateIni}..${dateEnd}`);
  // An exclusive end leaves the range's last second out.
  const endWall = vendor.dateEnd === 'exclusive' ? range.endWall - 1000 : range.endWall;
  return calls.totals(range.iniWall, endWall, nowMs, reportDelayMs, vendor.countCallsAt ?? 'start');
}

/** What to do with one request: answer (after a delay) or hold it until close(). */
type Plan = { kind: 'reply'; reply: Reply; extraDelayMs: number } | { kind: 'hang' };

const reply = (r: Reply, extraDelayMs = 0): Plan => ({ kind: 'reply', reply: r, extraDelayMs });

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

export class SimulatorServer implements Simulator {
  private readonly http: Server;
  private readonly calls: CallSource;
  private readonly usage: DailyUsage;
  private readonly queue: Fault[] = [];
  private readonly activeByToken = new Map<string, number>();
  private readonly timers = new Set<{ handle: NodeJS.Timeout; done: () => void }>();
  private readonly counters = { requests: 0, reportRequests: 0, inFlight: 0, maxInFlight: 0, rejectedConcurrent: 0 };
  private readonly byStatus: Record<number, number> = {};
  private readonly log: SimulatorLogEntry[] = [];
  private acceptedToken: string;
  private closed = false;
  private closing: Promise<void> | undefined;
  private port = 0;
  readonly stats: SimulatorStats;
  private readonly config: SimulatorConfig;

  constructor(config: SimulatorConfig) {
    this.config = config;
    this.acceptedToken = config.token;
    this.calls = new CallSource(config.seed, config.timeZone, config.traffic);
    this.usage = new DailyUsage(config.dailyLimit, config.timeZone, config.othersUse);
    this.http = createServer((req, res) => this.onRequest(req, res));
    const counters = this.counters;
    const byStatus = this.byStatus;
    const log = this.log;
    // A live view without setters: assigning to it throws in strict mode.
    const stats = {
      get requests() {
        return counters.requests;
      },
      get reportRequests() {
        return counters.reportRequests;
      },
      get inFlight() {
        return counters.inFlight;
      },
      get maxInFlight() {
        return counters.maxInFlight;
      },
      get rejectedConcurrent() {
        return counters.rejectedConcurrent;
      },
      get byStatus() {
        return byStatus;
      },
      get log() {
        return log;
      },
    };
    Object.defineProperty(stats, Symbol.for('nodejs.util.inspect.custom'), { enumerable: false, value: () => this.snapshot() });
    this.stats = Object.freeze(stats) as SimulatorStats;
  }

  /** A plain copy of the stats (what console.log shows instead of the getters). */
  snapshot(): SimulatorStats {
    const s = this.stats;
    return { requests: s.requests, reportRequests: s.reportRequests, inFlight: s.inFlight, maxInFlight: s.maxInFlight, byStatus: { ...s.byStatus }, rejectedConcurrent: s.rejectedConcurrent, log: s.log.map((e) => ({ ...e })) };
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.port, '127.0.0.1', () => {
        this.http.off('error', reject);
        this.port = (this.http.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  inject(fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 0) throw new RangeError(`times must be a non-negative integer, got ${times}`);
    for (let i = 0; i < times; i += 1) this.queue.push(fault);
  }

  setToken(token: string): void {
    if (token === '') throw new RangeError('token must not be empty');
    this.acceptedToken = token;
  }

  trueTotals(dateIni: string, dateEnd: string): Record<string, IntervalTotals> {
    return rangeTotals(this.calls, dateIni, dateEnd, this.config.now(), this.config.reportDelayMs, this.config.vendor);
  }

  finalTotals(dateIni: string, dateEnd: string): Record<string, IntervalTotals> {
    // Calls only ever become visible (at their end plus the delay), so the answer at the end of time is the one it keeps.
    return rangeTotals(this.calls, dateIni, dateEnd, Number.POSITIVE_INFINITY, this.config.reportDelayMs, this.config.vendor);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    for (const timer of this.timers) {
      clearTimeout(timer.handle);
      timer.done();
    }
    this.timers.clear();
    this.closing = new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      // Ends hanging requests and idle keep-alive sockets alike.
      this.http.closeAllConnections();
    });
    return this.closing;
  }

  private wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = {
        handle: setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, ms),
        done: resolve,
      };
      this.timers.add(timer);
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const entry: SimulatorLogEntry = { dateIni: null, dateEnd: null, status: 0, startedAt: Date.now(), endedAt: 0 };
    const c = this.counters;
    c.requests += 1;
    c.inFlight += 1;
    c.maxInFlight = Math.max(c.maxInFlight, c.inFlight);
    this.log.push(entry);
    const held: { token?: string } = {};
    res.on('close', () => {
      c.inFlight -= 1;
      entry.endedAt = Date.now();
      entry.status = res.writableFinished ? res.statusCode : 0;
      this.byStatus[entry.status] = (this.byStatus[entry.status] ?? 0) + 1;
      if (held.token !== undefined) this.release(held.token);
    });
    req.resume();

    const plan = this.plan(req, entry, held);
    if (plan.kind === 'hang') return; // ended by the client or by close()
    void this.wait(this.config.latencyMs + plan.extraDelayMs).then(() => {
      if (this.closed || res.destroyed) return;
      res.writeHead(plan.reply.status, {
        'content-type': plan.reply.contentType,
        'content-length': Buffer.byteLength(plan.reply.body),
        wolkvox_server: this.config.server,
      });
      res.end(plan.reply.body);
    });
  }

  private release(token: string): void {
    const n = (this.activeByToken.get(token) ?? 1) - 1;
    if (n <= 0) this.activeByToken.delete(token);
    else this.activeByToken.set(token, n);
  }

  private plan(req: IncomingMessage, entry: SimulatorLogEntry, held: { token?: string }): Plan {
    const asString = this.config.codeAsString;
    if (req.method !== 'GET') return reply(errorReply(405, MESSAGES.methodNotAllowed, asString));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const nowMs = this.config.now();

    if (url.pathname === INFORMATION_PATH) {
      if (q.get('api') !== 'token_info') return reply(errorReply(400, MESSAGES.apiDoesNotExist, asString));
      const auth = this.authorize(req, nowMs, held);
      if (typeof auth !== 'string') return reply(auth);
      return reply(tokenInfoReply(this.config.dailyLimit, this.usage.usedToday(auth, nowMs), this.config.tokenInfo));
    }
    if (url.pathname !== REPORTS_PATH) return reply(errorReply(404, MESSAGES.notFound, asString));
    this.counters.reportRequests += 1;

    const dateIni = q.get('date_ini') || null;
    const dateEnd = q.get('date_end') || null;
    entry.dateIni = dateIni;
    entry.dateEnd = dateEnd;
    if (q.get('api') !== 'cdr_4') return reply(errorReply(400, MESSAGES.apiDoesNotExist, asString));
    if (dateIni === null || dateEnd === null) return reply(errorReply(400, MESSAGES.parametersRequired, asString));

    const fault = this.queue.shift() ?? this.config.faultFor({ dateIni, dateEnd, nowMs });
    let extraDelayMs = 0;
    if (fault) {
      switch (fault.kind) {
        case 'http500':
          return reply(gatewayReply(500));
        case 'http502':
          return reply(gatewayReply(502));
        case 'http503':
          return reply(gatewayReply(503));
        case 'hang':
          return { kind: 'hang' };
        case 'badJson':
          return reply(truncatedJsonReply());
        case 'badShape':
          return reply(badShapeReply(asString));
        case 'maintenance':
          return reply(errorReply(403, MESSAGES.maintenance, asString));
        case 'tokenLimit':
          return reply(errorReply(403, MESSAGES.tokenLimit, asString));
        case 'concurrency':
          return reply(errorReply(403, MESSAGES.concurrency, asString));
        case 'invalidToken':
          return reply(errorReply(403, MESSAGES.tokenInvalid, asString));
        case 'slow':
          extraDelayMs = Math.max(0, fault.ms);
          break;
        case 'echoToken': {
          const auth = this.authorize(req, nowMs, held);
          if (typeof auth !== 'string') return reply(auth);
          if (!checkVendorRange(dateIni, dateEnd).ok) return reply(errorReply(404, MESSAGES.validateDates, asString));
          return reply(echoTokenReply(fault.status, auth, rangeTotals(this.calls, dateIni, dateEnd, nowMs, this.config.reportDelayMs, this.config.vendor), asString));
        }
      }
    }

    const auth = this.authorize(req, nowMs, held);
    if (typeof auth !== 'string') return reply(auth, extraDelayMs);

    const range = checkVendorRange(dateIni, dateEnd);
    if (!range.ok || this.config.vendor.answer404) return reply(errorReply(404, MESSAGES.validateDates, asString), extraDelayMs);
    const totals = rangeTotals(this.calls, dateIni, dateEnd, nowMs, this.config.reportDelayMs, this.config.vendor);
    const names = this.config.vendor.intervalKeys;
    if (totalCalls(totals) === 0) return reply(emptyReply(this.config.emptyStyle, totals, asString, names), extraDelayMs);
    return reply(cdr4Reply(totals, asString, names), extraDelayMs);
  }

  /**
   * Token header, token, simultaneous use, daily allowance, maintenance, in that order.
   * Returns the token on success (its slot is then held until the answer ends), else the error.
   */
  private authorize(req: IncomingMessage, nowMs: number, held: { token?: string }): string | Reply {
    const asString = this.config.codeAsString;
    const token = header(req, 'wolkvox-token');
    if (token === undefined) return errorReply(401, MESSAGES.tokenMissing, asString);
    if (token !== this.acceptedToken) return errorReply(403, MESSAGES.tokenInvalid, asString);
    if ((this.activeByToken.get(token) ?? 0) >= 1) {
      this.counters.rejectedConcurrent += 1;
      this.usage.spend(token, nowMs); // a rejected call still counts toward the day
      return errorReply(403, MESSAGES.concurrency, asString);
    }
    this.activeByToken.set(token, 1);
    held.token = token;
    if (!this.usage.spend(token, nowMs)) return errorReply(403, MESSAGES.tokenLimit, asString);
    if (this.config.maintenance(nowMs)) return errorReply(403, MESSAGES.maintenance, asString);
    return token;
  }
}

