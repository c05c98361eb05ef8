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
    const base = config.apiBase ? new URL(config.apiBase) : null;
    const protocol = base?.protocol === 'http:' ? 'http' : 'https';
    client = new Stripe(config.secretKey, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: 0,
      timeout: config.timeoutMs,
      ...(base
        ? { host: base.hostname, port: Number(base.port || (protocol === 'http' ? 80 : 443)), protocol }
        : {}),
    });
    clients.set(config, client);
  }
  return client;
}

/** The one Stripe call the meter flush makes; narrowed so callers and tests say exactly what is used. */
export type MeterEventsClient = Pick<Stripe, 'billing'>;
