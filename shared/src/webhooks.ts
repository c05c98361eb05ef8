import { z } from 'zod';
import { WEBHOOK_EVENTS } from './limits';

export const WebhookAttempt = z
  .object({
    attempt: z.int().describe('1 for the first attempt.'),
    at: z.iso.datetime(),
    status_code: z.int().nullable().describe("The receiver's HTTP status; null when it never answered."),
    latency_ms: z.int(),
    error: z.string().nullable().describe('Why the attempt failed (non-2xx, timeout, connection error).'),
    next_retry_at: z.iso.datetime().nullable().describe('When the next attempt is due; null after the last.'),
  })
  .meta({ id: 'WebhookAttempt' });

export const WebhookDelivery = z
  .object({
    event: z.enum(WEBHOOK_EVENTS),
    webhook_id: z.string().describe('The `webhook-id` header: the same on every attempt of this delivery.'),
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    created_at: z.iso.datetime(),
    next_attempt_at: z.iso.datetime().nullable(),
    attempts: z.array(WebhookAttempt),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = z
  .object({ data: z.array(WebhookDelivery).describe('In event order: start before completed.') })
  .meta({ id: 'WebhookDeliveryList' });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;
