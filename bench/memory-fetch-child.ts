/** Baseline for the memory benchmark: the same number of bare calls through the client's HTTP transport, no collector. */
import { parseWall } from '../lambda/domain/wall-clock.ts';
import { nodeHttpGet } from '../lambda/wolkvox/cdr4-client.ts';
import { dateEnd, dateIni, WINDOW_MS } from '../lambda/domain/window.ts';
import { BENCH_TOKEN } from './collector-deps.ts';

const [origin, days] = process.argv.slice(2);
const from = parseWall('2026-09-01 00:00')!;
const rssAt: number[] = [];
for (let i = 0; i < Number(days) * 288; i += 1) {
  const w = { startWall: from + i * WINDOW_MS, timeZone: 'America/Bogota' };
  await nodeHttpGet(new URL(`${origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=${dateIni(w)}&date_end=${dateEnd(w)}`), { 'wolkvox-token': BENCH_TOKEN }, new AbortController().signal, 8 * 1024 * 1024);
  if ((i + 1) % 288 === 0) rssAt.push(process.memoryUsage().rss);
}
process.stdout.write(JSON.stringify({ windows: Number(days) * 288, peak_rss_kb: process.resourceUsage().maxRSS, rss_mb_by_day: rssAt.map((b) => Math.round(b / 1048576)) }));
