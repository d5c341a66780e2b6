/**
 * The closing summary of `npm start`: built from the run's report (what this run did, what
 * the state knows), never from a scan of the store, so a run costs what it does whatever the
 * size of the history. What needs the whole store is `npm run status` or `npm run query`,
 * and the summary says how to ask them about this same folder or bucket.
 */
import { labelOf } from '../domain/checkpoint.ts';
import { StorageError } from '../domain/errors.ts';
import { formatWall } from '../domain/wall-clock.ts';
import { cleanText } from '../domain/vendor-text.ts';
import { WINDOW_MS } from '../domain/window.ts';
import type { AllowanceFigures } from '../collector/allowance.ts';
import type { RunReport } from '../collector/runs.ts';
import { reserveText } from '../domain/allowance-settings.ts';
import { DEFAULT_RESERVE, type Reserve } from '../domain/vendor-model.ts';
import type { CliArgs } from './cli-args.ts';
import { formatDays, formatRange, windowRanges } from './day-ranges.ts';
import { formatDuration } from './progress.ts';

export interface SummaryContext {
  readonly server: string;
  readonly timeZone: string;
  /** Where the data went, for humans (a folder path or s3://bucket/prefix). */
  readonly where: string;
  readonly args: CliArgs;
  readonly cap: number | undefined;
  /** How long a range waits out one spell of trouble before it stops. */
  readonly rangeWaitMs: number;
  /** TOKEN_RESERVE as set (default 20%). */
  readonly reserve?: Reserve;
}

/** A word the shell passes as is, or the word in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The `--out` or `--bucket` the user gave, to repeat in hints (nothing when they gave neither). */
export function sinkFlags(args: Pick<CliArgs, 'out' | 'outGiven' | 'bucket'>): string {
  if (args.bucket !== undefined) return ` --bucket ${shellWord(args.bucket)}`;
  return args.outGiven ? ` --out ${shellWord(args.out)}` : '';
}

export function summarize(report: RunReport, ctx: SummaryContext): string {
  const lines: string[] = [];
  const { first, last } = report.collected;
  const rerun = ctx.args.range ? 'rerun the same command' : 'run again';
  // A job cut short in the middle of its top-down search resumes that search, not at one window.
  const resumeAt = report.job && !report.job.searching ? ` at ${report.job.next.slice(0, 16)}` : '';
  const span = first && last ? ` (${formatWall(first.startWall).slice(0, 16)} to ${formatWall(last.startWall + WINDOW_MS).slice(0, 16)} ${ctx.timeZone})` : '';
  if (ctx.args.range) {
    const r = ctx.args.range;
    lines.push(`Range ${formatWall(r.fromWall).slice(0, 16)} to ${formatWall(r.toWall).slice(0, 16)} (${ctx.timeZone}) of operation ${ctx.server} into ${ctx.where}:`);
    // A range refused before its first call (the token's limit, the cap, the reserve) planned nothing: its job still stands.
    if (report.planned === 0 && report.job) lines.push('Nothing collected now: the range was not started (why, below); its job stands as saved');
    else lines.push(`Due windows: ${report.planned}; collected now: ${report.collected.count}${span}; already stored, skipped: ${report.skipped}`);
  } else if (report.planned === 0 && report.stopReason === 'done') {
    lines.push(`No new window of operation ${ctx.server} is due since the last run (a window is due SETTLE_MINUTES after it ends); nothing to collect in ${ctx.where}`);
  } else {
    lines.push(`Collected ${report.collected.count} of ${report.planned} window(s) of operation ${ctx.server}${span} into ${ctx.where}`);
  }
  lines.push(`Rows written: ${report.collected.rows}; API calls: ${report.apiCalls}${ctx.cap !== undefined ? ` (${report.callsToday} of DAILY_CALL_CAP=${ctx.cap} used today)` : ''}`);
  const calls = report.collected.callsByInterval;
  // Interval keys are the vendor's, kept as sent in the rows: printed cleaned.
  if (Object.keys(calls).length) lines.push(`Calls per interval in what this run collected: ${Object.entries(calls).map(([k, v]) => `${cleanText(k, 80)}=${v}`).join(', ')}`);
  if (report.waitedMs > 0) lines.push(`Waited out API trouble for ${formatDuration(report.waitedMs)} in all.`);
  if (report.quarantined.length) lines.push(`Skipped after a non-transient failure: ${windowRanges(report.quarantined.map(labelOf)).map(formatRange).join(', ')} (the fetch log has the answer; ${ctx.args.range ? `${rerun} to try them again` : 'a backfill over them tries again'})`);
  if (report.notYetDue) lines.push(`Not collected, not ended yet: ${report.notYetDue} window(s); ${rerun} once they have ended`);
  const stoppedAt = report.stoppedAt;
  if (report.stopReason === 'interrupted') {
    lines.push(`Interrupted: what was collected is stored and progress is saved; ${rerun} to resume${resumeAt}.`);
  } else if (report.stopReason === 'token-limit-wait' || report.stopReason === 'token-limit') {
    const until = report.tokenLimitUntil ? new Date(report.tokenLimitUntil).toISOString() : "the operation's next midnight";
    lines.push(`Wolkvox's daily limit for this token is spent (TOKEN LIMIT EXCEEDED): no API call until ${until}; ${rerun} after that to resume${resumeAt}.`);
  } else if (report.stopReason === 'reserve') {
    lines.push(`Stopped to keep the token's reserve for other integrations: ${reserveFigures(report.allowance, ctx.reserve)}; ${rerun} after midnight (${ctx.timeZone}) to resume${resumeAt}.`);
  } else if (report.stopReason === 'budget') {
    lines.push(`Daily call cap reached: ${report.callsToday} of DAILY_CALL_CAP=${ctx.cap ?? '?'} calls made today (${ctx.timeZone}); ${rerun} after midnight there to resume${resumeAt}.`);
  } else if (stoppedAt) {
    const e = stoppedAt.error;
    lines.push(`Stopped at ${labelOf(stoppedAt.window)}: ${e.name}: ${e.message}`);
    if (report.gaveUpWaiting) lines.push(`The API kept failing for ${formatDuration(ctx.rangeWaitMs)}; progress is saved: ${rerun} later to resume${resumeAt}.`);
    else if (e instanceof StorageError) lines.push(`Nothing after that window was recorded as done; fix the storage problem and ${rerun} to resume there.`);
    else if (e.retryable) lines.push(`Transient: ${rerun} to resume there.`);
    else lines.push(`Fix the cause above, then ${rerun}: it resumes there.`);
  }
  if (report.windowsBehind > 0) lines.push(`Still due and not collected: ${report.windowsBehind} window(s)`);
  if (report.restated > 0) lines.push(`Re-collected for late calls (revision 2): ${report.restated} window(s)`);
  if (report.backfilled > 0) lines.push(`Collected for queued backfills: ${report.backfilled} window(s)`);
  if (ctx.args.range && report.job) lines.push(`Left in this range: ${report.job.remaining} window label(s)${report.job.searching ? '' : ` from ${report.job.next.slice(0, 16)}`}`);
  const v = report.verification;
  const asked = report.asked;
  if (asked?.vendorMode) lines.push(`Vendor model set to ${asked.vendorMode.to} (was ${asked.vendorMode.from}): ${asked.vendorMode.to === 'additive' ? "days are compared with Wolkvox's day totals again" : "days are no longer compared with Wolkvox's day totals"}, from this run on.`);
  if (asked?.recheck.length) lines.push(`Asked to check again against Wolkvox's day totals: ${formatDays(asked.recheck)} (each with a fresh bound on checking; the lines below say where each stands now)`);
  if (v.verified.length || v.changed.length) lines.push(`Days verified against Wolkvox's day totals: ${v.verified.length ? formatDays(v.verified) : 'none'}${v.changed.length ? `; changed since collected (re-collected what differed): ${formatDays(v.changed)}` : ''}; API calls for verification: ${v.apiCalls}`);
  if (v.partial.length) lines.push(`Not verified, collected only in part: ${formatDays(v.partial)} (a range over the whole day fills and verifies it)`);
  if (v.unreconcilable.length) lines.push(`Do not add up at Wolkvox, not checked again: ${formatDays(v.unreconcilable)} (a span's total differs from its windows' own answers; status 'unreconcilable' in cdr_4_verifications; windows kept as answered; the DaysUnverified alarm)`);
  if (v.unverified.length) lines.push(`Left unverified at their bound on checking, not checked again: ${formatDays(v.unverified)} (status 'unverified'; the DaysUnverified alarm)`);
  if (v.vendorMode !== 'additive') lines.push(`Wolkvox's totals are taken not to add up (vendor model non-additive, after two days that did not or by hand): windows are collected without comparing sums (VendorNotAdditive); days are no longer verified against day totals. Once Wolkvox is fixed: npm start --${sinkFlags(ctx.args)} --vendor-model additive (add --recheck DAY to try a day again).`);
  if (v.silentSince) lines.push(`No answer has shown a call since ${v.silentSince}, longer than SILENT_DAYS: check that the token and server are this operation's and that the report has data (the ReportSilent alarm).`);
  if (v.pending > 0) {
    const alarm = v.pastBound ? ` (${v.pastBound} of them unverified for more than 3 days: the DaysUnverified alarm)` : '';
    lines.push(`Days waiting for verification: ${v.pending}: ${formatDays(v.pendingDays)}${alarm}; a whole day is checked against Wolkvox's day total by the first run once VERIFY_AFTER_MINUTES have passed since it ended; a day collected only in part is not (a range over it completes it)`);
  }
  if (v.stoppedAt) lines.push(`Verification stopped: ${v.stoppedAt.error.message}`);
  if (!ctx.args.range && report.backfillRemaining > 0) lines.push(`Backfill still queued: ${report.backfillRemaining} window(s) (worked on after live windows, each run)`);
  if (!ctx.args.range && report.budgetExhausted && report.stopReason === 'done') {
    lines.push(
      report.heldBy === 'reserve'
        ? `The token's reserve for other integrations is reached: ${reserveFigures(report.allowance, ctx.reserve)}; history (restatement, backfill) and checking paused until midnight (${ctx.timeZone}), live windows go on.`
        : 'Daily call budget reached: history (restatement, backfill) paused until tomorrow.',
    );
  }
  if (report.heldBy === 'check-share') lines.push(`Checking's share of today's calls (CHECK_SHARE) is spent: verification and reconciliation wait until midnight (${ctx.timeZone}); ${ctx.args.range ? 'the first run after it checks the days this range filled' : 'live windows and queued backfills go on'}.`);
  lines.push('');
  lines.push(...nextSteps(ctx));
  return `${lines.join('\n')}\n`;
}

/** The token's figures as token_info last told them today (with our calls since), and the reserve kept of them. */
function reserveFigures(a: AllowanceFigures | null | undefined, reserve: Reserve = DEFAULT_RESERVE): string {
  const setting = `TOKEN_RESERVE=${reserveText(reserve)}`;
  if (!a || a.limit === null || a.usedToday === null) return `${setting} is kept`;
  return `its daily limit is ${a.limit}, ${a.usedToday} used today by every integration, ${a.reserve} kept (${setting})`;
}

/** How to look at what is stored: the same folder or bucket as this run. */
function nextSteps(ctx: SummaryContext): string[] {
  const sink = sinkFlags(ctx.args);
  const status = `Where every day stands (verified, waiting, queued): npm run status${sink ? ` --${sink}` : ''}`;
  if (ctx.args.bucket !== undefined) return [status, `Query the bucket with Athena (the stack's AthenaWorkGroup), or collect into a folder for npm run query.`];
  const sql = `SELECT dt, interval, sum(calls) AS calls FROM cdr_4 WHERE operation = '${ctx.server}' GROUP BY ALL ORDER BY ALL`;
  return [status, `Query it: npm run query --${sink} "${sql}"`];
}
