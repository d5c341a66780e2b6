import type { Log } from '../../lambda/collector/ports.ts';

/** A Log that keeps every line as the JSON a log sink would receive. */
export class CaptureLog implements Log {
  readonly lines: string[] = [];
  private push(level: string, message: string, extra?: Record<string, unknown>) {
    this.lines.push(JSON.stringify({ level, message, ...extra }));
  }
  debug(m: string, e?: Record<string, unknown>) { this.push('debug', m, e); }
  info(m: string, e?: Record<string, unknown>) { this.push('info', m, e); }
  warn(m: string, e?: Record<string, unknown>) { this.push('warn', m, e); }
  error(m: string, e?: Record<string, unknown>) { this.push('error', m, e); }
}
