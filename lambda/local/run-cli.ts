import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { defaultBaseUrl, readCliEnv } from '../config.ts';
import { MetricsTally } from '../collector/ports.ts';
import { refreshDays } from '../collector/day-objects.ts';
import { cliHolder } from '../collector/lease.ts';
import { runLive, runRange, type EngineDeps, type RunReport } from '../collector/runs.ts';
import { labelOf } from '../domain/checkpoint.ts';
import { AwsSetupError, CollectorError, ConfigError, StorageError, WolkvoxError, WolkvoxHostNotFoundError } from '../domain/errors.ts';
import { DATA_TABLE, tableRoot } from '../domain/layout.ts';
import { formatWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';
import { LocalLeaseStore, type LeaseStore } from '../storage/lease-store.ts';
import { LocalStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { createCdr4Client } from '../wolkvox/cdr4-client.ts';
import { staticToken } from '../wolkvox/token-provider.ts';
import { parseCliArgs, USAGE, type CliArgs } from './cli-args.ts';
import { consoleLog } from './console-log.ts';
import { formatDuration, progressReporter, type Repeat } from './progress.ts';
import { startSummaryThread, type SummaryThread } from './summary-thread.ts';

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
  /** Pauses while trouble is waited out; tests pass one that moves their clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** True once the user asked to stop (Ctrl-C, SIGTERM): the run ends after the window in flight. */
  readonly shouldStop?: () => boolean;
  /** Used with --bucket; default: a client with the default AWS credential chain. */
  readonly s3Client?: S3Client;
  /** The progress line's redraw timer (a terminal redraws a pause every second); tests that move their own clock pass theirs. */
  readonly repeat?: Repeat;
}

/** Operation name used for the built-in simulator when WOLKVOX_SERVER is unset. */
export const DEMO_SERVER = 'demo';

/** How long a range waits out one spell of transient trouble before it stops (exit 1). */
export const RANGE_WAIT_MS = 15 * 60_000;

export const SUMMARY_QUERY = `SELECT interval,
       min(interval_min_seconds) AS min_s,
       max(interval_max_seconds) AS max_s,
       sum(calls) AS calls,
       round(sum(minutes), 2) AS minutes,
       round(sum(cost), 2) AS cost
FROM cdr_4 WHERE operation = $operation
GROUP BY interval ORDER BY min(interval_min_seconds) NULLS LAST, interval`;

export const EXIT = { ok: 0, incomplete: 1, usage: 2, fatal: 3, local: 4, interrupted: 130 } as const;

/** The exit status of an error that ended the run before or outside the collector loop. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ConfigError || error instanceof WolkvoxHostNotFoundError) return EXIT.usage;
  if (error instanceof WolkvoxError) return error.retryable ? EXIT.incomplete : EXIT.fatal;
  // Storage, state, zone, lease and AWS setup problems, and anything unexpected (its stack is printed).
  return EXIT.local;
}

/** Fails before any API call when the output folder cannot be written. */
async function checkFolder(out: string): Promise<void> {
  const path = resolve(out);
  try {
    const s = await stat(path);
    if (!s.isDirectory()) throw new StorageError(`--out ${path} is not a folder (it is a file); choose a folder, or a path that does not exist yet`, { key: path });
  } catch (error) {
    if (error instanceof StorageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StorageError(`--out ${path} cannot be used: ${(error as Error).message}`, { key: path }, { cause: error });
    try {
      await mkdir(path, { recursive: true });
    } catch (cause) {
      throw new StorageError(`--out ${path} cannot be created: ${(cause as Error).message}`, { key: path }, { cause });
    }
  }
}

/** Fails before any API call when the region or the credentials do not resolve. */
async function checkAws(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.config.region();
  } catch (cause) {
    throw new AwsSetupError(`--bucket ${bucket}: no AWS region is configured (set AWS_REGION, or a region in your AWS profile): ${(cause as Error).message}`, { bucket }, { cause });
  }
  try {
    await client.config.credentials();
  } catch (cause) {
    throw new AwsSetupError(`--bucket ${bucket}: AWS credentials do not resolve (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): ${(cause as Error).message}`, { bucket }, { cause });
  }
}

/** Runs the collector once from the command line; resolves with the exit status. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { io } = deps;
  const clock = deps.clock ?? Date.now;
  let simulator: { origin: string; close(): Promise<void> } | undefined;
  let summaryThread: SummaryThread | undefined;
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
    }
    if (server === undefined) throw new ConfigError('WOLKVOX_SERVER: is required when WOLKVOX_TOKEN is set (the operation\'s server nomenclature, e.g. 0032)');

    let store: ObjectStore;
    let leases: LeaseStore;
    if (args.bucket) {
      // Loaded only for a bucket: a run into a folder starts without the AWS SDK.
      const [{ S3Client }, { S3Store }, { S3LeaseStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('../storage/s3-store.ts'), import('../storage/s3-lease-store.ts')]);
      const s3 = deps.s3Client ?? new S3Client({});
      await checkAws(s3, args.bucket);
      store = new S3Store(s3, args.bucket);
      leases = new S3LeaseStore(s3, args.bucket);
    } else {
      await checkFolder(args.out);
      store = new LocalStore(args.out);
      leases = new LocalLeaseStore(args.out);
    }

    // DuckDB is needed only for the closing summary: its thread starts with the first window
    // collected, not before the first call (it would hold it up) nor after the last.
    const loadDuckdb = () => {
      if (args.bucket || summaryThread) return;
      summaryThread = startSummaryThread({ out: args.out, prefix: env.prefix });
    };

    if (env.token === undefined) {
      // Imported only here: the Lambda bundle and real-API runs never load the simulator.
      const { startSimulator } = await import('../../test/simulator/index.ts');
      simulator = await startSimulator({ token, server, timeZone: env.timeZone, now: clock });
      baseUrl = simulator.origin;
      io.stderr(`No WOLKVOX_TOKEN: using the built-in Wolkvox simulator at ${simulator.origin} (operation "${server}").\n`);
    }

    const tokens = staticToken(token);
    const log = consoleLog(args.verbose);
    const collector: EngineDeps = {
      client: createCdr4Client({ baseUrl: baseUrl ?? defaultBaseUrl(server), server, token: tokens, clock }),
      token: tokens,
      store,
      leases,
      holder: cliHolder(randomBytes(6).toString('hex')),
      log,
      metrics: new MetricsTally(),
      refreshDays: (days) => refreshDays(store, { prefix: env.prefix, operation: server }, days, { log }),
      clock,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
    };
    const settings = {
      operation: server,
      prefix: env.prefix,
      timeZone: env.timeZone,
      settleMinutes: env.settleMinutes,
      requestTimeoutMs: env.requestTimeoutMs,
      deadline: Number.POSITIVE_INFINITY,
      dailyCallCap: env.dailyCallCap,
      verifyAfterMinutes: env.verifyAfterMinutes,
    };
    let report: RunReport;
    if (args.range) {
      let progress: ReturnType<typeof progressReporter> | undefined;
      report = await runRange(
        collector,
        {
          ...settings,
          refetch: args.refetch,
          waitForTransientMs: RANGE_WAIT_MS,
          onPlanned: (due) => (progress = progressReporter(due, io.stderr, io.stderrIsTty ?? false, clock, deps.repeat)),
          onCollected: () => {
            loadDuckdb();
            progress?.tick();
          },
          onSkipped: () => progress?.skip(),
          onWaiting: (wait) => progress?.waiting(wait),
        },
        args.range.fromWall,
        args.range.toWall,
      );
      progress?.end();
    } else {
      report = await runLive(collector, { ...settings, firstRunWindows: 12, restateAfterMinutes: env.restateAfterMinutes, quietFreshnessMinutes: env.quietFreshnessMinutes, onCollected: loadDuckdb });
    }

    const where = args.bucket ? `s3://${args.bucket}/${env.prefix}` : store.describe(env.prefix);
    const interrupted = report.stopReason === 'interrupted';
    io.stdout(summarize(report, { server, timeZone: env.timeZone, where, args, cap: env.dailyCallCap }));
    if (!args.bucket && (report.collected.count > 0 || report.skipped > 0)) {
      loadDuckdb();
      const sql = SUMMARY_QUERY.replace('$operation', `'${server}'`);
      const windowRoot = `${tableRoot(env.prefix, DATA_TABLE)}operation=${server}/`;
      const [stored, tables] = await Promise.all([store.list(windowRoot).then((l) => l.length), summaryThread!.summarize({ server, sql })]);
      io.stdout(`\nAll data of operation ${server} in ${args.out}, via DuckDB (npm run query -- "<SQL>" for your own):\n${tables.table}\n`);
      io.stdout(`Windows stored: ${stored} (${stored - tables.windowsWithCalls} of them without calls)\n`);
    }
    if (interrupted) return EXIT.interrupted;
    const error = report.stoppedAt?.error;
    if (error && !error.retryable) return exitCodeOf(error);
    if (error instanceof StorageError) return EXIT.local;
    const complete = report.stopReason === 'done' && report.notYetDue === 0 && report.quarantined.length === 0 && !report.job;
    return complete ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof CollectorError)) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return exitCodeOf(error);
  } finally {
    await Promise.all([simulator?.close(), summaryThread?.close()]);
  }
}

function summarize(report: RunReport, ctx: { server: string; timeZone: string; where: string; args: CliArgs; cap: number | undefined }): string {
  const lines: string[] = [];
  const { first, last } = report.collected;
  const rerun = ctx.args.range ? 'rerun the same command' : 'run again';
  // A job cut short in the middle of its top-down search resumes that search, not at one window.
  const resumeAt = report.job && !report.job.searching ? ` at ${report.job.next.slice(0, 16)}` : '';
  const span = first && last ? ` (${formatWall(first.startWall).slice(0, 16)} to ${formatWall(last.startWall + WINDOW_MS).slice(0, 16)} ${ctx.timeZone})` : '';
  if (ctx.args.range) {
    const r = ctx.args.range;
    lines.push(`Range ${formatWall(r.fromWall).slice(0, 16)} to ${formatWall(r.toWall).slice(0, 16)} (${ctx.timeZone}) of operation ${ctx.server} into ${ctx.where}:`);
    lines.push(`Due windows: ${report.planned}; collected now: ${report.collected.count}${span}; already stored, skipped: ${report.skipped}`);
  } else if (report.planned === 0 && report.stopReason === 'done') {
    lines.push(`No new window of operation ${ctx.server} is due since the last run (a window is due SETTLE_MINUTES after it ends); nothing to collect in ${ctx.where}`);
  } else {
    lines.push(`Collected ${report.collected.count} of ${report.planned} window(s) of operation ${ctx.server}${span} into ${ctx.where}`);
  }
  lines.push(`Rows written: ${report.collected.rows}; API calls: ${report.apiCalls}${ctx.cap !== undefined ? ` (${report.callsToday} of DAILY_CALL_CAP=${ctx.cap} used today)` : ''}`);
  const calls = report.collected.callsByInterval;
  if (Object.keys(calls).length) lines.push(`Calls per interval: ${Object.entries(calls).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (report.waitedMs > 0) lines.push(`Waited out API trouble for ${formatDuration(report.waitedMs)} in all.`);
  if (report.quarantined.length) lines.push(`Skipped after a non-transient failure: ${report.quarantined.map(labelOf).join(', ')} (the fetch log has the answer; ${ctx.args.range ? `${rerun} to try them again` : 'a backfill over them tries again'})`);
  if (report.notYetDue) lines.push(`Not collected, not ended yet: ${report.notYetDue} window(s); ${rerun} once they have ended`);
  const stoppedAt = report.stoppedAt;
  if (report.stopReason === 'interrupted') {
    lines.push(`Interrupted: what was collected is stored and progress is saved; ${rerun} to resume${resumeAt}.`);
  } else if (report.stopReason === 'token-limit-wait' || report.stopReason === 'token-limit') {
    const until = report.tokenLimitUntil ? new Date(report.tokenLimitUntil).toISOString() : 'the operation\'s next midnight';
    lines.push(`Wolkvox's daily limit for this token is spent (TOKEN LIMIT EXCEEDED): no API call until ${until}; ${rerun} after that to resume${resumeAt}.`);
  } else if (report.stopReason === 'budget') {
    lines.push(`Daily call cap reached: ${report.callsToday} of DAILY_CALL_CAP=${ctx.cap ?? '?'} calls made today (${ctx.timeZone}); ${rerun} after midnight there to resume${resumeAt}.`);
  } else if (stoppedAt) {
    const e = stoppedAt.error;
    lines.push(`Stopped at ${labelOf(stoppedAt.window)}: ${e.name}: ${e.message}`);
    if (report.gaveUpWaiting) lines.push(`The API kept failing for ${formatDuration(RANGE_WAIT_MS)}; progress is saved: ${rerun} later to resume${resumeAt}.`);
    else if (e instanceof StorageError) lines.push(`Nothing after that window was recorded as done; fix the storage problem and ${rerun} to resume there.`);
    else if (e.retryable) lines.push(`Transient: ${rerun} to resume there.`);
    else lines.push(`Fix the cause above, then ${rerun}: it resumes there.`);
  }
  if (report.windowsBehind > 0) lines.push(`Still due and not collected: ${report.windowsBehind} window(s)`);
  if (report.restated > 0) lines.push(`Re-collected for late calls (revision 2): ${report.restated} window(s)`);
  if (report.backfilled > 0) lines.push(`Collected for queued backfills: ${report.backfilled} window(s)`);
  if (ctx.args.range && report.job) lines.push(`Left in this range: ${report.job.remaining} window label(s)${report.job.searching ? '' : ` from ${report.job.next.slice(0, 16)}`}`);
  const v = report.verification;
  if (v.verified.length || v.changed.length) lines.push(`Days verified against Wolkvox's day totals: ${v.verified.length ? v.verified.join(', ') : 'none'}${v.changed.length ? `; changed since collected (re-collected what differed): ${v.changed.join(', ')}` : ''}; API calls for verification: ${v.apiCalls}`);
  if (v.partial.length) lines.push(`Not verified, collected only in part: ${v.partial.join(', ')} (a range over the whole day fills and verifies it)`);
  if (v.pending > 0) lines.push(`Days waiting for verification: ${v.pending}${v.pastBound ? ` (${v.pastBound} of them unverified for more than 3 days: the DaysUnverified alarm)` : ''}; a whole day is checked against Wolkvox's day total by the first run (npm start, a range, or the schedule) once VERIFY_AFTER_MINUTES have passed since it ended; a day collected only in part is not (a range over it completes it)`);
  if (v.stoppedAt) lines.push(`Verification stopped: ${v.stoppedAt.error.message}`);
  if (!ctx.args.range && report.backfillRemaining > 0) lines.push(`Backfill still queued: ${report.backfillRemaining} window(s) (worked on after live windows, each run)`);
  if (!ctx.args.range && report.budgetExhausted && report.stopReason === 'done') lines.push('Daily call budget reached: history (restatement, backfill) paused until tomorrow.');
  return `${lines.join('\n')}\n`;
}
