import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos-runner.ts';

describe('Chaos: two simulated days through the handler under faults', () => {
  it.each([
    ['America/Bogota', '2026-11-19'],
    // Spring-forward and fall-back days: the skipped hour has no windows, the repeated one is collected once.
    ['Europe/Madrid', '2026-03-28'],
    ['Europe/Madrid', '2026-10-24'],
  ])('loses, doubles and leaks nothing when %s runs from %s through a storm', async (timeZone, startDay) => {
    // Act
    const figures = await runChaos({ days: 2, startDay, timeZone, seed: 7, faultRate: 0.04, writeFailureRate: 0.01, killRate: 0.03, overlapRate: 0.03 });
    console.log(`chaos figures ${timeZone} ${startDay}: ${JSON.stringify(figures)}`);

    // Assess
    expect(figures.missing_windows).toBe(0);
    expect(figures.mismatched_windows).toBe(0);
    expect(figures.simultaneous_requests).toBe(0);
    expect(figures.token_leaks).toBe(0);
    expect(figures.faults_injected).toBeGreaterThan(0);
    expect(figures.write_failures).toBeGreaterThan(0);
    expect(figures.kills).toBeGreaterThan(0);
    expect(figures.overlaps).toBeGreaterThan(0);
    expect(figures.quarantined_then_backfilled).toBe(1);
    const expected = startDay === '2026-03-28' ? 288 + 276 : 576;
    expect(figures.windows_expected).toBe(expected);
  }, 120_000);
});
