import { describe, expect, it } from 'vitest';
import { ALARM_METRIC, figureField, METRIC, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';
import { runFigures } from '../../lambda/runtime/telemetry.ts';
import { CaptureLog } from '../support/capture-log.ts';

/** A metric sink that records what reaches CloudWatch: one entry per flush. */
class Sink {
  readonly flushed: Record<string, number>[] = [];
  private pending: Record<string, number> = {};
  addMetric(name: string, _unit: 'Count', value: number) {
    this.pending[name] = value;
  }
  publishStoredMetrics() {
    this.flushed.push(this.pending);
    this.pending = {};
  }
}

function adapter(context: Record<string, number> = {}) {
  const sink = new Sink();
  const log = new CaptureLog();
  const figures = runFigures(sink, log, context);
  const lines = () => log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === RUN_FIGURES_MESSAGE);
  return { sink, figures, lines };
}

describe('Function: runFigures (the Lambda metrics adapter)', () => {
  it('names each figure in snake_case in the log line, as the saved queries read them', () => {
    // Assess
    expect(Object.values(METRIC).map(figureField)).toEqual([
      'windows_collected',
      'fetch_failures',
      'api_calls',
      'rows_written',
      'windows_behind',
      'token_missing',
      'token_budget_exhausted',
      'windows_restated',
      'windows_backfilled',
      'backfill_windows_remaining',
      'windows_quarantined',
      'daily_api_calls',
      'days_unverified',
      'days_unreconcilable',
      'days_left_unverified',
      'vendor_not_additive',
      'token_limit',
      'token_use_today',
      'token_reserve',
      'report_silent_days',
    ]);
  });

  it('adds counts up, keeps the last value of a gauge and writes one line with the context when published', () => {
    // Prepare
    const { figures, lines } = adapter({ daily_call_cap: 900 });

    // Act
    figures.count(METRIC.apiCalls, 1);
    figures.count(METRIC.apiCalls, 1);
    figures.count(METRIC.dailyApiCalls, 40);
    figures.count(METRIC.dailyApiCalls, 41);
    figures.publish();

    // Assess
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ api_calls: 2, daily_api_calls: 41, daily_call_cap: 900, windows_collected: 0, fetch_failures: 0 });
    expect(lines()[0]).not.toHaveProperty('windows_behind');
  });

  it('sends no metric when nothing is behind and nothing else is raised (the run-figures line says the run happened)', () => {
    // Prepare
    const { figures, sink, lines } = adapter();

    // Act
    figures.count(METRIC.windowsCollected, 5);
    figures.count(METRIC.apiCalls, 5);
    figures.count(METRIC.windowsQuarantined, 1);
    figures.count(METRIC.backfillWindowsRemaining, 300);
    figures.count(METRIC.windowsBehind, 0);
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([]);
    expect(lines()).toHaveLength(1);
  });

  it('sends WindowsBehind only when at least one due window is behind', () => {
    // Prepare
    const { figures, sink } = adapter();

    // Act
    figures.count(METRIC.windowsBehind, 0);
    figures.publish();
    figures.count(METRIC.windowsBehind, 3);
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([{ WindowsBehind: 3 }]);
  });

  it.each([METRIC.tokenMissing, METRIC.tokenBudgetExhausted])('folds %s into TokenTrouble = 1', (name) => {
    // Prepare
    const { figures, sink } = adapter();

    // Act
    figures.count(name, 1);
    figures.count(name, 1);
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([{ [ALARM_METRIC.tokenTrouble]: 1 }]);
  });

  it('sends DaysUnverified only when a day is unverified', () => {
    // Prepare
    const { figures, sink, lines } = adapter();

    // Act
    figures.count(METRIC.daysUnverified, 0);
    figures.publish();
    figures.count(METRIC.daysUnverified, 2);
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([{ DaysUnverified: 2 }]);
    expect(lines().map((l) => l.days_unverified)).toEqual([0, 2]);
  });

  it('sends ReportSilentDays only when the report has been silent a day or more, the last value reported standing', () => {
    // Prepare
    const { figures, sink, lines } = adapter();

    // Act
    figures.publish();
    figures.count(METRIC.reportSilentDays, 0);
    figures.publish();
    figures.count(METRIC.reportSilentDays, 8);
    figures.count(METRIC.reportSilentDays, 9);
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([{ [ALARM_METRIC.reportSilent]: 9 }]);
    expect(lines().map((l) => l.report_silent_days)).toEqual([undefined, 0, 9]);
  });

  it('starts afresh for the next invocation of a warm container', () => {
    // Prepare
    const { figures, sink, lines } = adapter();
    figures.count(METRIC.apiCalls, 3);
    figures.count(METRIC.tokenMissing, 1);
    figures.publish();

    // Act
    figures.count(METRIC.windowsBehind, 1);
    figures.publish();

    // Assess
    expect(lines()[1]).toMatchObject({ api_calls: 0, token_missing: 0, windows_behind: 1 });
    expect(sink.flushed).toEqual([{ TokenTrouble: 1 }, { WindowsBehind: 1 }]);
  });

  it('flushes no metric document when nothing was reported (Powertools would log a warning for an empty one)', () => {
    // Prepare
    const { figures, sink, lines } = adapter();

    // Act
    figures.publish();

    // Assess
    expect(sink.flushed).toEqual([]);
    expect(lines()).toHaveLength(1);
  });
});
