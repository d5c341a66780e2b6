import type { Log } from '../collector/ports.ts';

/**
 * Messages the summary or the progress line already tell: printed only with --verbose, so
 * a failed attempt is not reported once per retry and again at the end.
 */
const TOLD_ELSEWHERE = new Set(['cdr_4 request failed', 'waiting out transient trouble']);

/** Human-readable log lines on stderr, so stdout stays the summary. */
export function consoleLog(verbose: boolean): Log {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    if (!verbose && TOLD_ELSEWHERE.has(message)) return;
    const details = extra && Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
    process.stderr.write(`${level}: ${message}${details}\n`);
  };
  return { debug: verbose ? line('debug') : () => {}, info: verbose ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
