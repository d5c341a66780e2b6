/**
 * A one-line progress bar with ETA for ranges (backfills) on the command line.
 * On a terminal it redraws in place; elsewhere (CI logs, pipes) it prints every 10%, and
 * every pause while the API is waited out, so a log shows why the run is quiet.
 */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressReporter(total: number, write: (text: string) => void, isTty: boolean, clock: () => number = Date.now) {
  const started = clock();
  let done = 0;
  let skipped = 0;
  let lastDecile = 0;
  const line = (status = '') => {
    const elapsed = clock() - started;
    // Skipped windows cost nothing: the ETA is paced by the windows actually fetched.
    const fetched = done - skipped;
    const eta = fetched > 0 ? ((total - done) * elapsed) / fetched : Number.NaN;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    const pct = total > 0 ? ((done / total) * 100).toFixed(1) : '100.0';
    const stored = skipped > 0 ? ` (${skipped} already stored)` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} windows ${pct}%${stored} elapsed ${formatDuration(elapsed)} ETA ${Number.isNaN(eta) ? '?' : formatDuration(eta)}${status}`;
  };
  const show = () => {
    if (isTty) {
      write(`\r${line()}\x1b[K`);
      if (done === total) write('\n');
      return;
    }
    const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
    if (decile > lastDecile) {
      lastDecile = decile;
      write(`${line()}\n`);
    }
  };
  return {
    /** A window collected or given up on (quarantined). */
    tick(): void {
      done += 1;
      show();
    },
    /** A window passed over because it is already stored. */
    skip(): void {
      done += 1;
      skipped += 1;
      show();
    },
    /** A pause while transient trouble is waited out, shown on the progress line. */
    waiting(text: string): void {
      write(isTty ? `\r${line(` | ${text}`)}\x1b[K` : `${line(` | ${text}`)}\n`);
    },
    /** Ends a line left open on a terminal (a run that stops before 100%). */
    end(): void {
      if (isTty && done < total) write('\n');
    },
  };
}
