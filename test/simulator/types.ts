/** Public option and result types of the Wolkvox cdr_4 simulator (re-exported by index.ts). */
import type { IntervalKey } from './synthetic-calls.ts';

export type EmptyStyle = '404' | 'empty-object' | 'empty-array' | 'null' | 'zeros';

export type Fault =
  | { kind: 'http500' }
  | { kind: 'http502' }
  | { kind: 'http503' }
  | { kind: 'slow'; ms: number }
  | { kind: 'hang' }
  | { kind: 'badJson' }
  | { kind: 'maintenance' }
  | { kind: 'tokenLimit' }
  | { kind: 'concurrency' }
  | { kind: 'invalidToken' }
  | { kind: 'badShape' }
  /**
   * A leaky vendor: the answer's message repeats the wolkvox-token header it was sent, in colour,
   * with a bell and a window-title sequence, thousands of characters long; with status 200 it is
   * the message of a report with the true figures, with 400 a refusal.
   */
  | { kind: 'echoToken'; status: 200 | 400 };

/**
 * The shape of the synthetic traffic. `office` is the historical default (every seed keeps the
 * exact calls it always had); the other two are the operations issue 13 is measured on.
 * - `business-hours`: open Mon-Fri 08:00-18:00 and Sat 08:00-13:00 on the operation's wall
 *   clock, about 2.4 calls a minute while open, none otherwise; a share `longCallShare`
 *   (default 0.01) of calls last 3600-9000 s, long enough to end after an hourly restatement.
 * - `busy`: every day, about 3 calls a minute 07:00-20:00 and 0.3-0.6 a minute outside,
 *   durations of at most 3600 s.
 */
export type TrafficProfile = { kind: 'office' } | { kind: 'business-hours'; longCallShare?: number } | { kind: 'busy' };

/**
 * How the vendor reads a range, where it might differ from our reading of it (one plausible way
 * each): `dateEnd: 'exclusive'` leaves each range's last second out (so a window's last second is
 * in no window, but is in the day); `countCallsAt: 'end'` counts a call in the range that holds
 * its end instead of its start; `answer404: true` is a report the server does not have, answering
 * 404 "Validate dates entered" to every cdr_4 call.
 */
export interface VendorModel {
  readonly dateEnd?: 'inclusive' | 'exclusive';
  readonly countCallsAt?: 'start' | 'end';
  readonly answer404?: boolean;
  /** How the server spells interval keys in `data` (other servers may spell them otherwise), e.g. { '0_5_seg': '__proto__' }; default: as documented. */
  readonly intervalKeys?: Readonly<Partial<Record<IntervalKey, string>>>;
}

export interface FaultRequest {
  dateIni: string;
  dateEnd: string;
  nowMs: number;
}

export interface SimulatorOptions {
  /** The accepted token; default 'sim-token-0001'. */
  token?: string;
  /** Server nomenclature, default '0032' (sent back in the `wolkvox_server` header only). */
  server?: string;
  /** Operation wall clock, default 'America/Bogota'. */
  timeZone?: string;
  /** Seed of the synthetic calls; default 1. */
  seed?: number;
  /** Shape of the synthetic traffic; default { kind: 'office' }. */
  traffic?: TrafficProfile;
  /** API calls per token per wall-clock day; default 1_000_000. */
  dailyLimit?: number;
  /** Calls other integrations have made with the token today, at an instant (they count toward the daily limit); default none. */
  othersUse?: (nowMs: number) => number;
  /** token_info's fields: numbers as strings (default), or blank as in the vendor's published sample. */
  tokenInfo?: 'numbers' | 'blank';
  /** Where the vendor differs from our reading of it; default: it does not. */
  vendor?: VendorModel;
  /** Fixed delay before every answer; default 0. */
  latencyMs?: number;
  /** The simulator's clock (epoch ms), default Date.now: daily limit, maintenance and late data. */
  now?: () => number;
  /** A call is visible only once now() >= its end instant + reportDelayMs; default 0. */
  reportDelayMs?: number;
  /** How a valid range with no visible calls is answered; default '404'. */
  emptyStyle?: EmptyStyle;
  /** Send the body's code as "200" instead of 200. */
  codeAsString?: boolean;
  /** While true, every call answers the maintenance 403. */
  maintenance?: (nowMs: number) => boolean;
  /** Per-request fault hook, consulted when no injected fault is queued. */
  faultFor?: (req: FaultRequest) => Fault | undefined;
  /** Default 0 (ephemeral); the host is always 127.0.0.1. */
  port?: number;
}

export interface SimulatorLogEntry {
  dateIni: string | null;
  dateEnd: string | null;
  /** HTTP status sent; 0 while in flight or when the connection ended without an answer. */
  status: number;
  /** Real epoch ms (Date.now, not options.now). */
  startedAt: number;
  /** Real epoch ms; 0 while in flight. */
  endedAt: number;
}

export interface SimulatorStats {
  requests: number;
  /** Requests of the cdr_4 report (reports_manager.php), leaving token_info and stray paths out. */
  reportRequests: number;
  inFlight: number;
  maxInFlight: number;
  byStatus: Record<number, number>;
  rejectedConcurrent: number;
  log: Array<SimulatorLogEntry>;
}

export interface IntervalTotals {
  calls: number;
  seconds: number;
}

export interface Simulator {
  readonly origin: string;
  inject(fault: Fault, times?: number): void;
  setToken(token: string): void;
  readonly stats: SimulatorStats;
  /** What the vendor answers for a range now (by its VendorModel, calls not yet visible left out), without spending a call. */
  trueTotals(dateIni: string, dateEnd: string): Record<string, IntervalTotals>;
  /** What the vendor answers for a range for good, once every call it will ever count there is visible: its final answer, without spending a call. */
  finalTotals(dateIni: string, dateEnd: string): Record<string, IntervalTotals>;
  close(): Promise<void>;
}
