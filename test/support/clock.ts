import { firstInstantOf, parseWall } from '../../lambda/domain/wall-clock.ts';

/** A clock the test moves by hand; the collector and the simulator both read it. */
export class ManualClock {
  public ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  readonly now = (): number => this.ms;
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Real instant of a wall-clock time `YYYY-MM-DD HH:mm[:ss]` in a zone. */
export function instantOfWall(text: string, timeZone: string): number {
  const wall = parseWall(text);
  if (wall === undefined) throw new Error(`bad wall time ${text}`);
  return firstInstantOf(wall, timeZone);
}
