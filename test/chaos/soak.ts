/**
 * The long soak: 30 simulated days (default) through the handler under the chaos storm.
 * `npm run soak [-- --days N --tz ZONE --seed S]`. Prints the figures and exits non-zero
 * if anything was lost, doubled, overlapped or leaked.
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos-runner.ts';

const { values } = parseArgs({
  options: { days: { type: 'string', default: '30' }, tz: { type: 'string', default: 'Europe/Madrid' }, start: { type: 'string', default: '2026-10-10' }, seed: { type: 'string', default: '11' } },
});
const figures = await runChaos({
  days: Number(values.days),
  startDay: values.start!,
  timeZone: values.tz!,
  seed: Number(values.seed),
  faultRate: 0.04,
  writeFailureRate: 0.01,
  killRate: 0.03,
  overlapRate: 0.03,
});
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(28)} ${v}`);
console.log(JSON.stringify(figures));
const broken = figures.missing_windows + figures.mismatched_windows + figures.simultaneous_requests + figures.token_leaks;
process.exitCode = broken === 0 ? 0 : 1;
