import type { Log } from '../collector/ports.ts';

/** Human-readable log lines on stderr, so stdout stays the summary. */
export function consoleLog(verbose: boolean): Log {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    const details = extra && Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
    process.stderr.write(`${level}: ${message}${details}\n`);
  };
  return { debug: verbose ? line('debug') : () => {}, info: verbose ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
