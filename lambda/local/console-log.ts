import type { Log } from '../collector/ports.ts';

/** Told by the progress line (ranges) and the summary: printed only with --verbose. */
const TOLD_ELSEWHERE = new Set(['waiting out transient trouble']);

/** A failed call is told in one short line without --verbose (retries are not silent), with every field with it. */
const FAILED_CALL = 'cdr_4 request failed';

/** A message on one short line: an error page's HTML is told by its first words. */
function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

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
      write(`${start}${level}: a cdr_4 call for ${extra.date_ini}..${extra.date_end} failed with a transient error: ${oneLine(String(extra.message))}\n`);
      return;
    }
    const details = extra && Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
    write(`${start}${level}: ${message}${details}\n`);
  };
  return { debug: verbose ? line('debug') : () => {}, info: verbose ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
