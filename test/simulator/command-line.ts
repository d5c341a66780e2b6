/**
 * The simulator's command line (`npm run simulator`): its flags as SimulatorOptions, the
 * failure switches as a seeded fault hook, and every bad value as one line naming it.
 */
import { ConfigError } from '../../lambda/domain/errors.ts';
import { isValidTimeZone } from '../../lambda/domain/wall-clock.ts';
import { parseFlags } from '../../lambda/local/flags.ts';
import { prng } from './synthetic-calls.ts';
import type { EmptyStyle, Fault, SimulatorOptions, TrafficProfile } from './types.ts';

export const DEFAULT_PORT = 8080;

const PROFILES: readonly TrafficProfile['kind'][] = ['office', 'business-hours', 'busy'];
const EMPTY_STYLES: readonly EmptyStyle[] = ['404', 'empty-object', 'empty-array', 'null', 'zeros'];

/** The failure switches, by the name given on the command line. */
const FAULTS = {
  http500: { kind: 'http500' },
  http502: { kind: 'http502' },
  http503: { kind: 'http503' },
  hang: { kind: 'hang' },
  'bad-json': { kind: 'badJson' },
  'bad-shape': { kind: 'badShape' },
  maintenance: { kind: 'maintenance' },
  'token-limit': { kind: 'tokenLimit' },
  concurrency: { kind: 'concurrency' },
  'invalid-token': { kind: 'invalidToken' },
  slow: { kind: 'slow', ms: 0 },
} as const satisfies Record<string, Fault>;

export const SIMULATOR_USAGE = `Usage: npm run simulator -- [--port N] [--token T] [--server S] [--tz ZONE] [--seed N]
        [--profile office|business-hours|busy] [--latency MS] [--report-delay MS]
        [--daily-limit N] [--empty-style ${EMPTY_STYLES.join('|')}] [--code-as-string]
        [--fault KIND[=SHARE]]... [--slow-ms MS]

A faithful Wolkvox cdr_4 API on 127.0.0.1, for npm start to call as it would call Wolkvox.
  --port N            port to listen on (default ${DEFAULT_PORT}; 0: any free port)
  --token T           the token it accepts (default sim-token-0001)
  --server S          the server nomenclature it answers as (default 0032)
  --tz ZONE           the operation's time zone (default America/Bogota)
  --seed N            seed of the synthetic calls and of the faults (default 1)
  --profile P         office (default): calls around the clock; business-hours: weekdays
                      08:00-18:00 and Saturday mornings, 1% of calls lasting 1-2.5 h;
                      busy: 07:00-20:00 busy, lighter around the clock
  --latency MS        delay before every answer (default 0)
  --report-delay MS   a call shows in the report this long after it ends (default 0)
  --daily-limit N     calls per token and day before TOKEN LIMIT EXCEEDED (default 1000000)
  --empty-style S     how a range without calls is answered (default 404)
  --code-as-string    send the body's code as "200" instead of 200
  --fault KIND[=SHARE]  answer this share of cdr_4 calls (default 1: every one) with a
                      failure; repeatable: ${Object.keys(FAULTS).join(', ')}
  --slow-ms MS        how much slower a 'slow' fault answers (default 5000)
  --help              this text
Then, in another terminal:
  WOLKVOX_BASE_URL=http://127.0.0.1:${DEFAULT_PORT} WOLKVOX_TOKEN=sim-token-0001 WOLKVOX_SERVER=0032 npm start`;

export interface SimulatorCommand {
  readonly help: boolean;
  readonly options: SimulatorOptions & { readonly port: number };
  /** The token it accepts, to print. */
  readonly token: string;
}

function whole(name: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > max) throw new ConfigError(`--${name}: "${text}" is not a whole number from 0 to ${max}`);
  return n;
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new ConfigError(`--${name}: "${text}" is not one of ${allowed.join(', ')}`);
  return text as T;
}

/** `KIND[=SHARE]` flags as a fault hook: each call draws once from the seed, faults in the order given. */
function faultHook(specs: readonly string[], seed: number, slowMs: number): SimulatorOptions['faultFor'] {
  const faults = specs.map((spec) => {
    const [name = '', shareText] = spec.split('=');
    const fault = oneOf('fault', name, Object.keys(FAULTS) as (keyof typeof FAULTS)[])!;
    const share = shareText === undefined ? 1 : Number(shareText);
    if (!(share > 0 && share <= 1)) throw new ConfigError(`--fault ${spec}: the share must be a number above 0 and at most 1 (e.g. http503=0.1)`);
    return { fault: fault === 'slow' ? { kind: 'slow' as const, ms: slowMs } : FAULTS[fault], share };
  });
  if (faults.length === 0) return undefined;
  const rnd = prng(seed);
  return () => {
    let draw = rnd();
    for (const { fault, share } of faults) {
      if (draw < share) return fault;
      draw -= share;
    }
    return undefined;
  };
}

export function parseSimulatorArgs(argv: readonly string[]): SimulatorCommand {
  const { values } = parseFlags(argv, {
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      server: { type: 'string' },
      tz: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      latency: { type: 'string' },
      'report-delay': { type: 'string' },
      'daily-limit': { type: 'string' },
      'empty-style': { type: 'string' },
      'code-as-string': { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      'slow-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    helpCommand: 'npm run simulator -- --help',
  });
  const token = values.token ?? 'sim-token-0001';
  if (token === '') throw new ConfigError('--token: must not be empty');
  if (values.server !== undefined && !/^[A-Za-z0-9-]{1,32}$/.test(values.server)) throw new ConfigError(`--server: "${values.server}" is not a server nomenclature (letters, digits and "-")`);
  if (values.tz !== undefined && !isValidTimeZone(values.tz)) throw new ConfigError(`--tz: "${values.tz}" is not an IANA time zone (e.g. America/Bogota)`);
  const seed = whole('seed', values.seed) ?? 1;
  const profile = oneOf('profile', values.profile, PROFILES);
  const faultFor = faultHook(values.fault ?? [], seed, whole('slow-ms', values['slow-ms']) ?? 5_000);
  return {
    help: values.help ?? false,
    token,
    options: {
      port: whole('port', values.port, 65_535) ?? DEFAULT_PORT,
      token,
      ...(values.server !== undefined ? { server: values.server } : {}),
      ...(values.tz !== undefined ? { timeZone: values.tz } : {}),
      seed,
      ...(profile ? { traffic: { kind: profile } } : {}),
      latencyMs: whole('latency', values.latency),
      reportDelayMs: whole('report-delay', values['report-delay']),
      dailyLimit: whole('daily-limit', values['daily-limit']),
      emptyStyle: oneOf('empty-style', values['empty-style'], EMPTY_STYLES),
      codeAsString: values['code-as-string'],
      ...(faultFor ? { faultFor } : {}),
    },
  };
}
