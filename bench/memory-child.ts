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
let n = 0;
const report = await runRange(
  benchDeps(origin!, new LocalStore(out)),
  { ...baseSettings, onCollected: () => (++n % 288 === 0 ? rssAt.push(process.memoryUsage().rss) : undefined) },
  from,
  from + Number(days) * 86_400_000,
);
rmSync(out, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ windows: report.collected.length, peak_rss_kb: process.resourceUsage().maxRSS, rss_mb_by_day: rssAt.map((b) => Math.round(b / 1048576)) }));
