import { Hono } from 'hono';
import Stripe from 'stripe';
import { applyStripeEvent } from '../../billing/scripts/stripe-link-scripts';
import { stripeEventEffect } from '../../billing/stripe-event-effect';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { bodyLimit } from '../../middleware/body-limit';

// Verification needs no API key and no network: only the webhook secret and Web Crypto.
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/**
 * POST /stripe/webhook: Stripe's events, verified with the SDK's constructEventAsync against
 * STRIPE_WEBHOOK_SECRET (a bad or missing signature is a 400 and changes nothing), then applied
 * at most once (apply-stripe-event.lua). Every verified event is answered 200, also the ones
 * this edge does not act on, so Stripe does not retry them for days.
 */
export const stripeWebhook = new Hono<AppEnv>().post('/', bodyLimit({ maxBytes: 1024 * 1024 }), async (c) => {
  const { config, redis } = c.var;
  const secret = config.stripe.webhookSecret;
  if (!secret) throw new ApiError('service_unavailable', 'Stripe webhooks are not configured on this edge.');
  const signature = c.req.header('stripe-signature');
  if (!signature) {
    throw new ApiError('signature_invalid', 'Missing Stripe-Signature header.', [
      { field: 'Stripe-Signature', message: 'required' },
    ]);
  }
  const body = await c.req.text();
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(body, signature, secret, undefined, cryptoProvider);
  } catch (error) {
    // The SDK checks the signature before it parses: a signed body that is not JSON lands here too.
    if (error instanceof SyntaxError) {
      throw new ApiError('invalid_json', `The body is signed but is not valid JSON: ${error.message}`);
    }
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'unknown';
    throw new ApiError('signature_invalid', `The Stripe-Signature did not verify: ${reason}`, [
      { field: 'Stripe-Signature', message: 'does not match the body, the secret or the time tolerance' },
    ]);
  }

  const effect = stripeEventEffect(event);
  if (!effect) return c.json({ received: true, id: event.id, type: event.type, outcome: 'ignored' });
  if (effect.invalidCredits !== undefined) {
    console.warn(
      `stripe event ${event.id} (${event.type}): metadata.credits "${effect.invalidCredits}" ignored`,
    );
  }
  const result = await applyStripeEvent(redis, {
    eventId: event.id,
    type: event.type,
    accountId: effect.accountId,
    customer: effect.customer,
    credits: effect.credits,
  });
  if (result.outcome === 'no_account' || result.outcome === 'customer_conflict') {
    console.warn(`stripe event ${event.id} (${event.type}): ${result.outcome}`);
  }
  return c.json({ received: true, id: event.id, type: event.type, ...result });
});
