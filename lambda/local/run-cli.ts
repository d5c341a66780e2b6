import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { defaultBaseUrl, readCliEnv } from '../config.ts';
import { MetricsTally } from '../collector/ports.ts';
import { runLive, runRange, type RunReport } from '../collector/runs.ts';
import { labelOf } from '../domain/checkpoint.ts';
import { CollectorError, ConfigError } from '../domain/errors.ts';
import { formatWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';
import { LocalStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { S3Store } from '../storage/s3-store.ts';
import { createCdr4Client } from '../wolkvox/cdr4-client.ts';
import { staticToken } from '../wolkvox/token-provider.ts';
import { parseCliArgs, USAGE } from './cli-args.ts';
import { progressReporter } from './progress.ts';
import { consoleLog } from './console-log.ts';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress bar redraws in place). */
  readonly stderrIsTty?: boolean;
}

export interface CliDeps {
  readonly env: Record<string, string | undefined>;
  readonly io: CliIo;
  readonly clock?: () => number;
  /** Used with --bucket; default: a client with the default AWS credential chain. */
  readonly s3Client?: S3Client;
}

/** Operation name used for the built-in simulator when WOLKVOX_SERVER is unset. */
export const DEMO_SERVER = 'demo';

export const SUMMARY_QUERY = `SELECT interval,
       min(interval_min_seconds) AS min_s,
       max(interval_max_seconds) AS max_s,
       sum(calls) AS calls,
       round(sum(minutes), 2) AS minutes,
       round(sum(cost), 2) AS cost,
       count(DISTINCT window_start) AS windows
FROM cdr_4 WHERE operation = $operation
GROUP BY interval ORDER BY min(interval_min_seconds) NULLS LAST, interval`;

export const EXIT = { ok: 0, incomplete: 1, usage: 2, fatal: 3 } as const;

/** Runs the collector once from the command line; resolves with the exit status. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { io } = deps;
  const clock = deps.clock ?? Date.now;
  let simulator: { origin: string; close(): Promise<void> } | undefined;
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    const env = readCliEnv(deps.env);
    let server = env.server;
    let token = env.token;
    let baseUrl = env.baseUrl;
    if (token === undefined) {
      if (baseUrl !== undefined) throw new ConfigError('WOLKVOX_BASE_URL is set but WOLKVOX_TOKEN is not: give the token of that API, or unset both to use the built-in simulator');
      server ??= DEMO_SERVER;
      token = `sim-${randomBytes(12).toString('hex')}`;
      // Imported only here: the Lambda bundle and real-API runs never load the simulator.
      const { startSimulator } = await import('../../test/simulator/index.ts');
      simulator = await startSimulator({ token, server, timeZone: env.timeZone, now: clock });
      baseUrl = simulator.origin;
      io.stderr(`No WOLKVOX_TOKEN: using the built-in Wolkvox simulator at ${simulator.origin} (operation "${server}").\n`);
    }
    if (server === undefined) throw new ConfigError('WOLKVOX_SERVER: is required when WOLKVOX_TOKEN is set (the operation\'s server nomenclature, e.g. 0032)');

    const store: ObjectStore = args.bucket ? new S3Store(deps.s3Client ?? new S3Client({}), args.bucket) : new LocalStore(args.out);
    const tokens = staticToken(token);
    const metrics = new MetricsTally();
    const collector = {
      client: createCdr4Client({ baseUrl: baseUrl ?? defaultBaseUrl(server), server, token: tokens, clock }),
      token: tokens,
      store,
      log: consoleLog(args.verbose),
      metrics,
      clock,
    };
    const settings = {
      operation: server,
      prefix: env.prefix,
      timeZone: env.timeZone,
      settleMinutes: env.settleMinutes,
      requestTimeoutMs: env.requestTimeoutMs,
      deadline: Number.POSITIVE_INFINITY,
    };
    let report: RunReport;
    if (args.range) {
      let progress: ReturnType<typeof progressReporter> | undefined;
      report = await runRange(
        collector,
        { ...settings, onPlanned: (due) => (progress = progressReporter(due, io.stderr, io.stderrIsTty ?? false, clock)), onCollected: () => progress?.tick() },
        args.range.fromWall,
        args.range.toWall,
      );
    } else {
      report = await runLive(collector, { ...settings, firstRunWindows: 12, restateAfterMinutes: env.restateAfterMinutes, dailyCallCap: env.dailyCallCap });
    }

    io.stdout(summarize(report, { server, timeZone: env.timeZone, where: args.bucket ? `s3://${args.bucket}/${env.prefix}` : `${store.describe(env.prefix)}` }));
    if (!args.bucket && report.collected.count > 0) {
      const { openLocalTables, query, formatTable } = await import('./duckdb-tables.ts');
      const connection = await openLocalTables(args.out, env.prefix);
      const sql = SUMMARY_QUERY.replace('$operation', `'${server}'`);
      io.stdout(`\nAll data of operation ${server} in ${args.out}, via DuckDB (npm run query -- "<SQL>" for your own):\n${formatTable(await query(connection, sql))}\n`);
      connection.closeSync();
    }
    const complete = report.stopReason === 'done' && report.notYetDue === 0 && report.quarantined.length === 0;
    if (report.stoppedAt && !report.stoppedAt.error.retryable) return EXIT.fatal;
    return complete ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    const usage = error instanceof ConfigError;
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof CollectorError)) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return usage ? EXIT.usage : EXIT.fatal;
  } finally {
    await simulator?.close();
  }
}

function summarize(report: RunReport, ctx: { server: string; timeZone: string; where: string }): string {
  const lines: string[] = [];
  const { first, last } = report.collected;
  const span = first && last ? ` (${formatWall(first.startWall).slice(0, 16)} to ${formatWall(last.startWall + WINDOW_MS).slice(0, 16)} ${ctx.timeZone})` : '';
  if (report.planned === 0 && report.stopReason === 'done') lines.push(`No new window of operation ${ctx.server} is due since the last run (a window is due SETTLE_MINUTES after it ends); nothing to collect in ${ctx.where}`);
  else lines.push(`Collected ${report.collected.count} of ${report.planned} window(s) of operation ${ctx.server}${span} into ${ctx.where}`);
  const calls = report.collected.callsByInterval;
  lines.push(`Rows written: ${report.collected.rows}; API calls: ${report.apiCalls}`);
  if (Object.keys(calls).length) lines.push(`Calls per interval: ${Object.entries(calls).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (report.quarantined.length) lines.push(`Quarantined (failed repeatedly, skipped): ${report.quarantined.map(labelOf).join(', ')}`);
  if (report.notYetDue) lines.push(`Not collected, not ended yet: ${report.notYetDue} window(s)`);
  if (report.stopReason === 'token-limit-wait') lines.push('Skipped: the token\'s daily limit was reached earlier; collection resumes after midnight (operation time).');
  if (report.stoppedAt) lines.push(`Stopped at ${labelOf(report.stoppedAt.window)}: ${report.stoppedAt.error.name}: ${report.stoppedAt.error.message}${report.stoppedAt.error.retryable ? ' (transient: the next run resumes there)' : ''}`);
  if (report.windowsBehind > 0) lines.push(`Still due and not collected: ${report.windowsBehind} window(s)`);
  if (report.restated > 0) lines.push(`Re-collected for late calls (revision 2): ${report.restated} window(s)`);
  if (report.backfillRemaining > 0) lines.push(`Backfill still queued: ${report.backfillRemaining} window(s)`);
  if (report.budgetExhausted) lines.push('Daily call budget reached: history (restatement, backfill) paused until tomorrow.');
  return `${lines.join('\n')}\n`;
}
