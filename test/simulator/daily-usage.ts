/** Per-token call counters that reset with the operation's wall-clock day; other integrations' calls count too. */
import { formatVendor, toWallClock } from '../../lambda/domain/wall-clock.ts';

export class DailyUsage {
  private readonly byToken = new Map<string, { day: string; used: number }>();

  readonly limit: number;
  readonly timeZone: string;
  private readonly othersUse: (nowMs: number) => number;

  constructor(limit: number, timeZone: string, othersUse: (nowMs: number) => number = () => 0) {
    this.limit = limit;
    this.timeZone = timeZone;
    this.othersUse = othersUse;
  }

  private dayOf(nowMs: number): string {
    return formatVendor(toWallClock(nowMs, this.timeZone)).slice(0, 8);
  }

  /** Calls made with the token on the wall-clock day of `nowMs`, by us and by other integrations. */
  usedToday(token: string, nowMs: number): number {
    const entry = this.byToken.get(token);
    return (entry && entry.day === this.dayOf(nowMs) ? entry.used : 0) + this.othersUse(nowMs);
  }

  /** Spends one call of the day; false (and nothing spent) when the day's allowance is gone. */
  spend(token: string, nowMs: number): boolean {
    const day = this.dayOf(nowMs);
    let entry = this.byToken.get(token);
    if (!entry || entry.day !== day) {
      entry = { day, used: 0 };
      this.byToken.set(token, entry);
    }
    if (entry.used + this.othersUse(nowMs) >= this.limit) return false;
    entry.used += 1;
    return true;
  }
}
