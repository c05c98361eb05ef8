import Stripe from 'stripe';
import type { Config } from '../env';

const clients = new WeakMap<Config['stripe'], Stripe>();

/**
 * One Stripe client per isolate, on the fetch HTTP client (Workers have no node:http). With
 * STRIPE_API_BASE set (a local recorder in tests, a proxy in some deployments) every call goes
 * there instead of api.stripe.com. The SDK's own retries are off: the meter flush retries with
 * its own backoff, and the job id as identifier makes a repeat harmless. Null without a key.
 */
export function stripeClient(config: Config['stripe']): Stripe | null {
  if (!config.secretKey) return null;
  let client = clients.get(config);
  if (!client) {
    client = new Stripe(config.secretKey, stripeOptions(config));
    clients.set(config, client);
  }
  return client;
}

/**
 * The client options every Stripe client of the edge uses: the main one above, and the meter
 * event stream's, which authenticates with a session token instead of the key (meter-stream.ts).
 * With STRIPE_API_BASE set, the host override covers the v2 meter event host too.
 */
export function stripeOptions(config: Config['stripe']): Stripe.StripeConfig {
  const base = config.apiBase ? new URL(config.apiBase) : null;
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  return {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
    timeout: config.timeoutMs,
    ...(base
      ? { host: base.hostname, port: Number(base.port || (protocol === 'http' ? 80 : 443)), protocol }
      : {}),
  };
}

/** The Stripe calls the meter flush makes; narrowed so callers and tests say exactly what is used. */
export type MeterEventsClient = Pick<Stripe, 'billing' | 'v2'>;
