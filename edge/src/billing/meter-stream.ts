import Stripe from 'stripe';
import type { Config } from '../env';
import type { ClaimedUsageEvent } from './scripts/outbox-scripts';
import { classifyStripeError, formatUnits, type SendOutcome } from './send-meter-event';
import { type MeterEventsClient, stripeOptions } from './stripe-client';

/** Stripe's most events per meter event stream call. */
export const STREAM_BATCH = 100;

/** One stream call's event for an outbox entry: identifier = job id, as with v1, so Stripe dedups repeats. */
export function streamEvent(eventName: string, event: ClaimedUsageEvent) {
  const { job, units, at } = event.fields;
  return {
    event_name: eventName,
    identifier: job,
    timestamp: new Date(Math.floor(Number(at) / 1000) * 1000).toISOString(),
    payload: { stripe_customer_id: event.customer, value: formatUnits(Number(units)) },
  };
}

/**
 * Stripe's high-throughput meter events (v2 `meter_event_stream`): up to 100 events per call,
 * authenticated by a meter event session token (valid 15 minutes) that the secret key creates.
 * The stream validates asynchronously: a 200 means Stripe took the batch, a repeated identifier is
 * dropped by Stripe (so a resend after a lost answer is harmless), and an event Stripe cannot use
 * (a deleted customer) is reported later through Stripe's `v1.billing.meter.error_report_triggered`
 * event, not here. One session per flush; an expired one is renewed once per call.
 */
export class MeterStream {
  private current: Promise<Stripe> | null = null;
  /** Stripe calls made: sessions and stream calls (each is a subrequest). */
  calls = 0;

  constructor(
    private readonly stripe: MeterEventsClient,
    private readonly config: Config['stripe'],
  ) {}

  /** The session's client; lanes sending side by side share one, and only the first to see it expire renews it. */
  private session(stale?: Promise<Stripe>): Promise<Stripe> {
    if (!this.current || this.current === stale) {
      this.calls++;
      const created = this.stripe.v2.billing.meterEventSession
        .create()
        .then((s) => new Stripe(s.authentication_token, stripeOptions(this.config)));
      created.catch(() => {
        if (this.current === created) this.current = null;
      });
      this.current = created;
    }
    return this.current;
  }

  /** Sends one batch (at most STREAM_BATCH) and says what became of all of it. */
  async send(events: ClaimedUsageEvent[]): Promise<SendOutcome> {
    const body = { events: events.map((e) => streamEvent(this.config.meterEventName, e)) };
    let used: Promise<Stripe> | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        used = this.session(used);
        const client = await used;
        this.calls++;
        await client.v2.billing.meterEventStream.create(body);
        return { kind: 'accepted' };
      } catch (error) {
        if ((error as { type?: string }).type === 'TemporarySessionExpiredError' && attempt === 0) continue;
        return classifyStripeError(error);
      }
    }
  }
}
