/**
 * A faithful local simulator of the Wolkvox reports API (`cdr_4`, plus `token_info`),
 * following /work/shared/reference/wolkvox-api-notes.md. Loopback only.
 */
import { isValidTimeZone } from '../../lambda/domain/wall-clock.ts';
import { SimulatorServer, type SimulatorConfig } from './server.ts';
import type { Simulator, SimulatorOptions } from './types.ts';

export type { EmptyStyle, Fault, FaultRequest, IntervalTotals, Simulator, SimulatorLogEntry, SimulatorOptions, SimulatorStats } from './types.ts';
export { MESSAGES, COST_PER_MINUTE } from './responses.ts';
export { INTERVAL_KEYS, intervalKeyOf } from './synthetic-calls.ts';
export { INFORMATION_PATH, REPORTS_PATH } from './server.ts';

export const DEFAULT_TOKEN = 'sim-token-0001';

function resolve(options: SimulatorOptions): SimulatorConfig {
  const config: SimulatorConfig = {
    token: options.token ?? DEFAULT_TOKEN,
    server: options.server ?? '0032',
    timeZone: options.timeZone ?? 'America/Bogota',
    seed: options.seed ?? 1,
    dailyLimit: options.dailyLimit ?? 1_000_000,
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
