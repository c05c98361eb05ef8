import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Stripe's events signed exactly as Stripe signs them (the SDK's generateTestHeaderString), sent
// to the edge in workerd, which verifies them with constructEventAsync and Web Crypto.
const WEBHOOK_SECRET = 'whsec_test_edge_webhook_secret_0123456789';
let stack: EdgeStack;

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
});
afterAll(async () => {
  await stack?.stop();
});

let eventSeq = 0;
function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  id = `evt_test_${Date.now()}_${eventSeq++}`,
) {
  return {
    id,
    object: 'event',
    api_version: '2025-04-30.basil',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

const checkout = (
  accountId: string,
  customer: string,
  credits: string | undefined,
  paymentStatus = 'paid',
) => ({
  id: `cs_test_${eventSeq}`,
  object: 'checkout.session',
  mode: 'payment',
  customer,
  client_reference_id: null,
  payment_status: paymentStatus,
  metadata: { ldm_account_id: accountId, ...(credits === undefined ? {} : { credits }) },
});

async function deliver(event: object, options: { secret?: string; signature?: string; body?: string } = {}) {
  const payload = options.body ?? JSON.stringify(event);
  const signature =
    options.signature ??
    Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET });
  const res = await stack.fetch('/stripe/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

async function account(id: string) {
  const res = await stack.fetch(`/admin/v1/accounts/${id}`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  return (await res.json()) as { credits: number; stripe_customer: string | null };
}

describe('POST /stripe/webhook', () => {
  let buyer: TestAccount;
  beforeAll(async () => {
    buyer = await stack.createAccount({ name: 'buyer', credits: 10 });
  });

  it('checkout.session.completed adds the credits from metadata and links the customer', async () => {
    const { status, body } = await deliver(
      stripeEvent('checkout.session.completed', checkout(buyer.id, 'cus_Buyer1', '500')),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ received: true, outcome: 'applied', account_id: buyer.id, credits: 500 });
    expect(await account(buyer.id)).toMatchObject({ credits: 510, stripe_customer: 'cus_Buyer1' });
  });

  it('a replayed event (same id) is applied once, also when redelivered concurrently', async () => {
    const event = stripeEvent('checkout.session.completed', checkout(buyer.id, 'cus_Buyer1', '25'));
    const before = (await account(buyer.id)).credits;
    const results = await Promise.all(Array.from({ length: 6 }, () => deliver(event)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(results.filter((r) => r.body.outcome === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.body.outcome === 'duplicate')).toHaveLength(5);
    const again = await deliver(event);
    expect(again.body).toMatchObject({ outcome: 'duplicate', credits: 25 });
    expect((await account(buyer.id)).credits).toBe(before + 25);
  });

  it('invoice.paid naming only the customer credits the linked account (line item metadata summed)', async () => {
    const before = (await account(buyer.id)).credits;
    const invoice = {
      id: 'in_test_1',
      object: 'invoice',
      customer: 'cus_Buyer1',
      metadata: {},
      lines: {
        object: 'list',
        data: [
          { id: 'il_1', object: 'line_item', metadata: { credits: '100' } },
          { id: 'il_2', object: 'line_item', metadata: { credits: '50.5' } },
          { id: 'il_3', object: 'line_item', metadata: {} },
        ],
      },
    };
    const { body } = await deliver(stripeEvent('invoice.paid', invoice));
    expect(body).toMatchObject({ outcome: 'applied', account_id: buyer.id, credits: 150.5 });
    expect((await account(buyer.id)).credits).toBeCloseTo(before + 150.5, 6);
  });

  it('a bad signature is a 400 signature_invalid and changes nothing', async () => {
    const before = await account(buyer.id);
    const event = stripeEvent('checkout.session.completed', checkout(buyer.id, 'cus_Buyer1', '1000'));
    const wrongSecret = await deliver(event, { secret: 'whsec_someone_else_entirely_000000' });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error?.code).toBe('signature_invalid');
    // A body changed after signing.
    const payload = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await deliver(event, { signature, body: payload.replace('"1000"', '"9000"') });
    expect(tampered.status).toBe(400);
    // Too old: outside the SDK's 300 s tolerance.
    const old = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: WEBHOOK_SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect((await deliver(event, { signature: old })).status).toBe(400);
    const missing = await stack.fetch('/stripe/webhook', { method: 'POST', body: payload });
    expect(missing.status).toBe(400);
    expect(await account(buyer.id)).toEqual(before);
    // The same event, correctly signed, still applies: the refused attempts did not mark it seen.
    expect((await deliver(event)).body).toMatchObject({ outcome: 'applied', credits: 1000 });
  });

  it('a correctly signed body that is not JSON is 400 invalid_json, not a signature error', async () => {
    const body = 'not json at all';
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET });
    const res = await deliver({}, { signature, body });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_json');
  });

  it('an unpaid checkout links the customer but adds nothing; other event types are acknowledged and ignored', async () => {
    const later = await stack.createAccount({ name: 'pays later', credits: 0 });
    const { body } = await deliver(
      stripeEvent('checkout.session.completed', checkout(later.id, 'cus_Later', '300', 'unpaid')),
    );
    expect(body).toMatchObject({ outcome: 'applied', credits: 0 });
    expect(await account(later.id)).toMatchObject({ credits: 0, stripe_customer: 'cus_Later' });
    const other = await deliver(stripeEvent('customer.created', { id: 'cus_X', object: 'customer' }));
    expect(other).toMatchObject({ status: 200, body: { outcome: 'ignored', type: 'customer.created' } });
  });

  it('a customer linked to one account is never moved to another by an event', async () => {
    const other = await stack.createAccount({ name: 'other', credits: 0 });
    const { body } = await deliver(
      stripeEvent('checkout.session.completed', checkout(other.id, 'cus_Buyer1', '7')),
    );
    expect(body).toMatchObject({ outcome: 'customer_conflict', account_id: other.id, credits: 7 });
    expect(await account(other.id)).toMatchObject({ credits: 7, stripe_customer: null });
    expect((await account(buyer.id)).stripe_customer).toBe('cus_Buyer1');
    // The operator cannot do it by accident either.
    const patch = await stack.fetch(`/admin/v1/accounts/${other.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stripe_customer: 'cus_Buyer1' }),
    });
    expect(patch.status).toBe(409);
  });

  it('an event for no known account and no credits is acknowledged (no_account) and marks nothing', async () => {
    const event = stripeEvent('invoice.paid', {
      id: 'in_x',
      object: 'invoice',
      customer: 'cus_Nobody',
      metadata: {},
    });
    const { status, body } = await deliver(event);
    expect(status).toBe(200);
    expect(body).toMatchObject({ outcome: 'no_account', credits: 0 });
    expect(await stack.redis.exists(`stripe:event:${event.id}`)).toBe(0);
  });

  it('credits for no account yet: refused unmarked so Stripe retries, applied once the customer is linked', async () => {
    const later = await stack.createAccount({ credits: 0 });
    const event = stripeEvent('invoice.paid', {
      id: 'in_later',
      object: 'invoice',
      customer: 'cus_LinkedLater',
      metadata: { credits: '40' },
    });
    const first = await deliver(event);
    expect(first.status).toBe(404);
    expect(first.body.error?.code).toBe('not_found');
    expect(await stack.redis.exists(`stripe:event:${event.id}`)).toBe(0);

    const patch = await stack.fetch(`/admin/v1/accounts/${later.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stripe_customer: 'cus_LinkedLater' }),
    });
    expect(patch.status).toBe(200);
    const retried = await deliver(event);
    expect(retried).toMatchObject({
      status: 200,
      body: { outcome: 'applied', account_id: later.id, credits: 40 },
    });
    expect((await deliver(event)).body).toMatchObject({ outcome: 'duplicate', credits: 40 });
    expect((await account(later.id)).credits).toBe(40);
  });

  it('an ldm_account_id that is not an account id is refused (422) before any key is built', async () => {
    for (const bad of ['acct_x:keys', '%1', 'acct_' + 'A'.repeat(200), `${buyer.id}:jobs`]) {
      const event = stripeEvent('checkout.session.completed', checkout(bad, 'cus_Weird', '5'));
      const { status, body } = await deliver(event);
      expect(status).toBe(422);
      expect(body.error?.code).toBe('validation_error');
      expect(JSON.stringify(body)).toContain('metadata.ldm_account_id');
      expect(await stack.redis.exists(`stripe:event:${event.id}`)).toBe(0);
    }
    // Without credits there is nothing to retry for: acknowledged, still nothing written.
    const free = stripeEvent('checkout.session.completed', checkout('acct_x:keys', 'cus_Weird', undefined));
    expect(await deliver(free)).toMatchObject({ status: 200, body: { outcome: 'invalid_account_id' } });
    expect(await stack.redis.exists('stripe:customer:cus_Weird')).toBe(0);
  });

  it('an apply that fails half-way leaves no marker: the retried event applies instead of being a duplicate', async () => {
    const broken = await stack.createAccount({ credits: 0 });
    // A balance Redis cannot add to makes the script fail after it linked the customer.
    await stack.redis.hset(`acct:${broken.id}`, { credits: 'not-a-number' });
    const event = stripeEvent('checkout.session.completed', checkout(broken.id, 'cus_Broken', '30'));
    const failed = await deliver(event);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await stack.redis.exists(`stripe:event:${event.id}`)).toBe(0);

    await stack.redis.hset(`acct:${broken.id}`, { credits: '0' });
    const retried = await deliver(event);
    expect(retried).toMatchObject({ status: 200, body: { outcome: 'applied', credits: 30 } });
    expect((await account(broken.id)).credits).toBe(30);
    expect((await deliver(event)).body).toMatchObject({ outcome: 'duplicate' });
    expect((await account(broken.id)).credits).toBe(30);
  });
});
