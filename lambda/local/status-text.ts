/** `npm run status` for people: one block per operation, days as date ranges. */
import { formatRange } from './day-ranges.ts';
import type { DayStatus, OperationStatus, StoreStatus } from './store-status.ts';

/** What a status means, in words; a status a later version adds is shown by its own name. */
const MEANING: Record<string, string> = {
  verified: 'verified',
  changed: "changed: Wolkvox's day total differed, what differed was re-collected; checked again later",
  waiting: 'waiting for verification',
  partial: 'collected only in part, not verified (a range over the whole day completes it)',
};

function meaning(status: DayStatus): string {
  return MEANING[status] ?? status;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function minutes(label: string): string {
  return label.slice(0, 16);
}

function operationText(op: OperationStatus): string[] {
  const lines = [`Operation ${op.operation}${op.timeZone ? ` (${op.timeZone})` : ''}${op.updatedAt ? `, checkpoint written ${op.updatedAt}` : ''}:`];
  if (op.checkpointError) lines.push(`  The checkpoint cannot be read: ${op.checkpointError}`);
  const counts = Object.entries(op.dayCounts).map(([status, n]) => `${n} ${status}`);
  lines.push(`  Days: ${counts.length ? counts.join(', ') : 'none recorded yet'}`);
  for (const run of op.days) lines.push(`    ${formatRange(run)}: ${meaning(run.status)}${run.count > 1 ? ` (${plural(run.count, 'day')})` : ''}`);
  const zone = op.timeZone ? ` ${op.timeZone}` : '';
  const next = op.nextScheduledWindow ? `; the schedule's next window: ${minutes(op.nextScheduledWindow)}` : '; no scheduled run yet (ranges only)';
  lines.push(`  Last window stored: ${op.lastWindowStored ? `${minutes(op.lastWindowStored)}${zone}` : 'none'}${next}`);
  const cap = op.callsToday.cap === null ? 'no DAILY_CALL_CAP set here' : `of DAILY_CALL_CAP=${op.callsToday.cap}`;
  const a = op.allowance;
  const allowance = !a
    ? "the token's own daily allowance was not read today"
    : a.limit === null
      ? `token_info gave no usable limit at ${a.readAt}`
      : `the token's daily limit is ${a.limit}, ${a.usedAtRead ?? '?'} used by every integration at ${a.readAt} (token_info)`;
  lines.push(`  API calls on ${op.callsToday.day}: ${op.callsToday.calls} (${cap}; ${allowance})`);
  if (op.silence) lines.push(`  No answer has shown a call since ${minutes(op.silence.since)}${zone}, longer than SILENT_DAYS=${op.silence.silentDays}: check that the token and server are this operation's and that the report has data (the ReportSilent alarm)`);
  if (op.vendorMode !== 'additive') lines.push("  Wolkvox's totals are taken not to add up: windows are collected without comparing sums (status 'collected'); once Wolkvox is fixed, npm start -- --vendor-model additive");
  if (op.tokenLimitUntil) lines.push(`  Wolkvox said TOKEN LIMIT EXCEEDED: no API call until ${op.tokenLimitUntil}`);
  if (op.backfills.length === 0) lines.push('  Queued backfills: none');
  for (const b of op.backfills) {
    const where = b.searching ? ' (its top-down search is under way)' : `, from ${minutes(b.next)}`;
    lines.push(`  Queued backfill ${minutes(b.from)} to ${minutes(b.to)}${b.refetch ? ' (refetch)' : ''}: ${plural(b.windowsLeft, 'window')} left${where}`);
  }
  lines.push(`  Quarantined windows: ${op.quarantined.length ? op.quarantined.map((r) => `${formatRange(r)}`).join(', ') : 'none'}`);
  const failing = Object.entries(op.failing);
  if (failing.length) lines.push(`  Failing (quarantined after 3 runs in a row): ${failing.map(([w, n]) => `${w} (${n})`).join(', ')}`);
  return lines;
}

export function statusText(status: StoreStatus): string {
  return `Store ${status.where}\n${status.operations.map((op) => operationText(op).join('\n')).join('\n\n')}\n`;
}
