import { MetricsTally, silentLog, type Log } from '../lambda/collector/ports.ts';
import type { CollectorDeps } from '../lambda/collector/vendor-caller.ts';
import type { ObjectStore } from '../lambda/storage/object-store.ts';
import { createCdr4Client } from '../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../lambda/wolkvox/token-provider.ts';

export const BENCH_TOKEN = 'tok-BENCH-000111222333';

export function benchDeps(origin: string, store: ObjectStore, clock: () => number = Date.now, log: Log = silentLog): CollectorDeps {
  const token = staticToken(BENCH_TOKEN);
  return { client: createCdr4Client({ baseUrl: origin, server: '0032', token, clock }), token, store, log, metrics: new MetricsTally(), clock, sleep: async () => {} };
}

export const baseSettings = {
  operation: '0032',
  prefix: 'bench',
  timeZone: 'America/Bogota',
  settleMinutes: 5,
  requestTimeoutMs: 30_000,
  deadline: Number.POSITIVE_INFINITY,
};
