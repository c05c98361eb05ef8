import type { Config } from '../env';
import type { ScriptRedis } from '../store/scripts/run-script';
import { beginFlush, endFlush } from './scripts/flush-lock';
import {
  ackUsageEvents,
  type ClaimedUsageEvent,
  claimUsageEvents,
  holdUsageEvents,
} from './scripts/outbox-scripts';
import { type SendOutcome, sendMeterEvent } from './send-meter-event';
import type { MeterEventsClient } from './stripe-client';

/** Every flush claims as this consumer: the flush lock makes it the only one at a time. */
const CONSUMER = 'meter-flush';

export interface FlushUsageOptions {
  /** Ignore a running backoff (the operator's on-demand flush). Default false. */
  force?: boolean;
  /** Entries claimed per round. Default 100. */
  batchSize?: number;
  /**
   * Most entries handled in one flush; the rest wait for the next. Default 500: each is one Stripe
   * call, and a Worker invocation may make only so many subrequests (1,000 on the paid plan).
   */
  maxEvents?: number;
  /** Meter events in flight at once. Default 8. */
  concurrency?: number;
  /** No new Stripe call starts after this many ms. Default 20,000, well inside the flush lock (see lockMs). */
  budgetMs?: number;
}

export interface FlushReport {
  outcome: 'flushed' | 'failed' | 'backoff' | 'busy' | 'not_configured';
  /** Accepted by Stripe now. */
  sent: number;
  /** Stripe already had them (an earlier attempt's answer was lost): acknowledged too. */
  duplicates: number;
  /** Moved to the held stream (no Stripe customer, or rejected by Stripe for good). */
  held: number;
  /** Claimed back from an earlier flush that never acknowledged them. */
  reclaimed: number;
  /** Claimed but left pending (Stripe failed, or the time budget ran out); the next flush takes them back. */
  unsent: number;
  /** Consecutive failed flushes, and when the next unforced flush may run (ISO) or null. */
  failures: number;
  retry_at: string | null;
  error?: string;
}

export interface FlushUsageDeps {
  redis: ScriptRedis;
  /** Null when STRIPE_SECRET_KEY is not set: events stay in the outbox until it is. */
  stripe: MeterEventsClient | null;
  stripeConfig: Config['stripe'];
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);

/** Runs `fn` over `items` with at most `limit` in flight, in order of start. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

// An entry the settling scripts wrote always has these; anything else cannot become a meter event.
const isWellFormed = (e: ClaimedUsageEvent) =>
  Boolean(e.fields.job) && Number.isFinite(Number(e.fields.units)) && Number.isFinite(Number(e.fields.at));

/**
 * Reports settled usage from the `outbox:usage` stream to Stripe as Billing Meter Events
 * (DESIGN decision 7). An entry leaves the outbox only after Stripe accepted it (or showed it
 * already had it), or to the held stream with a reason; a Stripe failure stops the flush, leaves
 * the rest pending for the next one and starts an exponential backoff. Nothing is ever dropped,
 * and the job id as identifier makes every repeat harmless.
 */
export async function flushUsage(
  deps: FlushUsageDeps,
  options: FlushUsageOptions = {},
): Promise<FlushReport> {
  const { redis, stripe, stripeConfig } = deps;
  const batchSize = options.batchSize ?? 100;
  const maxEvents = options.maxEvents ?? 500;
  const concurrency = options.concurrency ?? 8;
  const budgetMs = options.budgetMs ?? 20_000;
  const report: FlushReport = {
    outcome: 'flushed',
    sent: 0,
    duplicates: 0,
    held: 0,
    reclaimed: 0,
    unsent: 0,
    failures: 0,
    retry_at: null,
  };
  if (!stripe) return { ...report, outcome: 'not_configured' };

  const token = crypto.randomUUID();
  // The lock outlives the budget by two Stripe timeouts: the last round's calls may still be in flight.
  const lockMs = budgetMs + 2 * stripeConfig.timeoutMs + 5_000;
  const begin = await beginFlush(redis, { token, lockMs, force: options.force === true });
  if (begin.outcome !== 'locked') {
    return {
      ...report,
      outcome: begin.outcome,
      failures: begin.failures,
      retry_at: begin.outcome === 'backoff' ? iso(begin.retry_at) : null,
    };
  }

  const deadline = Date.now() + budgetMs;
  let failure: string | null = null;
  let handled = 0;
  try {
    while (failure === null && handled < maxEvents && Date.now() < deadline) {
      const batch = await claimUsageEvents(redis, CONSUMER, Math.min(batchSize, maxEvents - handled));
      if (batch.length === 0) break;
      handled += batch.length;
      report.reclaimed += batch.filter((e) => e.reclaimed).length;

      const toHold: { id: string; reason: string }[] = [];
      const sendable: ClaimedUsageEvent[] = [];
      for (const event of batch) {
        if (!isWellFormed(event)) toHold.push({ id: event.id, reason: 'malformed_event' });
        else if (!event.customer) toHold.push({ id: event.id, reason: 'no_stripe_customer' });
        else sendable.push(event);
      }

      const outcomes = await mapLimit(sendable, concurrency, async (event): Promise<SendOutcome | null> => {
        // After the first failure the rest of the batch is not even tried: Stripe is likely down.
        // Past the budget nothing new starts either, so the flush ends well within its lock and
        // no later flush reclaims an entry whose call is still in flight.
        if (failure !== null || Date.now() > deadline) return null;
        const outcome = await sendMeterEvent(stripe, stripeConfig.meterEventName, event);
        if (outcome.kind === 'retry' && failure === null) failure = outcome.error;
        return outcome;
      });

      const acked: string[] = [];
      sendable.forEach((event, i) => {
        const outcome = outcomes[i];
        if (outcome?.kind === 'accepted') report.sent++;
        else if (outcome?.kind === 'duplicate') report.duplicates++;
        else if (outcome?.kind === 'reject')
          toHold.push({ id: event.id, reason: `stripe_rejected: ${outcome.error}` });
        else report.unsent++;
        if (outcome?.kind === 'accepted' || outcome?.kind === 'duplicate') acked.push(event.id);
      });
      await ackUsageEvents(redis, acked);
      report.held += await holdUsageEvents(redis, toHold);
    }
  } finally {
    const end = await endFlush(redis, {
      token,
      outcome: failure === null ? 'ok' : 'failed',
      retryBaseMs: stripeConfig.retryBaseMs,
      retryMaxMs: stripeConfig.retryMaxMs,
      error: failure ?? undefined,
    });
    report.failures = end.failures;
    report.retry_at = iso(end.retry_at);
  }
  if (failure !== null) {
    report.outcome = 'failed';
    report.error = failure;
  }
  return report;
}
