/** `npm run status`: where every operation of a store stands, read from the store alone (no API call). */
import type { S3Client } from '@aws-sdk/client-s3';
import { readCliEnv } from '../config.ts';
import { ConfigError } from '../domain/errors.ts';
import { LocalStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { checkAws } from './aws-check.ts';
import { checkSink } from './cli-args.ts';
import { parseFlags } from './flags.ts';
import { readStoreStatus } from './store-status.ts';
import { statusText } from './status-text.ts';

export const STATUS_USAGE = `Usage: npm run status -- [--out DIR | --bucket NAME] [--json]

Where every operation in the store stands, from the store alone (no API call):
the days verified, changed, waiting for verification and collected only in part, as
date ranges; the last window stored; the API calls of the day; a report that has shown
no call for longer than SILENT_DAYS; queued backfills with the windows they have left;
quarantined windows.
  --out DIR      the folder npm start wrote (default ./data)
  --bucket NAME  an S3 bucket instead (default AWS credentials and region)
  --json         the same as one JSON document, for scripts
  --help         this text
Environment: DATA_PREFIX (default wolkvox), DAILY_CALL_CAP (shown against the calls of the day),
SILENT_DAYS (default 7: a longer silence is named).
Exit status: 0 done; 1 no collected data there; 2 bad arguments or environment; 4 the store cannot be read.`;

export interface StatusDeps {
  readonly env: Record<string, string | undefined>;
  readonly io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };
  readonly clock?: () => number;
  /** Used with --bucket; default: a client with the default AWS credential chain. */
  readonly s3Client?: S3Client;
}

/** Runs `npm run status`; resolves with the exit status. */
export async function runStatus(argv: readonly string[], deps: StatusDeps): Promise<number> {
  const { io } = deps;
  try {
    const { values } = parseFlags(argv, {
      options: { out: { type: 'string' }, bucket: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      helpCommand: 'npm run status -- --help',
    });
    if (values.help) {
      io.stdout(`${STATUS_USAGE}\n`);
      return 0;
    }
    checkSink(values.out, values.bucket);
    const env = readCliEnv(deps.env);
    let store: ObjectStore;
    if (values.bucket !== undefined) {
      const [{ S3Client }, { S3Store }] = await Promise.all([import('@aws-sdk/client-s3'), import('../storage/s3-store.ts')]);
      const s3 = deps.s3Client ?? new S3Client({});
      await checkAws(s3, values.bucket);
      store = new S3Store(s3, values.bucket);
    } else {
      store = new LocalStore(values.out ?? 'data');
    }
    const status = await readStoreStatus(store, { prefix: env.prefix, cap: env.dailyCallCap, silentDays: env.silentDays, now: (deps.clock ?? Date.now)() });
    if (values.json) io.stdout(`${JSON.stringify(status, null, 2)}\n`);
    else if (status.operations.length > 0) io.stdout(statusText(status));
    if (status.operations.length > 0) return 0;
    const sink = values.bucket !== undefined ? '--bucket' : '--out (default ./data)';
    io.stderr(`note: no collected data under ${status.where}; check ${sink} and DATA_PREFIX, or collect first with npm start\n`);
    return 1;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 4;
  }
}
