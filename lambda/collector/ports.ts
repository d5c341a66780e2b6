/** Structured logging, satisfied by Powertools' Logger in Lambda and a console logger in the CLI. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Counters per run, published as CloudWatch EMF in Lambda, summarised in the CLI. */
export interface MetricsPort {
  count(name: string, value: number): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

export class MetricsTally implements MetricsPort {
  readonly totals = new Map<string, number>();
  count(name: string, value: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }
}
