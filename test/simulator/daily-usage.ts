/** Per-token call counters that reset with the operation's wall-clock day. */
import { formatVendor, toWallClock } from '../../lambda/domain/wall-clock.ts';

export class DailyUsage {
  private readonly byToken = new Map<string, { day: string; used: number }>();

  readonly limit: number;
  readonly timeZone: string;

  constructor(limit: number, timeZone: string) {
    this.limit = limit;
    this.timeZone = timeZone;
  }

  private dayOf(nowMs: number): string {
    return formatVendor(toWallClock(nowMs, this.timeZone)).slice(0, 8);
  }

  /** Calls the token made on the wall-clock day of `nowMs`. */
  usedToday(token: string, nowMs: number): number {
    const entry = this.byToken.get(token);
    return entry && entry.day === this.dayOf(nowMs) ? entry.used : 0;
  }

  /** Spends one call of the day; false (and nothing spent) when the day's allowance is gone. */
  spend(token: string, nowMs: number): boolean {
    const day = this.dayOf(nowMs);
    let entry = this.byToken.get(token);
    if (!entry || entry.day !== day) {
      entry = { day, used: 0 };
      this.byToken.set(token, entry);
    }
    if (entry.used >= this.limit) return false;
    entry.used += 1;
    return true;
  }
}
