/** Child process of the memory benchmark: one backfill, then its peak RSS on stdout. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRange } from '../lambda/collector/runs.ts';
import { parseWall } from '../lambda/domain/wall-clock.ts';
import { LocalStore } from '../lambda/storage/local-store.ts';
import { baseSettings, benchDeps } from './collector-deps.ts';

const [origin, days] = process.argv.slice(2);
const out = mkdtempSync(join(tmpdir(), 'bench-mem-'));
const from = parseWall('2026-09-01 00:00')!;
const rssAt: number[] = [];
// With --expose-gc: the live heap after a full collection, per day (what a leak would grow).
const gc = (globalThis as { gc?: () => void }).gc;
const heapAt: number[] = [];
let n = 0;
const report = await runRange(
  benchDeps(origin!, new LocalStore(out)),
  {
    ...baseSettings,
    onCollected: () => {
      if (++n % 288 !== 0) return;
      rssAt.push(process.memoryUsage().rss);
      if (gc) {
        gc();
        heapAt.push(process.memoryUsage().heapUsed);
      }
    },
  },
  from,
  from + Number(days) * 86_400_000,
);
rmSync(out, { recursive: true, force: true });
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
process.stdout.write(JSON.stringify({ windows: report.collected.count, peak_rss_kb: process.resourceUsage().maxRSS, rss_mb_by_day: rssAt.map(mb), heap_mb_after_gc_by_day: heapAt.map(mb) }));
