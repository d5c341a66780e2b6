import { ALLOWANCE_DEFAULTS } from '../config.ts';
import { CHECK_SHARE_BOUNDS, reserveText, SILENT_DAYS_BOUNDS, TOKEN_INFO_EVERY_MINUTES_BOUNDS, TOKEN_RESERVE_MAX_PERCENT } from '../domain/allowance-settings.ts';
import { ConfigError } from '../domain/errors.ts';
import { parseRecheckDays, parseVendorMode, type OperatorAsks, type RecheckBounds } from '../domain/operator-asks.ts';
import type { VendorMode } from '../domain/vendor-model.ts';
import { parseWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';
import { parseFlags } from './flags.ts';

export interface CliArgs {
  readonly range?: { readonly fromWall: number; readonly toWall: number };
  /** The folder, default `data`. */
  readonly out: string;
  /** Whether --out was given (hints repeat it then). */
  readonly outGiven: boolean;
  readonly bucket?: string;
  readonly refetch: boolean;
  readonly verbose: boolean;
  readonly help: boolean;
  /** --vendor-model: how Wolkvox's totals are to be treated from this run on. */
  readonly vendorModel?: VendorMode;
  /** --recheck: a day or days (`YYYY-MM-DD[..YYYY-MM-DD]`) to check again, read against the clock by {@link operatorAsksOf}. */
  readonly recheck?: string;
}

export const USAGE = `Usage: npm start -- [--from "YYYY-MM-DD HH:mm" --to "YYYY-MM-DD HH:mm" [--refetch]] [--out DIR | --bucket NAME] [--verbose]
                 [--vendor-model additive|non-additive] [--recheck YYYY-MM-DD[..YYYY-MM-DD]]

Collects the Wolkvox cdr_4 report in 5-minute windows.
  --from, --to   wall-clock range of the operation (--from inclusive, --to exclusive),
                 both on 5-minute boundaries; any length. A resumable backfill job:
                 windows already stored are skipped, the same command again resumes
                 where a stopped run left off, trouble at the API is waited out (up to
                 15 minutes at a stretch). History is walked top down: one call proves a
                 span without calls empty, only spans with calls are split down to
                 windows. Without them: the windows due since the last run (first run:
                 the last hour; in quiet periods one call for all of them), hourly
                 reconciliation for late calls, day verification, queued backfills.
                 Every run verifies the days that are due against Wolkvox's day totals.
  --refetch      with a range: collect stored windows again too (revision 2)
  --out DIR      local output folder (default ./data)
  --bucket NAME  write to this S3 bucket instead (default AWS credentials and region)
  --verbose      log every request and write to stderr
  --vendor-model additive: compare days with Wolkvox's day totals again (after two days that
                 did not add up the operation stops comparing: once the vendor is fixed);
                 non-additive: stop comparing now. Kept for the runs that follow
  --recheck DAY  check ended days (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, at most 92) against
                 Wolkvox's day totals again, whatever their status (unreconcilable, unverified)

Exit status: 0 done; 1 incomplete, a rerun resumes; 2 bad arguments or environment;
3 a fatal answer from Wolkvox; 4 a local problem (storage, state, time zone, AWS setup,
another collector running); 130 interrupted (progress saved, a rerun resumes).

Environment: WOLKVOX_SERVER, WOLKVOX_TOKEN (unset: a built-in simulator is used; set it with
read -rs WOLKVOX_TOKEN && export WOLKVOX_TOKEN, never on a command line),
WOLKVOX_TIMEZONE (default America/Bogota), WOLKVOX_BASE_URL, DATA_PREFIX (default wolkvox),
SETTLE_MINUTES (default 5), RESTATE_AFTER_MINUTES (default 90, 0 = off),
VERIFY_AFTER_MINUTES (default 240), QUIET_FRESHNESS_MINUTES (default 30, 0 = off),
DAILY_CALL_CAP (default: none), WOLKVOX_REQUEST_TIMEOUT_MS (default 65000).
The token's allowance, checking's share and the report's silence:
  TOKEN_RESERVE             kept of the token's daily limit: ${reserveText(ALLOWANCE_DEFAULTS.tokenReserve)} (default, 0%-${TOKEN_RESERVE_MAX_PERCENT}%) or calls, e.g. 200
  CHECK_SHARE               share of the day's calls for verification and reconciliation (default ${ALLOWANCE_DEFAULTS.checkShare}, ${CHECK_SHARE_BOUNDS.min}-${CHECK_SHARE_BOUNDS.max})
  TOKEN_INFO_EVERY_MINUTES  the token's limit and use (token_info) read at most this often (default ${ALLOWANCE_DEFAULTS.tokenInfoEveryMinutes}, ${TOKEN_INFO_EVERY_MINUTES_BOUNDS.min}-${TOKEN_INFO_EVERY_MINUTES_BOUNDS.max})
  SILENT_DAYS               days with no call in any answer before the report is suspect (default ${ALLOWANCE_DEFAULTS.silentDays}, ${SILENT_DAYS_BOUNDS.min}-${SILENT_DAYS_BOUNDS.max})

Then: npm run query -- [--out DIR] "SELECT ..." to query what is stored,
npm run status -- [--out DIR | --bucket NAME] for the days verified, waiting, and the queue.`;

function boundary(name: string, text: string): number {
  const wall = parseWall(text);
  if (wall === undefined) throw new ConfigError(`--${name}: "${text}" is not a date-time "YYYY-MM-DD HH:mm"`);
  if (wall % WINDOW_MS !== 0) throw new ConfigError(`--${name}: "${text}" is not on a 5-minute boundary (use :00, :05, ... :55 and no seconds)`);
  return wall;
}

/** --out and --bucket, as every command that reads or writes a store takes them. */
export function checkSink(out: string | undefined, bucket: string | undefined): void {
  if (out !== undefined && bucket !== undefined) throw new ConfigError('--out and --bucket exclude each other: choose one store');
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`--bucket: "${bucket}" is not an S3 bucket name`);
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const { values } = parseFlags(argv, {
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      bucket: { type: 'string' },
      refetch: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      'vendor-model': { type: 'string' },
      recheck: { type: 'string' },
    },
    helpCommand: 'npm start -- --help',
  });
  if ((values.from === undefined) !== (values.to === undefined)) throw new ConfigError('--from and --to go together: give both or neither');
  if (values.refetch && values.from === undefined) throw new ConfigError('--refetch goes with a range: give --from and --to too');
  checkSink(values.out, values.bucket);
  let range: CliArgs['range'];
  if (values.from !== undefined && values.to !== undefined) {
    const fromWall = boundary('from', values.from);
    const toWall = boundary('to', values.to);
    if (toWall <= fromWall) throw new ConfigError(`--to (${values.to}) must be after --from (${values.from})`);
    range = { fromWall, toWall };
  }
  const vendorModel = values['vendor-model'] === undefined ? undefined : parseVendorMode(values['vendor-model'], '--vendor-model');
  return {
    range,
    out: values.out ?? 'data',
    outGiven: values.out !== undefined,
    bucket: values.bucket,
    refetch: values.refetch ?? false,
    verbose: values.verbose ?? false,
    help: values.help ?? false,
    ...(vendorModel ? { vendorModel } : {}),
    ...(values.recheck !== undefined ? { recheck: values.recheck } : {}),
  };
}

/** The asks the flags make, the days held to the operation's clock now: before any API call. */
export function operatorAsksOf(args: CliArgs, bounds: RecheckBounds): OperatorAsks | undefined {
  const recheck = args.recheck === undefined ? undefined : parseRecheckDays(args.recheck, '--recheck', bounds);
  if (!args.vendorModel && !recheck) return undefined;
  return { ...(args.vendorModel ? { vendorMode: args.vendorModel } : {}), ...(recheck ? { recheck } : {}) };
}
