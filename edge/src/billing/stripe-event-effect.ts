import type Stripe from 'stripe';

/**
 * What a verified Stripe event means for an ldm account. The convention (docs: edge/src/billing/README.md):
 *   account  `metadata.ldm_account_id` on the Checkout Session / Invoice (a Checkout Session's
 *            `client_reference_id` also works); otherwise the account already linked to the
 *            event's customer
 *   credits  `metadata.credits` on the Checkout Session (one-off purchases), or on the Invoice,
 *            its subscription (`parent.subscription_details.metadata`), or its line items
 *            (`lines.data[].metadata.credits`, summed) for recurring top-ups
 *   customer the event's `customer` is linked to the account
 * A Checkout Session whose payment is not settled yet (`payment_status: unpaid`, delayed methods)
 * links the customer but adds nothing; the invoice of the same purchase should carry the credits.
 */
export interface StripeEventEffect {
  accountId: string;
  customer: string;
  credits: number;
  /** Set when a credits value was present but not a usable number (the event still links). */
  invalidCredits?: string;
}

export const HANDLED_EVENT_TYPES = ['checkout.session.completed', 'invoice.paid'] as const;

type Metadata = Record<string, string> | null | undefined;
const MAX_CREDITS = 1e12;

const idOf = (value: string | { id: string } | null | undefined) =>
  typeof value === 'string' ? value : (value?.id ?? '');

/** A credits figure from metadata: absent -> undefined, unusable -> NaN. */
function creditsFrom(metadata: Metadata): number | undefined {
  const raw = metadata?.credits;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= MAX_CREDITS ? n : Number.NaN;
}

function finish(
  accountId: string,
  customer: string,
  credits: number | undefined,
  raw?: string,
): StripeEventEffect {
  if (credits !== undefined && Number.isNaN(credits)) {
    return { accountId, customer, credits: 0, invalidCredits: raw ?? 'not a number in [0, 1e12]' };
  }
  return { accountId, customer, credits: credits ?? 0 };
}

function fromCheckout(session: Stripe.Checkout.Session): StripeEventEffect {
  const accountId = session.metadata?.ldm_account_id ?? session.client_reference_id ?? '';
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  const credits = paid ? creditsFrom(session.metadata) : undefined;
  return finish(accountId, idOf(session.customer), credits, session.metadata?.credits);
}

function fromInvoice(invoice: Stripe.Invoice): StripeEventEffect {
  const subscriptionMetadata = invoice.parent?.subscription_details?.metadata;
  const accountId = invoice.metadata?.ldm_account_id ?? subscriptionMetadata?.ldm_account_id ?? '';
  let credits = creditsFrom(invoice.metadata) ?? creditsFrom(subscriptionMetadata);
  if (credits === undefined) {
    for (const line of invoice.lines?.data ?? []) {
      const perLine = creditsFrom(line.metadata);
      if (perLine !== undefined) credits = (credits ?? 0) + perLine;
    }
  }
  return finish(accountId, idOf(invoice.customer), credits, invoice.metadata?.credits);
}

/** The effect of a handled event type, or null for any other type (acknowledged and ignored). */
export function stripeEventEffect(event: Stripe.Event): StripeEventEffect | null {
  switch (event.type) {
    // A signed event is Stripe's, but an object missing from it must not throw (500) either.
    case 'checkout.session.completed':
      return fromCheckout(event.data?.object ?? ({} as Stripe.Checkout.Session));
    case 'invoice.paid':
      return fromInvoice(event.data?.object ?? ({} as Stripe.Invoice));
    default:
      return null;
  }
}
