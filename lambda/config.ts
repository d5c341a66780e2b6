// zod/mini: the classic API is ~440 KB in the bundle, mini ~20 KB (cold start, issue 5).
import * as z from 'zod/mini';
import { parseDay } from './domain/day.ts';
import { ConfigError } from './domain/errors.ts';
import { DEFAULT_PREFIX, PREFIX_PATTERN, SERVER_PATTERN } from './domain/layout.ts';
import { LAMBDA_ENV } from './domain/metrics.ts';
import { TOKEN_PATTERN } from './domain/token.ts';
import { DEFAULT_TOKEN_INFO_EVERY_MINUTES } from './collector/allowance.ts';
import { CHECK_SHARE_BOUNDS, readReserve, SILENT_DAYS_BOUNDS, TOKEN_INFO_EVERY_MINUTES_BOUNDS } from './domain/allowance-settings.ts';
import { DEFAULT_CHECK_SHARE, DEFAULT_RESERVE, DEFAULT_SILENT_DAYS, type Reserve } from './domain/vendor-model.ts';
import { canonicalTimeZone, isValidTimeZone } from './domain/wall-clock.ts';

/** Settings shared by the Lambda and the CLI, read once at start and typed inside. */
export interface CollectorSettings {
  readonly server: string;
  readonly timeZone: string;
  readonly baseUrl: string;
  readonly prefix: string;
  readonly settleMinutes: number;
  /** Per-request timeout; the vendor lets a report run for up to 60 s. */
  readonly requestTimeoutMs: number;
  /** Re-collect each window this long after it ended, for late calls; 0 turns it off. */
  readonly restateAfterMinutes: number;
  /** Our own daily cap of API calls (the token's limit is shared with other integrations). */
  readonly dailyCallCap: number | undefined;
  /** A day is verified against the vendor's day total once this long has passed since it ended. */
  readonly verifyAfterMinutes: number;
  /** In quiet periods, windows are stored at most this long after they end (one call for all of them); 0 turns quiet periods off. */
  readonly quietFreshnessMinutes: number;
  /** Kept of the token's daily limit for other integrations (TOKEN_RESERVE): a share of the limit, or calls. */
  readonly tokenReserve: Reserve;
  /** Verification's and reconciliation's share of an operation day's calls (CHECK_SHARE). */
  readonly checkShare: number;
  /** token_info is read at most this often, in minutes, before history spends calls (TOKEN_INFO_EVERY_MINUTES). */
  readonly tokenInfoEveryMinutes: number;
  /** Days without a call in any answer before the report is suspicious (SILENT_DAYS). */
  readonly silentDays: number;
}

export const DEFAULT_TIMEZONE = 'America/Bogota';

/** The settings of the token's allowance, of checking and of the no-calls alarm when their variables are unset: the engine's own defaults. */
export const ALLOWANCE_DEFAULTS: Pick<CollectorSettings, 'tokenReserve' | 'checkShare' | 'tokenInfoEveryMinutes' | 'silentDays'> = {
  tokenReserve: DEFAULT_RESERVE,
  checkShare: DEFAULT_CHECK_SHARE,
  tokenInfoEveryMinutes: DEFAULT_TOKEN_INFO_EVERY_MINUTES,
  silentDays: DEFAULT_SILENT_DAYS,
};

const server = z.string().check(z.regex(SERVER_PATTERN, 'must be the server nomenclature: 1-32 letters, digits or "-" (e.g. 0032)'));
// Canonical spelling (america/bogota -> America/Bogota): the zone is recorded in the store and
// compared on every run, so one zone must have one name.
const timeZone = z.pipe(z.string().check(z.refine(isValidTimeZone, 'is not an IANA time zone (e.g. America/Bogota)')), z.transform(canonicalTimeZone));
function parseOrigin(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
/**
 * Hosts plain http may reach: the token header must never cross a network in clear, so http
 * is for a simulator on this machine only. URL has already normalised the host (127.1 and
 * 0x7f.0.0.1 read as 127.0.0.1, LOCALHOST as localhost, IPv6 in brackets).
 */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
const baseUrl = z.pipe(
  z.string().check(
    z.refine((u) => parseOrigin(u) !== undefined, 'must be an http(s) origin such as https://wv0032.wolkvox.com'),
    z.refine((u) => {
      const url = parseOrigin(u);
      return !url || (url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password);
    }, 'must be an origin only: scheme, host and port, no path, query or credentials'),
    z.refine((u) => {
      const url = parseOrigin(u);
      return !url || url.protocol === 'https:' || isLoopbackHost(url.hostname);
    }, 'must be https://, or http:// to a loopback address (127.0.0.1, [::1], localhost) such as a simulator: the token header must not cross a network in clear'),
  ),
  z.transform((u: string) => new URL(u).origin),
);
// A sign is read, so that -3 is told it is out of range rather than not a number.
const intText = (min: number, max: number) =>
  z.pipe(z.string().check(z.regex(/^-?\d+$/, 'must be a whole number')), z.transform(Number)).check(z.refine((n: number) => n >= min && n <= max, `must be between ${min} and ${max}`));
const prefix = z.string().check(z.regex(PREFIX_PATTERN, 'must be S3 key segments of letters, digits and !_.\'()- joined by "/" (no "*" or "?": IAM would read them as wildcards)'));
/** wolkvox:firstDay as the stack passes it: a calendar date, where no backfill request may start before. */
const firstDay = z.string().check(z.refine((d) => parseDay(d) !== undefined, 'must be a calendar date YYYY-MM-DD (wolkvox:firstDay): no backfill request starts before it'));
// A decimal such as 0.5; a sign is read, as for whole numbers.
const decimalText = (min: number, max: number) =>
  z
    .pipe(z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number such as 0.5 (a share, not a percentage)')), z.transform(Number))
    .check(z.refine((n: number) => n >= min && n <= max, `must be between ${min} and ${max}`));
// TOKEN_RESERVE: 20% (of the token's daily limit) or 200 (calls).
const tokenReserve = z.pipe(
  z.string(),
  z.transform((text: string, ctx): Reserve => {
    const read = readReserve(text);
    if ('reserve' in read) return read.reserve;
    ctx.issues.push({ code: 'custom', message: read.problem, input: text });
    return z.NEVER;
  }),
);
const bucket = z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'));

const sharedEnv = {
  [LAMBDA_ENV.server]: server,
  [LAMBDA_ENV.timeZone]: z._default(timeZone, DEFAULT_TIMEZONE),
  [LAMBDA_ENV.baseUrl]: z.optional(baseUrl),
  [LAMBDA_ENV.prefix]: z._default(prefix, DEFAULT_PREFIX),
  [LAMBDA_ENV.settleMinutes]: z._default(intText(0, 1440), 5),
  WOLKVOX_REQUEST_TIMEOUT_MS: z._default(intText(1000, 120_000), 65_000),
  [LAMBDA_ENV.restateAfterMinutes]: z._default(intText(0, 10_080), 90),
  [LAMBDA_ENV.dailyCallCap]: z.optional(intText(1, 10_000_000)),
  VERIFY_AFTER_MINUTES: z._default(intText(0, 10_080), 240),
  QUIET_FRESHNESS_MINUTES: z._default(intText(0, 1440), 30),
  [LAMBDA_ENV.tokenReserve]: z._default(tokenReserve, ALLOWANCE_DEFAULTS.tokenReserve),
  [LAMBDA_ENV.checkShare]: z._default(decimalText(CHECK_SHARE_BOUNDS.min, CHECK_SHARE_BOUNDS.max), ALLOWANCE_DEFAULTS.checkShare),
  [LAMBDA_ENV.tokenInfoEveryMinutes]: z._default(intText(TOKEN_INFO_EVERY_MINUTES_BOUNDS.min, TOKEN_INFO_EVERY_MINUTES_BOUNDS.max), ALLOWANCE_DEFAULTS.tokenInfoEveryMinutes),
  [LAMBDA_ENV.silentDays]: z._default(intText(SILENT_DAYS_BOUNDS.min, SILENT_DAYS_BOUNDS.max), ALLOWANCE_DEFAULTS.silentDays),
};

const lambdaEnvSchema = z.object({
  ...sharedEnv,
  [LAMBDA_ENV.tokenSecretId]: z.string().check(z.minLength(1, 'must name the Secrets Manager secret holding the token')),
  [LAMBDA_ENV.bucket]: bucket,
  // Required in Lambda (the stack sets it from wolkvox:firstDay); the CLI does not read it:
  // its ranges are run by whoever holds the bucket's credentials and the token.
  [LAMBDA_ENV.firstDay]: firstDay,
});

const cliEnvSchema = z.object({
  ...sharedEnv,
  [LAMBDA_ENV.server]: z.optional(server),
  WOLKVOX_TOKEN: z.optional(z.string().check(z.regex(TOKEN_PATTERN, 'must be the API token: 8-4096 visible ASCII characters, no spaces'))),
});

export interface LambdaConfig extends CollectorSettings {
  readonly tokenSecretId: string;
  readonly bucket: string;
  /** The operation's first day (`YYYY-MM-DD`, wolkvox:firstDay): a backfill request may not start before it. */
  readonly firstDay: string;
}

export interface CliEnvConfig extends Omit<CollectorSettings, 'server' | 'baseUrl'> {
  readonly server: string | undefined;
  readonly baseUrl: string | undefined;
  readonly token: string | undefined;
}

type Env = Record<string, string | undefined>;

/** Empty strings count as unset, as shells and CDK often pass them. */
function present(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

function fail(error: z.core.$ZodError): never {
  const lines = error.issues.map((issue) => {
    const name = issue.path.join('.') || 'environment';
    return `${name}: ${issue.code === 'invalid_type' ? 'is required' : issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
}

export function defaultBaseUrl(server: string): string {
  return `https://wv${server}.wolkvox.com`;
}

export function readLambdaConfig(env: Env): LambdaConfig {
  const parsed = lambdaEnvSchema.safeParse(present(env));
  if (!parsed.success) fail(parsed.error);
  const e = parsed.data;
  return {
    server: e.WOLKVOX_SERVER,
    timeZone: e.WOLKVOX_TIMEZONE,
    baseUrl: e.WOLKVOX_BASE_URL ?? defaultBaseUrl(e.WOLKVOX_SERVER),
    prefix: e.DATA_PREFIX,
    settleMinutes: e.SETTLE_MINUTES,
    requestTimeoutMs: e.WOLKVOX_REQUEST_TIMEOUT_MS,
    restateAfterMinutes: e.RESTATE_AFTER_MINUTES,
    dailyCallCap: e.DAILY_CALL_CAP,
    verifyAfterMinutes: e.VERIFY_AFTER_MINUTES,
    quietFreshnessMinutes: e.QUIET_FRESHNESS_MINUTES,
    tokenReserve: e.TOKEN_RESERVE,
    checkShare: e.CHECK_SHARE,
    tokenInfoEveryMinutes: e.TOKEN_INFO_EVERY_MINUTES,
    silentDays: e.SILENT_DAYS,
    tokenSecretId: e.WOLKVOX_TOKEN_SECRET_ID,
    bucket: e.BUCKET_NAME,
    firstDay: e.FIRST_DAY,
  };
}

export function readCliEnv(env: Env): CliEnvConfig {
  const parsed = cliEnvSchema.safeParse(present(env));
  if (!parsed.success) fail(parsed.error);
  const e = parsed.data;
  return {
    server: e.WOLKVOX_SERVER,
    timeZone: e.WOLKVOX_TIMEZONE,
    baseUrl: e.WOLKVOX_BASE_URL,
    prefix: e.DATA_PREFIX,
    settleMinutes: e.SETTLE_MINUTES,
    requestTimeoutMs: e.WOLKVOX_REQUEST_TIMEOUT_MS,
    restateAfterMinutes: e.RESTATE_AFTER_MINUTES,
    dailyCallCap: e.DAILY_CALL_CAP,
    verifyAfterMinutes: e.VERIFY_AFTER_MINUTES,
    quietFreshnessMinutes: e.QUIET_FRESHNESS_MINUTES,
    tokenReserve: e.TOKEN_RESERVE,
    checkShare: e.CHECK_SHARE,
    tokenInfoEveryMinutes: e.TOKEN_INFO_EVERY_MINUTES,
    silentDays: e.SILENT_DAYS,
    token: e.WOLKVOX_TOKEN,
  };
}
