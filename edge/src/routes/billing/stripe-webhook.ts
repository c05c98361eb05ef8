import { type Context, Hono } from 'hono';
import Stripe from 'stripe';
import { applyStripeEvent } from '../../billing/scripts/stripe-link-scripts';
import { stripeEventEffect } from '../../billing/stripe-event-effect';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { ACCOUNT_ID_PATTERN } from '../../lib/ids';
import { bodyLimit } from '../../middleware/body-limit';

// Verification needs no API key and no network: only the webhook secret and Web Crypto.
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/**
 * POST /stripe/webhook: Stripe's events, verified with the SDK's constructEventAsync against
 * STRIPE_WEBHOOK_SECRET (a bad or missing signature is a 400 and changes nothing), then applied
 * at most once (apply-stripe-event.lua). A verified event is answered 200 (also the ones this
 * edge does not act on, so Stripe does not retry them for days), except one carrying credits for
 * no usable account: it is refused unmarked so Stripe retries it (see `unapplied`).
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
  // The account id becomes part of Redis key names: only a real account id is looked up.
  if (effect.accountId !== '' && !ACCOUNT_ID_PATTERN.test(effect.accountId)) {
    console.warn(`stripe event ${event.id} (${event.type}): ldm_account_id is not an account id`);
    return unapplied(c, event, 'invalid_account_id', effect.credits);
  }
  const result = await applyStripeEvent(redis, {
    eventId: event.id,
    type: event.type,
    accountId: effect.accountId,
    customer: effect.customer,
    credits: effect.credits,
  });
  if (result.outcome === 'no_account') {
    console.warn(`stripe event ${event.id} (${event.type}): no_account`);
    return unapplied(c, event, 'no_account', effect.credits);
  }
  if (result.outcome === 'customer_conflict') {
    console.warn(`stripe event ${event.id} (${event.type}): customer_conflict`);
  }
  return c.json({ received: true, id: event.id, type: event.type, ...result });
});

/**
 * An event that names no usable account was not applied and is not marked seen. Without credits
 * there is nothing to lose: 200, so Stripe stops (other products' invoices on a shared Stripe
 * account land here). With credits, a 4xx: Stripe retries it for days (and shows it failing in
 * the dashboard) until the account exists or the customer is linked, and then it applies once.
 */
function unapplied(c: Context<AppEnv>, event: Stripe.Event, outcome: string, credits: number): Response {
  if (credits <= 0) return c.json({ received: true, id: event.id, type: event.type, outcome, credits: 0 });
  if (outcome === 'invalid_account_id') {
    throw new ApiError('validation_error', 'metadata.ldm_account_id is not an ldm account id.', [
      {
        field: 'metadata.ldm_account_id',
        message: 'not an account id',
        limit: 'acct_ + 16 letters or digits',
      },
    ]);
  }
  throw new ApiError(
    'not_found',
    `No ldm account for Stripe event ${event.id}: name it in metadata.ldm_account_id or link the customer; Stripe's retry will apply it.`,
  );
}
