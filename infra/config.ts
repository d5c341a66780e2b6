/**
 * Stack configuration, read from CDK context (`cdk.json` or `-c key=value`) and validated with
 * zod at synth time. Every key lives under the `wolkvox:` namespace so it can be overridden one
 * at a time on the command line:
 *
 *   npx cdk deploy -c wolkvox:alarmEmail=ops@example.com \
 *     -c 'wolkvox:operations=[{"server":"0032"},{"server":"0045","timezone":"America/Mexico_City"}]'
 *
 * Values given with `-c` arrive as strings: numbers are accepted as numeric strings and
 * `wolkvox:operations` as a JSON string. Errors name the offending context key and path.
 */
import { z } from 'zod';
import { CHECK_SHARE_BOUNDS, readReserve, reserveText, SILENT_DAYS_BOUNDS, TOKEN_INFO_EVERY_MINUTES_BOUNDS } from '../lambda/domain/allowance-settings.ts';
import { DEFAULT_PREFIX, IAM_PATTERN_CHARACTERS, PREFIX_PATTERN, SERVER_PATTERN } from '../lambda/domain/layout.ts';
import { isValidTimeZone } from '../lambda/domain/wall-clock.ts';
import { inMainStack, MAX_STACK_NAME_LENGTH, operationStackName } from './placement.ts';

/** Context keys read by {@link loadConfig}. */
export const CONTEXT_KEYS = {
  stackName: 'wolkvox:stackName',
  prefix: 'wolkvox:prefix',
  databaseName: 'wolkvox:databaseName',
  alarmEmail: 'wolkvox:alarmEmail',
  logRetentionDays: 'wolkvox:logRetentionDays',
  noncurrentVersionExpirationDays: 'wolkvox:noncurrentVersionExpirationDays',
  athenaResultsExpirationDays: 'wolkvox:athenaResultsExpirationDays',
  accessLogsExpirationDays: 'wolkvox:accessLogsExpirationDays',
  athenaBytesScannedCutoffMb: 'wolkvox:athenaBytesScannedCutoffMb',
  firstDay: 'wolkvox:firstDay',
  dashboard: 'wolkvox:dashboard',
  operations: 'wolkvox:operations',
} as const;

export const DEFAULTS = {
  stackName: 'WolkvoxCdr4Collector',
  prefix: DEFAULT_PREFIX,
  databaseName: 'wolkvox',
  timezone: 'America/Bogota',
  logRetentionDays: 30,
  noncurrentVersionExpirationDays: 30,
  athenaResultsExpirationDays: 7,
  accessLogsExpirationDays: 90,
  athenaBytesScannedCutoffMb: 1024,
  dashboard: true,
} as const;

/** Earliest accepted first day: anything before is a typo, not history this collector could hold. */
export const EARLIEST_FIRST_DAY = '2000-01-01';

/** Retention periods CloudWatch Logs accepts (aws-logs RetentionDays, without "infinite"). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Secrets Manager secret names: 1-512 of these characters. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** `-c key=30` arrives as the string "30": accept integers and integer strings. */
function integer(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be an integer' }).int('must be an integer').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`),
  );
}

/** A decimal, as a number or a numeric string (`"0.5"`). */
function decimal(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be a decimal number such as 0.5 (a share, not a percentage)' }).min(min, `must be >= ${min}`).max(max, `must be <= ${max}`),
  );
}

/**
 * TOKEN_RESERVE as the collector reads it (lambda/domain/allowance-settings.ts): a share of the
 * token's daily limit as a string (`"20%"`) or a number of calls (`200` or `"200"`); passed on
 * as the collector writes it.
 */
function tokenReserve() {
  return z.union([z.string(), z.number()], { error: 'must be a percentage of the token\'s daily limit such as "20%" or a whole number of calls such as 200' }).transform((v, ctx) => {
    const read = readReserve(String(v).trim());
    if ('reserve' in read) return reserveText(read.reserve);
    ctx.addIssue({ code: 'custom', message: read.problem, input: v });
    return z.NEVER;
  });
}

/** `-c key=false` arrives as the string "false": accept booleans and their strings. */
function boolean() {
  return z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'must be true or false' }));
}

/** True for an existing YYYY-MM-DD date (2026-02-30 is not). */
function isCalendarDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** The UTC calendar date of `now` plus `days`, as YYYY-MM-DD. */
function utcDay(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * First day of the `dt` partition projection: a real calendar date, not before
 * {@link EARLIEST_FIRST_DAY}, and not after tomorrow (UTC) at synth time, since the projection
 * would then start after its own end (`NOW+1DAYS`).
 */
function firstDaySchema(now: Date) {
  return z
    .string({ error: 'is required: the first operation day you collect or backfill, YYYY-MM-DD (docs/infrastructure.md, "Configuration")' })
    .superRefine((d, ctx) => {
      const problem = !/^\d{4}-\d{2}-\d{2}$/.test(d)
        ? 'must be a date YYYY-MM-DD'
        : !isCalendarDate(d)
          ? 'must be a calendar date'
          : d < EARLIEST_FIRST_DAY
            ? `must not be before ${EARLIEST_FIRST_DAY}`
            : d > utcDay(now, 1)
              ? 'must not be in the future'
              : undefined;
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: d });
    });
}

/** `wolkvox:prefix`: one message, the first problem found, so that a `*` is told why it is refused. */
function prefixSchema() {
  return z.string().superRefine((p, ctx) => {
    const problem =
      // The collector treats an empty DATA_PREFIX as unset and falls back to its default prefix,
      // so an empty prefix here would point Athena and the IAM policy at the wrong keys.
      p === ''
        ? 'must not be empty (the collector reads an empty DATA_PREFIX as unset)'
        : IAM_PATTERN_CHARACTERS.test(p)
          ? `must not contain ${JSON.stringify(IAM_PATTERN_CHARACTERS.exec(p)?.[0])}: the prefix is part of the collector roles' resource ARNs, where IAM reads * and ? as wildcards (over other operations' keys) and \${…} as a policy variable`
          : p.split('/').some((s) => s === '.' || s === '..')
            ? 'must not contain "." or ".." segments'
            : !PREFIX_PATTERN.test(p)
              ? 'must be S3-safe path segments separated by "/" (letters, digits and !_.\'()-; no leading/trailing slash, no "=")'
              : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: p });
  });
}

const OPERATION_KEYS = [
  'server',
  'timezone',
  'tokenSecretName',
  'settleMinutes',
  'restateAfterMinutes',
  'dailyCallCap',
  'tokenReserve',
  'checkShare',
  'tokenInfoEveryMinutes',
  'silentDays',
  'mainStack',
] as const;

/**
 * Operations a main stack may hold: a stack made before operation stacks stopped at 23 (its 24th
 * operation passed CloudFormation's 500 resources), so no existing deployment has more to keep there.
 */
export const MAX_MAIN_STACK_OPERATIONS = 23;

export const operationSchema = z.strictObject(
  {
    /** Wolkvox server nomenclature, e.g. "0032". Becomes part of a host name, S3 keys and resource names. */
    server: z.string({ error: 'is required (a Wolkvox server nomenclature such as "0032")' }).regex(SERVER_PATTERN, `must match ${SERVER_PATTERN}`),
    /** IANA zone of the operation's wall clock. Default America/Bogota. */
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone such as "America/Bogota"' })
      .default(DEFAULTS.timezone),
    /** Name of an existing secret (same account and region) holding the token. Default: a new, empty secret is created. */
    tokenSecretName: z.string().regex(SECRET_NAME_PATTERN, 'must be a Secrets Manager secret name (letters, digits and /_+=.@-)').optional(),
    /** Minutes to wait after a window ends before collecting it. Default: unset, the collector's own default applies. */
    settleMinutes: integer(0, 1440).optional(),
    /** Re-collect each window this long after it ended, for late calls; 0 turns it off. Default: unset, the collector's default (90) applies. */
    restateAfterMinutes: integer(0, 10_080).optional(),
    /** At most this many API calls per operation day (the token's limit is shared). Default: no cap of our own. */
    dailyCallCap: integer(1, 10_000_000).optional(),
    /**
     * Kept of the token's daily limit for other integrations (TOKEN_RESERVE): `"20%"` of the
     * limit (0%-90%) or a number of calls (`200`). Default: unset, the collector's default (20%) applies.
     */
    tokenReserve: tokenReserve().optional(),
    /** Verification's and reconciliation's share of an operation day's calls (CHECK_SHARE), 0.05-1. Default: unset, the collector's default (0.5) applies. */
    checkShare: decimal(CHECK_SHARE_BOUNDS.min, CHECK_SHARE_BOUNDS.max).optional(),
    /** token_info (the token's limit and use) is read at most this often, in minutes (TOKEN_INFO_EVERY_MINUTES). Default: unset, the collector's default (60) applies. */
    tokenInfoEveryMinutes: integer(TOKEN_INFO_EVERY_MINUTES_BOUNDS.min, TOKEN_INFO_EVERY_MINUTES_BOUNDS.max).optional(),
    /** Days without a call in any answer before the ReportSilent alarm (SILENT_DAYS). Default: unset, the collector's default (7) applies. */
    silentDays: integer(SILENT_DAYS_BOUNDS.min, SILENT_DAYS_BOUNDS.max).optional(),
    /**
     * Keep the operation's resources in the main stack, where a deployment made before operation
     * stacks created them: moving them to a stack of their own would replace its secret (and
     * token), function and schedule. Default: a stack of its own, `{stackName}-{server}`.
     */
    mainStack: boolean().optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (allowed: ${OPERATION_KEYS.join(', ')})` : undefined,
  },
);

export type OperationConfig = z.output<typeof operationSchema>;

const operationsSchema = z.preprocess(
  (v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array when given as a string', input: v });
      return z.NEVER;
    }
  },
  z
    .array(operationSchema, { error: `is required: a list of { server, ${OPERATION_KEYS.filter((k) => k !== 'server').map((k) => `${k}?`).join(', ')} }` })
    .min(1, 'must list at least one operation')
    .superRefine((ops, ctx) => {
      // Logical ids, output names and the Athena enum all key on the server: two servers that only
      // differ by case or hyphens would collide in CloudFormation logical ids.
      const seen = new Map<string, number>();
      ops.forEach((op, i) => {
        const key = op.server.replace(/-/g, '').toLowerCase();
        const first = seen.get(key);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: [i, 'server'], message: `duplicates operation ${first} ("${ops[first]?.server}")`, input: op.server });
        } else {
          seen.set(key, i);
        }
      });
      const secrets = new Map<string, number>();
      ops.forEach((op, i) => {
        if (op.tokenSecretName === undefined) return;
        const first = secrets.get(op.tokenSecretName);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'tokenSecretName'],
            message: `is already used by operation ${first}: each operation needs its own token (the daily budget is per token)`,
            input: op.tokenSecretName,
          });
        } else {
          secrets.set(op.tokenSecretName, i);
        }
      });
      const inMain = ops.filter(inMainStack).length;
      if (inMain > MAX_MAIN_STACK_OPERATIONS) {
        ctx.addIssue({
          code: 'custom',
          message: `${inMain} operations have "mainStack": true; the main stack holds at most ${MAX_MAIN_STACK_OPERATIONS} (it is only for operations deployed before operation stacks)`,
          input: inMain,
        });
      }
    }),
);

export function configSchema(now: Date = new Date()) {
  return z.object({
    [CONTEXT_KEYS.stackName]: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name (letter first, then letters, digits, hyphens)')
      .default(DEFAULTS.stackName),
    [CONTEXT_KEYS.prefix]: prefixSchema().default(DEFAULTS.prefix),
    [CONTEXT_KEYS.databaseName]: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,254}$/, 'must be a Glue database name (lower-case letter first, then a-z, 0-9, _)')
      .default(DEFAULTS.databaseName),
    [CONTEXT_KEYS.alarmEmail]: z.preprocess(
      (v) => (v === '' || v === null ? undefined : v),
      z.email('must be an e-mail address (or empty for no subscription)').optional(),
    ),
    [CONTEXT_KEYS.logRetentionDays]: integer(1, 3653)
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d as number), {
        error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(DEFAULTS.logRetentionDays),
    [CONTEXT_KEYS.noncurrentVersionExpirationDays]: integer(1, 3650).default(DEFAULTS.noncurrentVersionExpirationDays),
    [CONTEXT_KEYS.athenaResultsExpirationDays]: integer(1, 3650).default(DEFAULTS.athenaResultsExpirationDays),
    [CONTEXT_KEYS.accessLogsExpirationDays]: integer(1, 3650).default(DEFAULTS.accessLogsExpirationDays),
    // Athena's minimum per-query cutoff is 10 MB.
    [CONTEXT_KEYS.athenaBytesScannedCutoffMb]: integer(10, 1_048_576).default(DEFAULTS.athenaBytesScannedCutoffMb),
    // No default: the projection must start where the data starts (a too-early start makes every
    // query without a dt filter list thousands of empty days).
    [CONTEXT_KEYS.firstDay]: firstDaySchema(now),
    [CONTEXT_KEYS.dashboard]: boolean().default(DEFAULTS.dashboard),
    [CONTEXT_KEYS.operations]: operationsSchema,
  }).superRefine((c, ctx) => {
    c[CONTEXT_KEYS.operations].forEach((op, i) => {
      const name = operationStackName(c[CONTEXT_KEYS.stackName], op.server);
      if (!inMainStack(op) && name.length > MAX_STACK_NAME_LENGTH) {
        ctx.addIssue({ code: 'custom', path: [CONTEXT_KEYS.operations, i, 'server'], message: `makes the stack name "${name}" longer than ${MAX_STACK_NAME_LENGTH} characters: shorten wolkvox:stackName`, input: op.server });
      }
    });
  });
}

/** The validated configuration, with defaults applied. */
export interface CollectorConfig {
  readonly stackName: string;
  /** S3 key prefix of everything the collector writes (not empty). */
  readonly prefix: string;
  readonly databaseName: string;
  readonly alarmEmail?: string;
  readonly logRetentionDays: number;
  readonly noncurrentVersionExpirationDays: number;
  readonly athenaResultsExpirationDays: number;
  readonly accessLogsExpirationDays: number;
  readonly athenaBytesScannedCutoffMb: number;
  /** First day (YYYY-MM-DD) of the `dt` partition projection of every table. */
  readonly firstDay: string;
  /** Whether the CloudWatch dashboard is created. */
  readonly dashboard: boolean;
  readonly operations: readonly OperationConfig[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads a context value; anything with a `tryGetContext` works (an App's or a construct's node). */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/**
 * Validates the `wolkvox:*` context keys. Pass `allContext` (e.g. `app.node.getAllContext()`)
 * to also reject unknown `wolkvox:*` keys, which are most likely typos. Throws a {@link ConfigError} listing every problem,
 * each prefixed with the context key and the path inside it, e.g.
 * `wolkvox:operations[1].timezone: must be an IANA time zone such as "America/Bogota"`.
 */
export function loadConfig(source: ContextSource, allContext?: Record<string, unknown>, now: Date = new Date()): CollectorConfig {
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  const unknown = Object.keys(allContext ?? {}).filter((k) => k.startsWith('wolkvox:') && !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Invalid CDK context (see docs/infrastructure.md, "Configuration"):\n${unknown
        .map((k) => `  - ${k}: unknown key (known: ${[...known].join(', ')})`)
        .join('\n')}`,
    );
  }
  const raw: Record<string, unknown> = {};
  for (const key of Object.values(CONTEXT_KEYS)) {
    const value = source.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  return parseConfig(raw, now);
}

/** Same as {@link loadConfig} from a plain object of context keys; `now` bounds `wolkvox:firstDay`. */
export function parseConfig(raw: Record<string, unknown>, now: Date = new Date()): CollectorConfig {
  const result = configSchema(now).safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`Invalid CDK context (see docs/infrastructure.md, "Configuration"):\n${lines.join('\n')}`);
  }
  const c = result.data;
  return {
    stackName: c[CONTEXT_KEYS.stackName],
    prefix: c[CONTEXT_KEYS.prefix],
    databaseName: c[CONTEXT_KEYS.databaseName],
    ...(c[CONTEXT_KEYS.alarmEmail] !== undefined ? { alarmEmail: c[CONTEXT_KEYS.alarmEmail] } : {}),
    logRetentionDays: c[CONTEXT_KEYS.logRetentionDays] as number,
    noncurrentVersionExpirationDays: c[CONTEXT_KEYS.noncurrentVersionExpirationDays] as number,
    athenaResultsExpirationDays: c[CONTEXT_KEYS.athenaResultsExpirationDays] as number,
    accessLogsExpirationDays: c[CONTEXT_KEYS.accessLogsExpirationDays] as number,
    athenaBytesScannedCutoffMb: c[CONTEXT_KEYS.athenaBytesScannedCutoffMb] as number,
    firstDay: c[CONTEXT_KEYS.firstDay],
    dashboard: c[CONTEXT_KEYS.dashboard] as boolean,
    operations: c[CONTEXT_KEYS.operations],
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  let out = String(head ?? '(context)');
  for (const part of rest) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}
