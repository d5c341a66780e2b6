import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import { parseWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

const windowBoundary = z
  .string()
  .transform((text, ctx) => {
    const wall = parseWall(text);
    if (wall === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a date-time "YYYY-MM-DD HH:mm" (operation wall clock)` });
    else if (wall % WINDOW_MS !== 0) ctx.addIssue({ code: 'custom', message: `"${text}" is not on a 5-minute boundary` });
    return wall ?? 0;
  });

/** What may invoke the function: the EventBridge schedule, a manual `{}`, or a backfill request. */
const scheduledEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().optional(),
});
const manualEvent = z.strictObject({});
const backfillEvent = z.strictObject({
  backfill: z
    .strictObject({ from: windowBoundary, to: windowBoundary })
    .refine((b) => b.to > b.from, { message: '"to" must be after "from"', path: ['to'] }),
});

export const collectorEventSchema = z.union([backfillEvent, scheduledEvent, manualEvent]);

/** What the run is asked to do beyond its schedule. */
export type CollectorRequest = { readonly kind: 'scheduled' } | { readonly kind: 'backfill'; readonly fromWall: number; readonly toWall: number };

export function parseCollectorEvent(event: unknown): CollectorRequest {
  if (event !== null && typeof event === 'object' && 'backfill' in event) {
    const parsed = backfillEvent.safeParse(event);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
      throw new ConfigError(`invalid backfill event: ${detail}; expected {"backfill": {"from": "YYYY-MM-DD HH:mm", "to": "YYYY-MM-DD HH:mm"}}`);
    }
    return { kind: 'backfill', fromWall: parsed.data.backfill.from, toWall: parsed.data.backfill.to };
  }
  const parsed = collectorEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const keys = event && typeof event === 'object' ? Object.keys(event).slice(0, 10).join(', ') : typeof event;
    throw new ConfigError(`unsupported event (keys: ${keys || 'none'}): expected an EventBridge "Scheduled Event" from aws.events, {} or {"backfill": {"from": ..., "to": ...}}`);
  }
  return { kind: 'scheduled' };
}
