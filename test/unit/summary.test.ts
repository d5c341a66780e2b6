import { describe, expect, it } from 'vitest';
import { idleReport, type VerificationSummary } from '../../lambda/collector/run-report.ts';
import { parseCliArgs } from '../../lambda/local/cli-args.ts';
import { summarize, type SummaryContext } from '../../lambda/local/summary.ts';

describe('Function: summarize (the vendor model)', () => {
  const ctx: SummaryContext = { server: '0032', timeZone: 'America/Bogota', where: './data', args: parseCliArgs([]), cap: undefined, rangeWaitMs: 0 };
  const verification = (v: Partial<VerificationSummary>): VerificationSummary => ({ ...idleReport('done').verification, ...v });

  it('names the days that do not add up, the days left at their bound, the mode and a silence when the run found them', () => {
    // Prepare
    const report = idleReport('done', { verification: verification({ unreconcilable: ['2026-11-18'], unverified: ['2026-11-17'], vendorMode: 'non-additive', silentSince: '2026-11-01' }) });

    // Act
    const text = summarize(report, ctx);

    // Assess
    expect(text).toMatch(/Do not add up at Wolkvox, not checked again: 2026-11-18 .*'unreconcilable'/);
    expect(text).toMatch(/Left unverified at their bound on checking, not checked again: 2026-11-17/);
    expect(text).toContain('windows are collected without comparing sums (VendorNotAdditive)');
    expect(text).toMatch(/No answer has shown a call since 2026-11-01, longer than SILENT_DAYS.*ReportSilent/);
  });

  it('says checking waits for the next operation day, and no daily budget, when checking\'s share held a scheduled run back', () => {
    // Prepare
    const report = idleReport('done', { heldBy: 'check-share' });

    // Act
    const text = summarize(report, ctx);

    // Assess
    expect(text).toContain("Checking's share of today's calls (CHECK_SHARE) is spent: verification and reconciliation wait until midnight (America/Bogota); live windows and queued backfills go on.");
    expect(text).not.toContain('Daily call budget reached');
  });

  it('says what the operator\'s asks changed before the days\' lines, and how to go back, when the run took them', () => {
    // Prepare
    const report = idleReport('done', { asked: { vendorMode: { from: 'additive', to: 'non-additive' }, recheck: ['2026-11-17', '2026-11-18'] }, verification: verification({ vendorMode: 'non-additive', partial: ['2026-11-17'] }) });

    // Act
    const text = summarize(report, { ...ctx, args: parseCliArgs(['--out', '/tmp/x y']) });

    // Assess
    expect(text).toContain('Vendor model set to non-additive (was additive): days are no longer compared with Wolkvox\'s day totals, from this run on.');
    expect(text).toContain("Asked to check again against Wolkvox's day totals: 2026-11-17..2026-11-18");
    expect(text.indexOf('Asked to check again')).toBeLessThan(text.indexOf('Not verified, collected only in part'));
    expect(text).toContain("Once Wolkvox is fixed: npm start -- --out '/tmp/x y' --vendor-model additive");
  });

  it('says none of it when the vendor adds up and answers with calls', () => {
    // Act
    const text = summarize(idleReport('done'), ctx);

    // Assess
    expect(text).not.toMatch(/add up|bound on checking|VendorNotAdditive|SILENT_DAYS/);
  });

  it('names the token\'s reserve and its figures instead of a daily budget when the reserve held a scheduled run\'s history back', () => {
    // Prepare: no DAILY_CALL_CAP here, so "daily call budget" would point at a setting that is not set.
    const report = idleReport('done', { budgetExhausted: true, heldBy: 'reserve', allowance: { limit: 1_000, usedToday: 800, reserve: 200 } });

    // Act
    const text = summarize(report, { ...ctx, reserve: { share: 0.2 } });

    // Assess
    expect(text).toContain("The token's reserve for other integrations is reached: its daily limit is 1000, 800 used today by every integration, 200 kept (TOKEN_RESERVE=20%); history (restatement, backfill) and checking paused until midnight (America/Bogota), live windows go on.");
    expect(text).not.toContain('Daily call budget reached');
  });
});
