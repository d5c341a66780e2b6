/**
 * How much history one Lambda backfill request may queue (the event parser holds requests to
 * these: lambda/runtime/lambda-event.ts). Here, with no dependency, so the stack's outputs and
 * the docs' tests quote the same numbers.
 */

/**
 * The longest range one backfill request may cover, in days: a quarter. Longer history is sent
 * in parts (a year is four requests). With {@link MAX_QUEUED_BACKFILLS} it bounds the history
 * work anyone allowed to invoke the function can queue at once.
 */
export const MAX_BACKFILL_DAYS = 92;

/** Backfill jobs that may wait in the checkpoint at once; a request beyond them is refused. */
export const MAX_QUEUED_BACKFILLS = 5;
