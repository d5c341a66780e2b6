/** The summary thread (summary-thread.ts): loads DuckDB and opens the tables at once, then answers one request. */
import { parentPort, workerData } from 'node:worker_threads';
import { formatTable, openLocalTables, query } from './duckdb-tables.ts';
import type { SummaryFolder, SummaryRequest } from './summary-thread.ts';

const folder = workerData as SummaryFolder;
const opening = openLocalTables(folder.out, folder.prefix);
opening.catch(() => undefined);

parentPort!.once('message', async (request: SummaryRequest) => {
  try {
    const connection = await opening;
    try {
      const withCalls = await query(connection, `SELECT count(DISTINCT window_start) FROM cdr_4 WHERE operation = '${request.server}'`);
      const table = formatTable(await query(connection, request.sql));
      parentPort!.postMessage({ ok: true, tables: { table, windowsWithCalls: Number(withCalls.rows[0]?.[0] ?? 0) } });
    } finally {
      connection.closeSync();
    }
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  }
});
