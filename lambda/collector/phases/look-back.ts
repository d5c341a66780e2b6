/**
 * A new store's one look back: a call over the month before the schedule's first window says
 * whether the report has shown any call at all lately. None is suspicious (a report the server
 * does not have answers "no records" too): the silence alarm and the CLI say so at once, instead
 * of a week later.
 */
import { DAY_MS } from '../../domain/day.ts';
import { callCount, totalsOfReport } from '../../domain/totals.ts';
import { LOOK_BACK_DAYS } from '../../domain/vendor-model.ts';
import { describeSpan, type Span } from '../../domain/span.ts';
import { emptyOutcome, stopAt } from '../outcome.ts';
import { isWindowPoison } from '../vendor-caller.ts';
import type { Phase } from './phase.ts';

export const lookBackPhase: Phase = {
  name: 'look-back',
  spends: 'history',
  due: (run) => !run.state.lookedBack && run.state.liveFrom !== null,
  async work(run) {
    const { state, deps } = run;
    const out = emptyOutcome();
    const stop = await run.budget.mayCall();
    if (stop || !state.liveFrom) return stop ? stopAt(out, stop) : out;
    const span: Span = { fromWall: state.liveFrom.startWall - LOOK_BACK_DAYS * DAY_MS, toWall: state.liveFrom.startWall, timeZone: run.timeZone };
    const callsBefore = run.calls;
    const answer = await run.vendor.attempt(span, 1);
    out.calls = run.calls - callsBefore;
    if (!answer.ok) {
      await run.vendor.record(span, answer.meta, { error: answer.error });
      // A transient failure is tried again by a later run; an unreadable answer is not worth another call.
      if (isWindowPoison(answer.error)) state.lookedBack = true;
      deps.log.warn('the look back over the month before the first window failed', { span: describeSpan(span), message: answer.error.message });
      return out;
    }
    state.track(run.vendor.record(span, answer.meta, { report: answer.report, rowCount: 0 }));
    const calls = callCount(totalsOfReport(answer.report));
    // Calls somewhere in the month count as seen by the store's start: only a silence from here on is news.
    state.noteAnswer(span.fromWall, span.toWall, calls);
    state.lookedBack = true;
    if (calls === 0) deps.log.warn(`the report showed no call in the ${LOOK_BACK_DAYS} days before the first window`, { span: describeSpan(span) });
    else deps.log.info('looked back over the month before the first window', { span: describeSpan(span), calls });
    return out;
  },
};
