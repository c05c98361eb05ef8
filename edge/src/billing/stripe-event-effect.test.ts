import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { stripeEventEffect } from './stripe-event-effect';

const event = (type: string, object: object) =>
  ({ id: 'evt_1', type, data: { object } }) as unknown as Stripe.Event;

describe('stripeEventEffect (the metadata convention in README.md)', () => {
  it('checkout: account from metadata, else client_reference_id; credits only once paid', () => {
    const paid = {
      customer: 'cus_1',
      payment_status: 'paid',
      metadata: { ldm_account_id: 'acct_1', credits: '250' },
    };
    expect(stripeEventEffect(event('checkout.session.completed', paid))).toEqual({
      accountId: 'acct_1',
      customer: 'cus_1',
      credits: 250,
    });
    const byReference = {
      customer: { id: 'cus_2' },
      client_reference_id: 'acct_2',
      payment_status: 'no_payment_required',
      metadata: { credits: '5' },
    };
    expect(stripeEventEffect(event('checkout.session.completed', byReference))).toEqual({
      accountId: 'acct_2',
      customer: 'cus_2',
      credits: 5,
    });
    const unpaid = { ...paid, payment_status: 'unpaid' };
    expect(stripeEventEffect(event('checkout.session.completed', unpaid))?.credits).toBe(0);
  });

  it('invoice: invoice metadata first, then the subscription’s, then line items summed', () => {
    const lines = {
      data: [{ metadata: { credits: '10' } }, { metadata: { credits: '2.5' } }, { metadata: {} }],
    };
    const base = { customer: 'cus_9', lines };
    expect(stripeEventEffect(event('invoice.paid', { ...base, metadata: { credits: '100' } }))?.credits).toBe(
      100,
    );
    const subscription = {
      parent: { subscription_details: { metadata: { credits: '40', ldm_account_id: 'acct_s' } } },
    };
    expect(stripeEventEffect(event('invoice.paid', { ...base, ...subscription, metadata: {} }))).toEqual({
      accountId: 'acct_s',
      customer: 'cus_9',
      credits: 40,
    });
    expect(stripeEventEffect(event('invoice.paid', { ...base, metadata: {} }))).toEqual({
      accountId: '',
      customer: 'cus_9',
      credits: 12.5,
    });
  });

  it.each(['abc', '-5', '1e13', 'Infinity'])(
    'credits "%s" is not a number in range: nothing added, flagged',
    (raw) => {
      const effect = stripeEventEffect(
        event('checkout.session.completed', {
          customer: 'cus_1',
          payment_status: 'paid',
          metadata: { ldm_account_id: 'a', credits: raw },
        }),
      );
      expect(effect).toMatchObject({ credits: 0, invalidCredits: raw, customer: 'cus_1' });
    },
  );

  it('other event types have no effect', () => {
    expect(stripeEventEffect(event('customer.subscription.updated', {}))).toBeNull();
  });
});
