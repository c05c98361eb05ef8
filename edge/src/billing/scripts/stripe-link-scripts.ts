import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

export const APPLY_STRIPE_EVENT: LuaScript = SCRIPTS['apply-stripe-event'];
export const LINK_STRIPE_CUSTOMER: LuaScript = SCRIPTS['link-stripe-customer'];

const TEMPLATES = JSON.stringify({ account: keys.account('{}'), customer: keys.stripeCustomer('{}') });

/** A verified Stripe event kept this long (Stripe retries deliveries for up to three days). */
export const STRIPE_EVENT_TTL_SECONDS = 30 * 24 * 3600;

export interface StripeEffect {
  eventId: string;
  type: string;
  /** ldm account named by the event's metadata; '' to resolve it from the customer. */
  accountId: string;
  /** Stripe customer to link; '' for none. */
  customer: string;
  credits: number;
}

export interface ApplyStripeEventResult {
  outcome: 'applied' | 'duplicate' | 'no_account' | 'customer_conflict';
  account_id?: string;
  customer?: string;
  credits: number;
}

/**
 * Applies one verified event's effect at most once: stripe:event:{id} is written in the same
 * script, and only once the event applied (no_account writes nothing, so a retry can apply it).
 * `accountId` must be '' or match ACCOUNT_ID_PATTERN (the route checks it).
 */
export function applyStripeEvent(redis: ScriptRedis, effect: StripeEffect): Promise<ApplyStripeEventResult> {
  return runScript<ApplyStripeEventResult>(
    redis,
    APPLY_STRIPE_EVENT,
    [keys.stripeEvent(effect.eventId)],
    [
      effect.accountId,
      effect.customer,
      String(effect.credits),
      effect.type,
      String(STRIPE_EVENT_TTL_SECONDS),
    ],
  );
}

export type LinkCustomerResult =
  | { outcome: 'linked' | 'unlinked' | 'not_found' }
  | { outcome: 'conflict'; account_id: string };

/** Links (customer) or unlinks ('') an account's Stripe customer in both directions. */
export function linkStripeCustomer(
  redis: ScriptRedis,
  accountId: string,
  customer: string,
): Promise<LinkCustomerResult> {
  return runScript<LinkCustomerResult>(
    redis,
    LINK_STRIPE_CUSTOMER,
    [keys.account(accountId)],
    [TEMPLATES, accountId, customer],
  );
}
