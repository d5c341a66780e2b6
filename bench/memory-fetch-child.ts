/** Baseline for the memory benchmark: the same number of bare fetch calls, no collector. */
import { parseWall } from '../lambda/domain/wall-clock.ts';
import { dateEnd, dateIni, WINDOW_MS } from '../lambda/domain/window.ts';
import { BENCH_TOKEN } from './collector-deps.ts';

const [origin, days] = process.argv.slice(2);
const from = parseWall('2026-09-01 00:00')!;
const rssAt: number[] = [];
for (let i = 0; i < Number(days) * 288; i += 1) {
  const w = { startWall: from + i * WINDOW_MS, timeZone: 'America/Bogota' };
  const response = await fetch(`${origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=${dateIni(w)}&date_end=${dateEnd(w)}`, { headers: { 'wolkvox-token': BENCH_TOKEN } });
  await response.text();
  if ((i + 1) % 288 === 0) rssAt.push(process.memoryUsage().rss);
}
process.stdout.write(JSON.stringify({ windows: Number(days) * 288, peak_rss_kb: process.resourceUsage().maxRSS, rss_mb_by_day: rssAt.map((b) => Math.round(b / 1048576)) }));
