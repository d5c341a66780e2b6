import { parseArgs } from 'node:util';
import { readCliEnv } from './config.ts';
import { formatTable, openLocalTables, query } from './local/duckdb-tables.ts';

const USAGE = 'Usage: npm run query -- [--out DIR] "SELECT ... FROM cdr_4 ..."   (tables: cdr_4, cdr_4_fetches)';

try {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string', default: 'data' } }, allowPositionals: true });
  const sql = positionals.join(' ').trim();
  if (sql === '') throw new Error(`no SQL given\n${USAGE}`);
  const env = readCliEnv(process.env);
  const connection = await openLocalTables(values.out ?? 'data', env.prefix);
  process.stdout.write(`${formatTable(await query(connection, sql))}\n`);
  connection.closeSync();
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
