import { parseArgs } from 'node:util';
import { ConfigError } from '../domain/errors.ts';
import { parseWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

export interface CliArgs {
  readonly range?: { readonly fromWall: number; readonly toWall: number };
  readonly out: string;
  readonly bucket?: string;
  readonly verbose: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm start -- [--from "YYYY-MM-DD HH:mm" --to "YYYY-MM-DD HH:mm"] [--out DIR | --bucket NAME] [--verbose]

Collects the Wolkvox cdr_4 report in 5-minute windows.
  --from, --to   wall-clock range of the operation (--from inclusive, --to exclusive),
                 both on 5-minute boundaries; any length (a backfill, with a progress
                 bar). Without them: the windows due since the last run (first run:
                 the last hour), then late-data restatement.
  --out DIR      local output folder (default ./data)
  --bucket NAME  write to this S3 bucket instead (default AWS credentials)
  --verbose      log every step to stderr

Environment: WOLKVOX_SERVER, WOLKVOX_TOKEN (unset: a built-in simulator is used),
WOLKVOX_TIMEZONE (default America/Bogota), WOLKVOX_BASE_URL, DATA_PREFIX (default wolkvox),
SETTLE_MINUTES (default 5), RESTATE_AFTER_MINUTES (default 60, 0 = off),
DAILY_CALL_CAP (default: none).`;

function boundary(name: string, text: string): number {
  const wall = parseWall(text);
  if (wall === undefined) throw new ConfigError(`--${name}: "${text}" is not a date-time "YYYY-MM-DD HH:mm"`);
  if (wall % WINDOW_MS !== 0) throw new ConfigError(`--${name}: "${text}" is not on a 5-minute boundary (use :00, :05, ... :55 and no seconds)`);
  return wall;
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        bucket: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`);
  }
  if ((values.from === undefined) !== (values.to === undefined)) throw new ConfigError('--from and --to go together: give both or neither');
  if (values.out !== undefined && values.bucket !== undefined) throw new ConfigError('--out and --bucket exclude each other: choose one sink');
  if (values.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(values.bucket)) throw new ConfigError(`--bucket: "${values.bucket}" is not an S3 bucket name`);
  let range: CliArgs['range'];
  if (values.from !== undefined && values.to !== undefined) {
    const fromWall = boundary('from', values.from);
    const toWall = boundary('to', values.to);
    if (toWall <= fromWall) throw new ConfigError(`--to (${values.to}) must be after --from (${values.from})`);
    range = { fromWall, toWall };
  }
  return { range, out: values.out ?? 'data', bucket: values.bucket, verbose: values.verbose ?? false, help: values.help ?? false };
}
