import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { defaultBaseUrl, readCliEnv } from '../config.ts';
import { MetricsTally } from '../collector/ports.ts';
import { refreshDays } from '../collector/day-objects.ts';
import { cliHolder } from '../collector/lease.ts';
import { runLive, runRange, type EngineDeps, type RunPhase, type RunReport } from '../collector/runs.ts';
import { CollectorError, ConfigError, LeaseHeldError, StorageError, WolkvoxError, WolkvoxHostNotFoundError, WolkvoxTokenLimitError } from '../domain/errors.ts';
import { LocalLeaseStore, type LeaseStore } from '../storage/lease-store.ts';
import { LocalStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { createCdr4Client } from '../wolkvox/cdr4-client.ts';
import { staticToken } from '../wolkvox/token-provider.ts';
import { operatorAsksOf, parseCliArgs, USAGE } from './cli-args.ts';
import { consoleLog } from './console-log.ts';
import { checkAws } from './aws-check.ts';
import { checkFolder } from './folder-check.ts';
import { phaseLine, progressReporter, type Repeat } from './progress.ts';
import { summarize } from './summary.ts';

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
  /** Aborted when the user will not wait for the call in flight any longer: it is abandoned. */
  readonly stopSignal?: AbortSignal;
  /** Used with --bucket; default: a client with the default AWS credential chain. */
  readonly s3Client?: S3Client;
  /** The progress line's redraw timer (a terminal redraws a pause every second); tests that move their own clock pass theirs. */
  readonly repeat?: Repeat;
}

/** Operation name used for the built-in simulator when WOLKVOX_SERVER is unset. */
export const DEMO_SERVER = 'demo';

/** How long a range waits out one spell of transient trouble before it stops (exit 1). */
export const RANGE_WAIT_MS = 15 * 60_000;

export const EXIT = { ok: 0, incomplete: 1, usage: 2, fatal: 3, local: 4, interrupted: 130 } as const;

/** The exit status of an error that ended the run before or outside the collector loop. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ConfigError || error instanceof WolkvoxHostNotFoundError) return EXIT.usage;
  // Not the token's fault: its daily allowance is spent, and a rerun after midnight resumes.
  if (error instanceof WolkvoxTokenLimitError) return EXIT.incomplete;
  if (error instanceof WolkvoxError) return error.retryable ? EXIT.incomplete : EXIT.fatal;
  // Storage, state, zone, lease and AWS setup problems, and anything unexpected (its stack is printed).
  return EXIT.local;
}

/** Sleeps `ms`, or less once a stop is asked for: a pause being waited out ends with Ctrl-C. */
export function stoppableSleep(shouldStop: () => boolean) {
  return async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    for (let left = ms; left > 0 && !shouldStop(); left = until - Date.now()) await delay(Math.min(left, 100));
  };
}

/** What the run is doing after (or without) its progress bar, in a few words. */
function phaseText(phase: RunPhase): string {
  return phase.name === 'verify' ? `verifying ${phase.day} against Wolkvox's day total` : `bringing the day objects (cdr_4_daily) of ${phase.days} day(s) level with their windows`;
}

/** Runs the collector once from the command line; resolves with the exit status. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { io } = deps;
  const clock = deps.clock ?? Date.now;
  const tty = io.stderrIsTty ?? false;
  const phases = phaseLine(io.stderr, tty);
  let simulator: { origin: string; close(): Promise<void> } | undefined;
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    const env = readCliEnv(deps.env);
    const operatorAsks = operatorAsksOf(args, { now: clock(), timeZone: env.timeZone });
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

    if (env.token === undefined) {
      // Imported only here: the Lambda bundle and real-API runs never load the simulator.
      const { startSimulator } = await import('../../test/simulator/index.ts');
      simulator = await startSimulator({ token, server, timeZone: env.timeZone, now: clock });
      baseUrl = simulator.origin;
      io.stderr(`No WOLKVOX_TOKEN: using the built-in Wolkvox simulator at ${simulator.origin} (operation "${server}").\n`);
    }

    const tokens = staticToken(token);
    const log = consoleLog(args.verbose, io.stderr, tty);
    const sleep = deps.sleep ?? (deps.shouldStop ? stoppableSleep(deps.shouldStop) : undefined);
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
      ...(sleep ? { sleep } : {}),
      ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
      ...(deps.stopSignal ? { stopSignal: deps.stopSignal } : {}),
    };
    let progress: ReturnType<typeof progressReporter> | undefined;
    const settings = {
      operation: server,
      prefix: env.prefix,
      timeZone: env.timeZone,
      settleMinutes: env.settleMinutes,
      requestTimeoutMs: env.requestTimeoutMs,
      deadline: Number.POSITIVE_INFINITY,
      dailyCallCap: env.dailyCallCap,
      verifyAfterMinutes: env.verifyAfterMinutes,
      tokenReserve: env.tokenReserve,
      checkShare: env.checkShare,
      tokenInfoEveryMinutes: env.tokenInfoEveryMinutes,
      silentDays: env.silentDays,
      ...(operatorAsks ? { operatorAsks } : {}),
      // Work after the progress bar (a day's check, the day objects) shows where the bar was.
      onPhase: (phase: RunPhase) => {
        progress?.end();
        phases.show(phaseText(phase));
      },
    };
    let report: RunReport;
    if (args.range) {
      report = await runRange(
        collector,
        {
          ...settings,
          refetch: args.refetch,
          waitForTransientMs: RANGE_WAIT_MS,
          onPlanned: (due) => (progress = progressReporter(due, io.stderr, tty, clock, deps.repeat)),
          onCollected: () => progress?.tick(),
          onSkipped: () => progress?.skip(),
          onWaiting: (wait) => progress?.waiting(wait),
        },
        args.range.fromWall,
        args.range.toWall,
      );
    } else {
      report = await runLive(collector, { ...settings, firstRunWindows: 12, restateAfterMinutes: env.restateAfterMinutes, quietFreshnessMinutes: env.quietFreshnessMinutes });
    }
    progress?.end();
    phases.end();

    const where = args.bucket ? `s3://${args.bucket}/${env.prefix}` : store.describe(env.prefix);
    io.stdout(summarize(report, { server, timeZone: env.timeZone, where, args, cap: env.dailyCallCap, rangeWaitMs: RANGE_WAIT_MS, reserve: env.tokenReserve }));
    return exitCodeOfReport(report);
  } catch (error) {
    phases.end();
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof CollectorError)) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return exitCodeOf(error);
  } finally {
    await simulator?.close();
  }
}

/** The exit status of a run that ran: the README's table, for every way it can stop. */
function exitCodeOfReport(report: RunReport): number {
  if (report.stopReason === 'interrupted') return EXIT.interrupted;
  const error = report.stoppedAt?.error;
  // Another collector took the lease over: the same as being refused it at the start.
  if (error instanceof StorageError || error instanceof LeaseHeldError) return EXIT.local;
  if (error && !error.retryable) return exitCodeOf(error);
  const complete = report.stopReason === 'done' && report.notYetDue === 0 && report.quarantined.length === 0 && !report.job;
  return complete ? EXIT.ok : EXIT.incomplete;
}
