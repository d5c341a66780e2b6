/** `npm run query`: one SQL statement over the collected folder, with DuckDB, streamed to stdout. */
import { resolve } from 'node:path';
import { readCliEnv } from '../config.ts';
import { ConfigError } from '../domain/errors.ts';
import { hasLocalData, LOCAL_TABLES, openLocalTables } from './duckdb-tables.ts';
import { parseFlags } from './flags.ts';
import { OUTPUT_FORMATS, TABLE_ROWS, writeResult, type OutputFormat, type Sink } from './query-output.ts';

export const QUERY_USAGE = `Usage: npm run query -- [--out DIR] [--format table|csv|json] [--limit N] "SELECT ... FROM cdr_4 ..."

Runs one SQL statement (DuckDB) over what npm start collected into a folder.
  --out DIR      the folder npm start wrote (default ./data)
  --format F     table (default): the first ${TABLE_ROWS} rows, and how many more there are;
                 csv: a header line, then every row; json: one JSON object per row and line.
                 csv and json stream every row at bounded memory (redirect them to a file).
  --limit N      at most N rows (a table shows N rows instead of ${TABLE_ROWS})
  --help         this text
Tables: ${LOCAL_TABLES.join(', ')} (columns in the README's output contract).
A bucket is queried with Athena (the stack's workgroup), not with npm run query.
Environment: DATA_PREFIX (default wolkvox).
Exit status: 0 done; 1 the folder holds no collected data; 2 bad arguments or SQL.`;

export interface QueryArgs {
  readonly sql: string;
  readonly out: string;
  readonly format: OutputFormat;
  readonly limit: number | undefined;
  readonly help: boolean;
}

export function parseQueryArgs(argv: readonly string[]): QueryArgs {
  const { values, positionals } = parseFlags(argv, {
    options: {
      out: { type: 'string' },
      bucket: { type: 'string' },
      format: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    helpCommand: 'npm run query -- --help',
    positionals: 'SQL',
  });
  const help = values.help ?? false;
  if (values.bucket !== undefined) throw new ConfigError(`--bucket: npm run query reads a folder; query the bucket ${values.bucket} with Athena (the stack's AthenaWorkGroup), or npm run status -- --bucket ${values.bucket} for where its days stand`);
  const format = values.format ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`--format: "${format}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^\d+$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!Number.isSafeInteger(limit)) throw new ConfigError(`--limit: "${values.limit}" is not a whole number of rows`);
  }
  const sql = positionals.join(' ').trim();
  if (sql === '' && !help) throw new ConfigError('no SQL given: npm run query -- "SELECT ... FROM cdr_4" (npm run query -- --help lists the options)');
  return { sql, out: values.out ?? 'data', format: format as OutputFormat, limit, help };
}

export interface QueryIo {
  /** stdout; resolves once it takes more (a pipe's back-pressure). */
  readonly stdout: Sink;
  readonly stderr: (text: string) => void;
}

/** Runs `npm run query`; resolves with the exit status. */
export async function runQuery(argv: readonly string[], deps: { env: Record<string, string | undefined>; io: QueryIo }): Promise<number> {
  const { io } = deps;
  try {
    const args = parseQueryArgs(argv);
    if (args.help) {
      await io.stdout(`${QUERY_USAGE}\n`);
      return 0;
    }
    const { prefix } = readCliEnv(deps.env);
    const found = hasLocalData(args.out, prefix);
    const connection = await openLocalTables(args.out, prefix, args.sql);
    try {
      const result = await connection.stream(args.sql);
      const { written, notShown } = await writeResult(result, args.format, args.limit, io.stdout);
      if (args.format === 'table' && notShown) {
        await io.stdout(`(${written} row(s) shown, ${notShown} more not shown: --limit N shows more, --format csv or json writes every row)\n`);
      }
    } finally {
      connection.closeSync();
    }
    if (!found) {
      // Zero rows from an empty folder is not an answer: say where we looked.
      io.stderr(`note: no collected data under ${resolve(args.out, prefix)} (tables ${LOCAL_TABLES.join(', ')}); check --out (default ./data) and DATA_PREFIX, or collect first with npm start\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return 2;
  }
}
