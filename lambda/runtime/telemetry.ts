/**
 * What the Lambda prints: Powertools' JSON logs and, for the alarms only, EMF custom metrics.
 * handler.ts wires it; the metric contract test and the cost bench use the same functions, so
 * they see exactly what the deployed function emits.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Log, MetricsPort } from '../collector/ports.ts';
import { alarmMetricsOf, figureFields, GAUGES, METRIC_DIMENSION, METRICS_NAMESPACE, RUN_FIGURES_MESSAGE, SERVICE_NAME } from '../domain/metrics.ts';

/** Where custom metrics go: Powertools Metrics (EMF on stdout) in Lambda. */
export interface MetricSink {
  addMetric(name: string, unit: typeof MetricUnit.Count, value: number): unknown;
  publishStoredMetrics(): unknown;
}

/** The MetricsPort of one Lambda container: figures are gathered per invocation and flushed by `publish`. */
export interface RunFigures extends MetricsPort {
  /** Logs the invocation's figures as one line, emits its alarm metrics, and starts afresh for the next one. */
  publish(): void;
}

/**
 * The Lambda's metrics adapter: every figure the engine reports becomes a field of one
 * `run figures` log line per invocation; only the alarm metrics (ALARM_METRICS) reach `sink`.
 * `context` fields are added to every line (e.g. the daily cap, which the dashboard draws).
 */
export function runFigures(sink: MetricSink, log: Log, context: Record<string, number> = {}): RunFigures {
  let figures = new Map<string, number>();
  return {
    count(name, value) {
      figures.set(name, GAUGES.has(name) ? value : (figures.get(name) ?? 0) + value);
    },
    publish() {
      const run = figures;
      // A warm container runs again: nothing of this invocation may leak into the next one.
      figures = new Map();
      log.info(RUN_FIGURES_MESSAGE, { ...figureFields(run), ...context });
      const metrics = alarmMetricsOf(run);
      for (const m of metrics) sink.addMetric(m.name, MetricUnit.Count, m.value);
      // Powertools would log a warning for an empty flush: a run with nothing to alarm on prints nothing.
      if (metrics.length > 0) sink.publishStoredMetrics();
    },
  };
}

/**
 * Powertools Logger and Metrics as the function uses them, for operation `server`. The metrics
 * carry exactly the dimension set the alarms match: {operation}, on every publish (addDimension
 * would be cleared after the first flush, and the default adds "service").
 */
export function lambdaTelemetry(server: string, context: Record<string, number> = {}): { log: Log; metrics: RunFigures } {
  const logger = new Logger({ serviceName: SERVICE_NAME, persistentKeys: { operation: server } });
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRIC_DIMENSION]: server });
  const log: Log = {
    debug: (message, extra = {}) => logger.debug(message, extra),
    info: (message, extra = {}) => logger.info(message, extra),
    warn: (message, extra = {}) => logger.warn(message, extra),
    error: (message, extra = {}) => logger.error(message, extra),
  };
  return { log, metrics: runFigures(metrics, log, context) };
}
