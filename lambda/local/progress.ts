/**
 * A one-line progress bar with ETA for long ranges (backfills) on the command line.
 * On a terminal it redraws in place; elsewhere (CI logs, pipes) it prints every 10%.
 */
export function progressReporter(total: number, write: (text: string) => void, isTty: boolean, clock: () => number = Date.now) {
  const started = clock();
  let done = 0;
  let lastDecile = 0;
  const format = (ms: number) => {
    const s = Math.round(ms / 1000);
    return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  };
  const line = () => {
    const elapsed = clock() - started;
    const eta = done > 0 ? ((total - done) * elapsed) / done : Number.NaN;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    const pct = total > 0 ? ((done / total) * 100).toFixed(1) : '100.0';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} windows ${pct}% elapsed ${format(elapsed)} ETA ${Number.isNaN(eta) ? '?' : format(eta)}`;
  };
  return {
    tick(): void {
      done += 1;
      if (isTty) {
        write(`\r${line()}`);
        if (done === total) write('\n');
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile) {
        lastDecile = decile;
        write(`${line()}\n`);
      }
    },
  };
}
