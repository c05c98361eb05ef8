import { describe, expect, it } from 'vitest';
import { classifyStripeError, formatUnits, meterEventParams } from './send-meter-event';

// Shapes of the errors the stripe SDK throws (type names and fields as StripeError has them).
const err = (type: string, statusCode?: number, message = 'x', headers?: Record<string, string>) => ({
  type,
  statusCode,
  message,
  headers,
});

describe('classifyStripeError', () => {
  it.each([
    ['network failure', err('StripeConnectionError', undefined, 'connect ECONNREFUSED')],
    ['5xx', err('StripeAPIError', 500)],
    ['rate limit', err('StripeRateLimitError', 429)],
    ['bad or revoked key (affects every event)', err('StripeAuthenticationError', 401)],
    ['missing permission', err('StripePermissionError', 403)],
    ['conflict', err('StripeInvalidRequestError', 409)],
    [
      'a 400 Stripe says to retry',
      err('StripeInvalidRequestError', 400, 'lock', { 'stripe-should-retry': 'true' }),
    ],
    ['anything unrecognised', new TypeError('fetch failed')],
  ])('%s -> retry (kept pending, backoff)', (_, error) => {
    expect(classifyStripeError(error).kind).toBe('retry');
  });

  it('a duplicate identifier means Stripe already has the event -> acknowledged', () => {
    const e = err('StripeInvalidRequestError', 400, 'An event already exists with identifier gen_1.', {
      'stripe-should-retry': 'false',
    });
    expect(classifyStripeError(e)).toEqual({ kind: 'duplicate' });
  });

  it('any other refusal -> reject, with type, status and message for the held reason', () => {
    const e = err('StripeInvalidRequestError', 400, "No such customer: 'cus_x'");
    expect(classifyStripeError(e)).toEqual({
      kind: 'reject',
      error: "StripeInvalidRequestError 400: No such customer: 'cus_x'",
    });
  });
  it('never carries an API key into the recorded reason', () => {
    const e = err('StripeAuthenticationError', 401, 'Invalid API Key provided: sk_live_abc123XYZ');
    expect(classifyStripeError(e)).toEqual({
      kind: 'retry',
      error: 'StripeAuthenticationError 401: Invalid API Key provided: [redacted key]',
    });
  });
});

describe('meterEventParams', () => {
  it('maps an outbox entry to the meter event: identifier = job id, timestamp in seconds, value as a string', () => {
    const params = meterEventParams('ldm_units', {
      id: '1-0',
      fields: {
        job: 'gen_abc',
        account: 'acct_1',
        model: 'demo-shapes',
        units: '1.8192',
        at: '1795690000999',
      },
      customer: 'cus_1',
      reclaimed: false,
    });
    expect(params).toEqual({
      event_name: 'ldm_units',
      identifier: 'gen_abc',
      timestamp: 1795690000,
      payload: { stripe_customer_id: 'cus_1', value: '1.8192' },
    });
  });
});

describe('formatUnits', () => {
  it.each([
    [10, '10'],
    [1.8192, '1.8192'],
    [0.5, '0.5'],
    [1e-7, '0'],
    [0.000001, '0.000001'],
    [1e12, '1000000000000'],
    [12.3456789, '12.345679'],
  ])('%d -> %s', (units, text) => {
    expect(formatUnits(units)).toBe(text);
  });
});
