import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';

/** What may invoke the function: the EventBridge schedule, or a manual invoke with `{}`. */
const scheduledEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().optional(),
});
const manualEvent = z.strictObject({});

export const collectorEventSchema = z.union([scheduledEvent, manualEvent]);
export type CollectorEvent = z.infer<typeof collectorEventSchema>;

export function parseCollectorEvent(event: unknown): CollectorEvent {
  const parsed = collectorEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const keys = event && typeof event === 'object' ? Object.keys(event).slice(0, 10).join(', ') : typeof event;
    throw new ConfigError(`unsupported event (keys: ${keys || 'none'}): expected an EventBridge "Scheduled Event" from aws.events or {}`);
  }
  return parsed.data;
}
