import type { Log } from '../collector/ports.ts';
import { cleanText } from '../domain/vendor-text.ts';

/** Told by the progress line (ranges) and the summary: printed only with --verbose. */
const TOLD_ELSEWHERE = new Set(['waiting out transient trouble']);

/** A failed call is told in one short line without --verbose (retries are not silent): an error page's HTML by its first words. */
const FAILED_CALL = 'cdr_4 request failed';


/**
 * Human-readable log lines on stderr, so stdout stays the summary. On a terminal a line
 * clears the progress line it interrupts (the bar is redrawn with the next window).
 */
export function consoleLog(verbose: boolean, write: (text: string) => void, isTty: boolean): Log {
  const start = isTty ? '\r\x1b[K' : '';
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    if (!verbose && TOLD_ELSEWHERE.has(message)) return;
    if (!verbose && message === FAILED_CALL) {
      // Non-transient failures are the summary's to tell, once.
      if (extra?.retryable !== true) return;
      write(`${start}${level}: a cdr_4 call for ${extra.date_ini}..${extra.date_end} failed with a transient error: ${cleanText(String(extra.error_message), 160)}\n`);
      return;
    }
    const details = extra && Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
    write(`${start}${level}: ${message}${details}\n`);
  };
  return { debug: verbose ? line('debug') : () => {}, info: verbose ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
