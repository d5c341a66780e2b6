/**
 * How many window labels a backfill job still has to settle, counted the way a range's
 * summary counts them ("Left in this range"), so that `npm run status` and the summary of a
 * stopped range give one number. The engine's own count (collector/runs.ts) is the same rule.
 */
import { WINDOW_MS } from './window.ts';

/** A span of a search in progress, on the wall clock: [fromWall, toWall). */
export interface WallSpan {
  readonly fromWall: number;
  readonly toWall: number;
}

/**
 * The spans of the job's search in progress (top down: exactly what is left of its current
 * chunk) and every label after that chunk up to `toWall`. With `isStored`, windows of those
 * spans already stored are not counted unless the job refetches: a search cut short skips
 * them when it resumes.
 */
export function jobWindowsLeft(job: { readonly nextWall: number; readonly toWall: number; readonly refetch: boolean }, search: readonly WallSpan[], isStored?: (startWall: number) => boolean): number {
  const skips = job.refetch ? undefined : isStored;
  const chunkEnd = search[0]?.toWall ?? job.nextWall;
  let inSearch = 0;
  for (const span of search) {
    if (!skips) {
      inSearch += (span.toWall - span.fromWall) / WINDOW_MS;
      continue;
    }
    for (let t = span.fromWall; t < span.toWall; t += WINDOW_MS) if (!skips(t)) inSearch += 1;
  }
  return inSearch + Math.max(0, (job.toWall - chunkEnd) / WINDOW_MS);
}
