/**
 * A one-line progress bar with ETA for ranges (backfills) on the command line.
 * On a terminal it redraws in place; elsewhere (CI logs, pipes) it prints every 10%, every
 * pause while the API is waited out, and the first line after a pause, so a log shows why
 * the run was quiet and when it went on.
 *
 * The ETA is paced by working time only: the time spent in pauses (maintenance, 5xx, a busy
 * token waited out) is left out, so a long spell of trouble does not inflate it. While a
 * pause lasts, the line names what it waits out, how long the pause is and how much of it is
 * left; its ETA is what the remaining windows take at the pace of calls once the API answers.
 */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One pause of a range, as the engine announces it (runRange's onWaiting). */
export interface ProgressWait {
  /** Length of this pause. */
  readonly ms: number;
  /** What is waited out. */
  readonly error: { readonly message: string };
  /** Paused in this spell of trouble before this pause. */
  readonly waitedMs: number;
  /** The most a spell may be waited out. */
  readonly limitMs: number;
}

/** Calls `fn` every `ms` until the returned function is called. */
export type Repeat = (ms: number, fn: () => void) => () => void;

const realRepeat: Repeat = (ms, fn) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export function progressReporter(total: number, write: (text: string) => void, isTty: boolean, clock: () => number = Date.now, repeat: Repeat = realRepeat) {
  const started = clock();
  let done = 0;
  let skipped = 0;
  let lastDecile = 0;
  /** Time spent in pauses that are over. */
  let pausedMs = 0;
  /** The last pause, until the next event: a window done or skipped, another pause, the end. */
  let wait: { readonly info: ProgressWait; readonly start: number; readonly end: number } | undefined;
  let stopRedraw: (() => void) | undefined;
  /** A pause ended since the last line printed (logs print the line after it). */
  let resumed = false;
  let ended = false;

  // The engine sleeps exactly the announced pause unless asked to stop; an event before its
  // end (a stop request) ends it then.
  const pausedIn = (w: NonNullable<typeof wait>, at: number) => Math.max(0, Math.min(at, w.end) - w.start);
  const closeWait = (): void => {
    stopRedraw?.();
    stopRedraw = undefined;
    if (!wait) return;
    pausedMs += pausedIn(wait, clock());
    wait = undefined;
    resumed = true;
  };

  const line = (): string => {
    const now = clock();
    const elapsed = now - started;
    const paused = pausedMs + (wait ? pausedIn(wait, now) : 0);
    // Skipped windows cost nothing: the ETA is paced by the working time per window fetched.
    // Many windows done at once (one call for many) only make the pace right sooner.
    const fetched = done - skipped;
    const eta = done >= total ? 0 : fetched > 0 ? ((total - done) * (elapsed - paused)) / fetched : Number.NaN;
    const etaText = `ETA ${Number.isNaN(eta) ? '?' : formatDuration(eta)}`;
    const width = 30;
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
    const pct = total > 0 ? ((done / total) * 100).toFixed(1) : '100.0';
    const stored = skipped > 0 ? ` (${skipped} already stored)` : '';
    const head = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} windows ${pct}%${stored} elapsed ${formatDuration(elapsed)}${paused > 0 ? ` (paused ${formatDuration(paused)})` : ''}`;
    if (!wait) return `${head} ${etaText}`;
    const { info } = wait;
    const left = wait.end - now;
    const spell = `waited ${formatDuration(info.waitedMs + info.ms)} of at most ${formatDuration(info.limitMs)}`;
    const pause = left > 0 ? `next try in ${formatDuration(left)} of a ${formatDuration(info.ms)} pause; ${spell} by then` : `trying again after a ${formatDuration(info.ms)} pause; ${spell}`;
    return `${head} | waiting out: ${info.error.message} | ${pause} | ${etaText} once the API answers`;
  };
  const draw = (): void => write(isTty ? `\r${line()}\x1b[K` : `${line()}\n`);
  const show = (): void => {
    if (isTty) {
      draw();
      if (done === total) write('\n');
      return;
    }
    const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
    if (decile > lastDecile || resumed) {
      lastDecile = Math.max(lastDecile, decile);
      resumed = false;
      draw();
    }
  };
  return {
    /** A window collected or given up on (quarantined). */
    tick(): void {
      closeWait();
      done += 1;
      show();
    },
    /** A window passed over because it is already stored. */
    skip(): void {
      closeWait();
      done += 1;
      skipped += 1;
      show();
    },
    /** A pause while transient trouble is waited out; on a terminal its countdown is redrawn every second. */
    waiting(info: ProgressWait): void {
      closeWait();
      resumed = false;
      const start = clock();
      const current = { info, start, end: start + info.ms };
      wait = current;
      draw();
      if (!isTty) return;
      const stop = repeat(1_000, () => {
        if (wait !== current) return;
        draw();
        // The last redraw says the pause is over; the call after it ends the wait.
        if (clock() >= current.end) {
          stop();
          if (stopRedraw === stop) stopRedraw = undefined;
        }
      });
      stopRedraw = stop;
    },
    /** Ends a line left open on a terminal (a run that stops before 100%); again, it does nothing. */
    end(): void {
      closeWait();
      if (isTty && done < total && !ended) write('\n');
      ended = true;
    },
  };
}

/**
 * Work that makes no window of its own (a day's check, the day objects' rewrite), named on
 * the progress line's place: redrawn in place on a terminal and cleared at the end, one line
 * each in a log.
 */
export function phaseLine(write: (text: string) => void, isTty: boolean) {
  let open = false;
  return {
    show(text: string): void {
      write(isTty ? `\r${text}...\x1b[K` : `${text}...\n`);
      open = isTty;
    },
    end(): void {
      if (open) write('\r\x1b[K');
      open = false;
    },
  };
}
