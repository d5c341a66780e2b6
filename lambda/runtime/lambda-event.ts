import * as z from 'zod/mini';
import { ConfigError } from '../domain/errors.ts';
import { parseWall } from '../domain/wall-clock.ts';
import { WINDOW_MS } from '../domain/window.ts';

const windowBoundary = z.pipe(
  z.string().check(
    z.refine((text) => parseWall(text) !== undefined, { error: (issue) => `"${String(issue.input)}" is not a date-time "YYYY-MM-DD HH:mm" (operation wall clock)` }),
    z.refine((text) => (parseWall(text) ?? 0) % WINDOW_MS === 0, { error: (issue) => `"${String(issue.input)}" is not on a 5-minute boundary` }),
  ),
  z.transform((text: string) => parseWall(text)!),
);

/** What may invoke the function: the EventBridge schedule, a manual `{}`, or a backfill request. */
const scheduledEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.optional(z.string()),
});
const manualEvent = z.strictObject({});
const unknownKeys = { error: (issue: { code?: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown key(s) ${(issue.keys ?? []).join(', ')}` : undefined) };
const backfillEvent = z.strictObject(
  {
    backfill: z.strictObject({ from: windowBoundary, to: windowBoundary, refetch: z.optional(z.boolean()) }, unknownKeys).check(z.refine((b) => b.to > b.from, { error: '"to" must be after "from"', path: ['to'] })),
  },
  unknownKeys,
);

const collectorEventSchema = z.union([backfillEvent, scheduledEvent, manualEvent]);

/** What the run is asked to do beyond its schedule. */
export type CollectorRequest = { readonly kind: 'scheduled' } | { readonly kind: 'backfill'; readonly fromWall: number; readonly toWall: number; readonly refetch: boolean };

export function parseCollectorEvent(event: unknown): CollectorRequest {
  if (event !== null && typeof event === 'object' && 'backfill' in event) {
    const parsed = backfillEvent.safeParse(event);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
      throw new ConfigError(`invalid backfill event: ${detail}; expected {"backfill": {"from": "YYYY-MM-DD HH:mm", "to": "YYYY-MM-DD HH:mm", "refetch": false}} (refetch optional)`);
    }
    return { kind: 'backfill', fromWall: parsed.data.backfill.from, toWall: parsed.data.backfill.to, refetch: parsed.data.backfill.refetch ?? false };
  }
  const parsed = collectorEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const keys = event && typeof event === 'object' ? Object.keys(event).slice(0, 10).join(', ') : typeof event;
    throw new ConfigError(`unsupported event (keys: ${keys || 'none'}): expected an EventBridge "Scheduled Event" from aws.events, {} or {"backfill": {"from": ..., "to": ...}}`);
  }
  return { kind: 'scheduled' };
}
