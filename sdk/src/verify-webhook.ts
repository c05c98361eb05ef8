import type { Generation } from '@ldm/shared';
import { Webhook } from 'standardwebhooks';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function headerRecord(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Checks a webhook delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`; timestamps more than 5 minutes off are refused as replays) and returns
 * the parsed payload: the Generation as it was when the event happened (the `ldm-event` header
 * says `start` or `completed`). `payload` must be the raw body exactly as received: re-serialised
 * JSON does not verify. Throws standardwebhooks' WebhookVerificationError when it does not verify.
 */
export function verifyWebhook<T = Generation>(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
): T {
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  return new Webhook(secret).verify(body, headerRecord(headers)) as T;
}

export { WebhookVerificationError } from 'standardwebhooks';
