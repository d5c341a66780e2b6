/**
 * `npm run bench`: measures the collector at the limits set by the API and the runtime and
 * prints a table; writes bench/results/latest.json and the README's cost section.
 * Benchmarks measure, they do not fail on timing: fixed seeds, warm-ups, medians.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { benchBackfillResume } from './backfill-resume.ts';
import { benchColdStart } from './cold-start.ts';
import { costMarkdown, costPerOperationMonth, sharedPartsInTemplates } from './cost-model.ts';
import { benchDailyTables } from './daily-tables.ts';
import { benchFreshness } from './freshness.ts';
import { benchHistory } from './history.ts';
import { benchNpmStart } from './npm-start.ts';
import { benchMemory } from './memory.ts';
import { benchHandlerTelemetry, benchRequestsPerWindow } from './requests-per-window.ts';
import { benchThroughput } from './throughput.ts';
import { benchRangeThroughput } from './range-throughput.ts';
import { benchScale } from './scale.ts';
import { benchVendorModels } from './vendor-models.ts';
import { benchVerification } from './verification.ts';

const ROOT = new URL('../', import.meta.url);
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const results: Record<string, unknown> = { measured_at: new Date().toISOString(), node: process.version };

function show(title: string, figures: object) {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(40)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}

if (want('throughput')) show('1. Backfill throughput at the token limit (L = 100 ms API, W = 40 ms writes)', (results.throughput = await benchThroughput()));
if (want('requests')) {
  show('2a. Requests per window, steady state, restatement off', (results.requests = await benchRequestsPerWindow(0)));
  show('2b. Requests per window, steady state, restatement at 60 min (default)', (results.requests_restated = await benchRequestsPerWindow(60)));
  show('2c. What the Lambda handler prints, steady state, restatement at 60 min: log bytes and custom metrics', (results.telemetry = await benchHandlerTelemetry(60)));
}
if (want('cold-start')) show('3. Cold start: module init of the bundled vs unbundled handler', (results.cold_start = await benchColdStart()));
if (want('memory')) show('4. Memory: local backfill, peak RSS', (results.memory = await benchMemory()));
if (want('freshness')) show('5. Freshness: due moment to object written, live runs every 5 min', (results.freshness = await benchFreshness()));
if (want('daily-tables')) show('7. Day objects (cdr_4_daily): a simulated year, queries over window vs day objects, cost per run', (results.daily = await benchDailyTables()));
if (want('backfill')) show('8. Ranges as resumable jobs: API calls per window when interrupted or under faults (bounds 1.1 and 1.4)', (results.backfill = await benchBackfillResume()));
if (want('verification')) show('9. Call economy: verified days at a fraction of the calls (issue 13)', (results.verification = await benchVerification()));
if (want('scale')) show('11. A hundred operations in one deploy: the app synthesized (bundling, cdk-nag) per number of operations; CloudFormation allows 500 resources, 1 MB and 200 outputs per template', (results.scale = await benchScale()));
if (want('range-throughput')) show('10. The token kept busy: calls per second over a busy day\'s range, end to end, against 1/L (L = 100 ms)', (results.range_throughput = await benchRangeThroughput()));
if (want('npm-start')) show('12. A busy day\'s range from `npm start` as typed (npm included), calls per second against 1/L (L = 100 ms)', (results.npm_start = await benchNpmStart()));
if (want('vendor-models')) show('13. Three vendors side by side: calls per operation day over three weeks of the schedule (issue 19)', (results.vendor_models = await benchVendorModels()));
if (want('history')) show('11. A year of history on one machine: run times (median ms, CLI from spawn to exit) on stores of 0, 1 and 12 months; a year\'s SELECT * with npm run query', (results.history = await benchHistory()));

if (results.requests_restated && results.telemetry && results.cold_start && results.freshness) {
  const rq = results.requests_restated as Awaited<ReturnType<typeof benchRequestsPerWindow>>;
  const tm = results.telemetry as Awaited<ReturnType<typeof benchHandlerTelemetry>>;
  const cs = results.cold_start as Awaited<ReturnType<typeof benchColdStart>>;
  const fr = results.freshness as Awaited<ReturnType<typeof benchFreshness>>;
  const shared = sharedPartsInTemplates();
  const cost = costPerOperationMonth({
    // A run with restatement makes ~2 calls: the freshness run time scaled by calls per window.
    runMs: fr.run_duration_median_ms * rq.api_calls_per_window,
    initMs: cs.bundled_init_ms,
    s3PutsPerWindow: rq.s3_puts_per_window,
    checkpointPutsPerRun: rq.checkpoint_puts_per_run,
    s3GetsPerRun: rq.s3_gets_per_run,
    bytesPerWindow: rq.bytes_per_window,
    logBytesPerRun: tm.log_bytes_per_run,
    metricHoursPerMonth: tm.metric_hours_per_month,
    shared,
    daily: (results.daily as Awaited<ReturnType<typeof benchDailyTables>> | undefined)?.cost_inputs,
  });
  results.cost = { ...cost, shared };
  show(`6. Cost per operation-month (USD) in a deployment of ${cost.operations.join(' and of ')} operations`, {
    ...Object.fromEntries(cost.lines.map((l) => [l.item, l.usd])),
    total: cost.total_usd,
    'fixed part (dashboard included)': cost.fixed_usd,
  });
  const note = `Computed by \`npm run bench\` on ${String(results.measured_at).slice(0, 10)} from measured figures (run time with the vendor answering in ${fr.latency_ms} ms, restatement on, ${rq.api_calls_per_window} API calls and ${rq.s3_puts_per_window} S3 PUTs per window, ${rq.bytes_per_window} B stored per window; log bytes and custom metrics of ${tm.runs} runs of the Lambda handler as wired in lambda/handler.ts; alarms, Contributor Insights rule and dashboard of the stacks synthesized from cdk.json, the same for any number of operations). Per operation-month in a deployment of ${cost.operations.join(' and of ')} operations: what an operation costs by itself, and its share of what the deployment has once.`;
  const readmeUrl = new URL('README.md', ROOT);
  const readme = readFileSync(readmeUrl, 'utf8');
  const begin = '<!-- cost:begin (generated by npm run bench) -->';
  const end = '<!-- cost:end -->';
  if (readme.includes(begin) && readme.includes(end)) {
    writeFileSync(readmeUrl, `${readme.slice(0, readme.indexOf(begin) + begin.length)}\n${costMarkdown(cost, note)}\n${readme.slice(readme.indexOf(end))}`);
    console.log('\nREADME cost section updated.');
  }
}

mkdirSync(new URL('bench/results/', ROOT), { recursive: true });
// A run of some sections keeps the figures of the others, from their own last run.
const latestUrl = new URL('bench/results/latest.json', ROOT);
const kept = only.length > 0 && existsSync(latestUrl) ? (JSON.parse(readFileSync(latestUrl, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(latestUrl, `${JSON.stringify({ ...kept, ...results }, null, 2)}\n`);
console.log('\nFigures written to bench/results/latest.json');
