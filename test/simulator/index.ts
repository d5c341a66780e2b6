/**
 * A faithful local simulator of the Wolkvox reports API (`cdr_4`, plus `token_info`),
 * following /work/shared/reference/wolkvox-api-notes.md. Loopback only.
 */
import { isValidTimeZone } from '../../lambda/domain/wall-clock.ts';
import { rangeTotals, SimulatorServer, type SimulatorConfig } from './server.ts';
import { CallSource, DEFAULT_LONG_CALL_SHARE, type IntervalKey } from './synthetic-calls.ts';
import type { IntervalTotals, Simulator, SimulatorOptions, TrafficProfile } from './types.ts';

export type {
  EmptyStyle,
  Fault,
  VendorModel,
  FaultRequest,
  IntervalTotals,
  Simulator,
  SimulatorLogEntry,
  SimulatorOptions,
  SimulatorStats,
  TrafficProfile,
} from './types.ts';
export { MESSAGES, COST_PER_MINUTE } from './responses.ts';
export { BUSINESS_RATE, BUSY_HOURLY_RATE, DEFAULT_LONG_CALL_SHARE, HOURLY_RATE, INTERVAL_KEYS, intervalKeyOf, isBusinessOpen, ratePerMinute, type IntervalKey } from './synthetic-calls.ts';
export { INFORMATION_PATH, REPORTS_PATH } from './server.ts';

export const DEFAULT_TOKEN = 'sim-token-0001';

/** The profile with its defaults filled in; rejects what plain-JS callers could pass wrong. */
function resolveTraffic(traffic: TrafficProfile | undefined): TrafficProfile {
  if (traffic === undefined) return { kind: 'office' };
  switch (traffic.kind) {
    case 'office':
    case 'busy':
      return { kind: traffic.kind };
    case 'business-hours': {
      const longCallShare = traffic.longCallShare ?? DEFAULT_LONG_CALL_SHARE;
      if (!Number.isFinite(longCallShare) || longCallShare < 0 || longCallShare > 1) throw new RangeError(`longCallShare must be in [0, 1], got ${longCallShare}`);
      return { kind: 'business-hours', longCallShare };
    }
    default:
      throw new RangeError(`unknown traffic kind ${String((traffic as { kind: unknown }).kind)}`);
  }
}

function resolve(options: SimulatorOptions): SimulatorConfig {
  const config: SimulatorConfig = {
    token: options.token ?? DEFAULT_TOKEN,
    server: options.server ?? '0032',
    timeZone: options.timeZone ?? 'America/Bogota',
    seed: options.seed ?? 1,
    traffic: resolveTraffic(options.traffic),
    dailyLimit: options.dailyLimit ?? 1_000_000,
    othersUse: options.othersUse ?? (() => 0),
    tokenInfo: options.tokenInfo ?? 'numbers',
    vendor: { dateEnd: options.vendor?.dateEnd ?? 'inclusive', countCallsAt: options.vendor?.countCallsAt ?? 'start', answer404: options.vendor?.answer404 ?? false, intervalKeys: options.vendor?.intervalKeys ?? {} },
    latencyMs: options.latencyMs ?? 0,
    now: options.now ?? Date.now,
    reportDelayMs: options.reportDelayMs ?? 0,
    emptyStyle: options.emptyStyle ?? '404',
    codeAsString: options.codeAsString ?? false,
    maintenance: options.maintenance ?? (() => false),
    faultFor: options.faultFor ?? (() => undefined),
    port: options.port ?? 0,
  };
  if (config.token === '') throw new RangeError('token must not be empty');
  if (!/^[A-Za-z0-9-]+$/.test(config.server)) throw new RangeError('server must match [A-Za-z0-9-]+');
  if (!isValidTimeZone(config.timeZone)) throw new RangeError(`unknown time zone ${config.timeZone}`);
  return config;
}

/** Starts the simulator on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const server = new SimulatorServer(resolve(options));
  await server.listen();
  return server;
}

/**
 * What a simulator with these options would answer for a vendor range at `nowMs` (default:
 * the options' clock), without starting a server: for benches and tests that only need the
 * truth. Throws a RangeError for a range the vendor would refuse.
 */
export function trueTotalsOf(options: SimulatorOptions, dateIni: string, dateEnd: string, nowMs?: number): Record<IntervalKey, IntervalTotals> {
  const config = resolve(options);
  return rangeTotals(new CallSource(config.seed, config.timeZone, config.traffic), dateIni, dateEnd, nowMs ?? config.now(), config.reportDelayMs, config.vendor);
}
