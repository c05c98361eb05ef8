import type { ClaimedUsageEvent } from './scripts/outbox-scripts';
import type { MeterEventsClient } from './stripe-client';

/**
 * What Stripe's answer means for one outbox entry:
 *   accepted   Stripe took it: acknowledge
 *   duplicate  Stripe already has an event with this identifier (an earlier attempt whose answer
 *              was lost): it is billed, so acknowledge
 *   retry      Stripe could not be reached, or may take it later (network, timeout, 5xx, 429,
 *              401/403 key trouble): keep it pending and back off
 *   reject     Stripe refused this event for good (unknown customer, timestamp too old, ...):
 *              hold it with the reason
 */
export type SendOutcome =
  | { kind: 'accepted' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; error: string }
  | { kind: 'reject'; error: string };

/** Units as Stripe reads a decimal: plain digits (never `1e-7`), at most 6 decimals (units are far below 1e21). */
export function formatUnits(units: number): string {
  return units.toFixed(6).replace(/\.?0+$/, '');
}

/** The Billing Meter Event for one settled job: identifier = job id, so Stripe dedups any repeat. */
export function meterEventParams(eventName: string, event: ClaimedUsageEvent) {
  const { job, units, at } = event.fields;
  return {
    event_name: eventName,
    identifier: job,
    timestamp: Math.floor(Number(at) / 1000),
    payload: { stripe_customer_id: event.customer, value: formatUnits(Number(units)) },
  };
}

interface StripeErrorShape {
  type?: string;
  statusCode?: number;
  message?: string;
  headers?: Record<string, string>;
}

// Stripe's answer to a second event with the same identifier (400, stripe-should-retry: false).
const DUPLICATE_IDENTIFIER = /already exists with identifier/i;
const RETRYABLE_TYPES = new Set([
  'StripeConnectionError',
  'StripeAPIError',
  'StripeRateLimitError',
  'StripeAuthenticationError',
  'StripePermissionError',
  'StripeIdempotencyError',
]);

// The text ends up in Redis, the admin status and logs: no key may ride along in it.
const SECRET_KEY = /\b(sk|rk)_(live|test)_[A-Za-z0-9*]+/g;

export function classifyStripeError(error: unknown): SendOutcome {
  const e = (error ?? {}) as StripeErrorShape;
  const text =
    `${e.type ?? 'Error'}${e.statusCode ? ` ${e.statusCode}` : ''}: ${e.message ?? String(error)}`.replace(
      SECRET_KEY,
      '[redacted key]',
    );
  if (DUPLICATE_IDENTIFIER.test(e.message ?? '')) return { kind: 'duplicate' };
  const shouldRetry = e.headers?.['stripe-should-retry'];
  if (shouldRetry === 'true') return { kind: 'retry', error: text };
  const status = e.statusCode ?? 0;
  if (RETRYABLE_TYPES.has(e.type ?? '') || status === 0 || status >= 500 || status === 409 || status === 429)
    return { kind: 'retry', error: text };
  return { kind: 'reject', error: text };
}

export async function sendMeterEvent(
  stripe: MeterEventsClient,
  eventName: string,
  event: ClaimedUsageEvent,
): Promise<SendOutcome> {
  try {
    await stripe.billing.meterEvents.create(meterEventParams(eventName, event));
    return { kind: 'accepted' };
  } catch (error) {
    return classifyStripeError(error);
  }
}
