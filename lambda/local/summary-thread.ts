/**
 * The closing summary's DuckDB on a thread of its own. Loading DuckDB is about 70 ms of
 * synchronous work (a native module); on the collector's thread it held up the calls of the
 * run it summarizes. The thread starts with the run's first collected window, opens its views
 * then (DuckDB reads the files at query time), and answers once the run is over.
 */
import { Worker } from 'node:worker_threads';

export interface SummaryTables {
  /** The summary query's result, formatted as a table. */
  readonly table: string;
  /** Distinct window starts with rows (windows with calls). */
  readonly windowsWithCalls: number;
}

/** Where the tables are: the thread opens them as it starts. */
export interface SummaryFolder {
  readonly out: string;
  readonly prefix: string;
}

export interface SummaryRequest {
  readonly server: string;
  readonly sql: string;
}

export interface SummaryThread {
  summarize(request: SummaryRequest): Promise<SummaryTables>;
  /** Ends the thread (the process does not wait for it). */
  close(): Promise<void>;
}

type Reply = { ok: true; tables: SummaryTables } | { ok: false; message: string };

export function startSummaryThread(folder: SummaryFolder): SummaryThread {
  const worker = new Worker(new URL('./summary-worker.ts', import.meta.url), { workerData: folder });
  // A thread that failed to load reports it when asked, not as an unhandled error.
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the DuckDB summary thread exited (${code}) before answering`)));
  });
  failed.catch(() => undefined);
  return {
    summarize(request) {
      const answer = new Promise<SummaryTables>((resolve, reject) => {
        worker.once('message', (reply: Reply) => (reply.ok ? resolve(reply.tables) : reject(new Error(reply.message))));
      });
      worker.postMessage(request);
      return Promise.race([answer, failed]);
    },
    async close() {
      await worker.terminate();
    },
  };
}
