/**
 * Runs the simulator from a shell:
 *   npx tsx test/simulator/main.ts --port 8080 [--token T] [--seed N] [--tz ZONE]
 *     [--latency MS] [--report-delay MS] [--daily-limit N] [--empty-style 404|empty-object|empty-array|null|zeros]
 *     [--code-as-string]
 */
import { parseArgs } from 'node:util';
import { startSimulator, type EmptyStyle } from './index.ts';

const EMPTY_STYLES: readonly EmptyStyle[] = ['404', 'empty-object', 'empty-array', 'null', 'zeros'];

function int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} must be a non-negative integer`);
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    token: { type: 'string' },
    seed: { type: 'string' },
    tz: { type: 'string' },
    latency: { type: 'string' },
    'report-delay': { type: 'string' },
    'daily-limit': { type: 'string' },
    'empty-style': { type: 'string' },
    'code-as-string': { type: 'boolean' },
  },
});

const emptyStyle = values['empty-style'];
if (emptyStyle !== undefined && !EMPTY_STYLES.includes(emptyStyle as EmptyStyle)) {
  throw new RangeError(`--empty-style must be one of ${EMPTY_STYLES.join(', ')}`);
}

const sim = await startSimulator({
  port: int('port', values.port),
  token: values.token,
  seed: int('seed', values.seed),
  timeZone: values.tz,
  latencyMs: int('latency', values.latency),
  reportDelayMs: int('report-delay', values['report-delay']),
  dailyLimit: int('daily-limit', values['daily-limit']),
  emptyStyle: emptyStyle as EmptyStyle | undefined,
  codeAsString: values['code-as-string'],
});

// This is a local test token the operator chose (or the default): printing it is the point.
console.log(`wolkvox simulator listening on ${sim.origin}`);
console.log(`token: ${values.token ?? 'sim-token-0001'}`);
console.log(`try: curl -H 'wolkvox-token: <token>' '${sim.origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=20260101080000&date_end=20260101085959'`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
