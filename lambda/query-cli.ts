import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCliEnv } from './config.ts';
import { tableRoot } from './domain/layout.ts';
import { formatTable, LOCAL_TABLES, openLocalTables, query } from './local/duckdb-tables.ts';
import { LocalStore } from './storage/local-store.ts';

const USAGE = `Usage: npm run query -- [--out DIR] "SELECT ... FROM cdr_4 ..."   (tables: ${LOCAL_TABLES.join(', ')})`;

try {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string', default: 'data' } }, allowPositionals: true });
  const sql = positionals.join(' ').trim();
  if (sql === '') throw new Error(`no SQL given\n${USAGE}`);
  const env = readCliEnv(process.env);
  const out = values.out ?? 'data';
  const store = new LocalStore(out);
  const roots = LOCAL_TABLES.map((t) => tableRoot(env.prefix, t));
  const found = (await Promise.all(roots.map((r) => store.list(r)))).some((objects) => objects.length > 0);
  const connection = await openLocalTables(out, env.prefix);
  process.stdout.write(`${formatTable(await query(connection, sql))}\n`);
  connection.closeSync();
  if (!found) {
    // Zero rows from an empty folder is not an answer: say where we looked.
    process.stderr.write(`note: no collected data under ${resolve(out, env.prefix)} (looked for ${roots.join(', ')}); check --out (default ./data) and DATA_PREFIX, or collect first with npm start\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
