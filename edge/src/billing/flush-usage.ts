import type { Config } from '../env';
import type { ScriptRedis } from '../store/scripts/run-script';
import { MeterStream, STREAM_BATCH } from './meter-stream';
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
  /** `stream` (default): Stripe's v2 meter event stream, 100 events per call; `events`: one v1 call per event. */
  api?: MeterApi;
  /** Events per stream call. Default (and Stripe's most) 100. */
  streamBatch?: number;
  /** Entries claimed per round. Default 500 (stream), 100 (events). */
  batchSize?: number;
  /** Most entries handled in one flush; the rest wait for the next. Default 30,000 (stream), 500 (events). */
  maxEvents?: number;
  /**
   * Stripe calls in flight at once. Default 4: a Worker invocation keeps at most 6 connections
   * open, and the Redis calls of the same flush need one.
   */
  concurrency?: number;
  /** No new Stripe call starts after this many ms. Default 20,000, well inside the flush lock (see lockMs). */
  budgetMs?: number;
  /**
   * Most subrequests (Stripe and Redis calls) the flush makes: no call starts that could pass it.
   * Default 850, inside the cron trigger's stated 900 and Workers Paid's 1,000 per invocation.
   */
  maxSubrequests?: number;
}

export type MeterApi = 'stream' | 'events';

export interface FlushReport {
  outcome: 'flushed' | 'failed' | 'backoff' | 'busy' | 'not_configured';
  /** Accepted by Stripe now. */
  sent: number;
  /** Stripe already had them (an earlier attempt's answer was lost): acknowledged too (v1 only; the stream drops repeats silently). */
  duplicates: number;
  /** Moved to the held stream (no Stripe customer, too old for Stripe, or rejected by Stripe for good). */
  held: number;
  /** Claimed back from an earlier flush that never acknowledged them. */
  reclaimed: number;
  /** Claimed but left pending (Stripe failed, or the time or subrequest budget ran out); the next flush takes them back. */
  unsent: number;
  /** Consecutive failed flushes, and when the next unforced flush may run (ISO) or null. */
  failures: number;
  retry_at: string | null;
  /** Stripe and Redis calls this flush made (each one subrequest of the invocation). */
  subrequests: number;
  /** Age of the oldest event still in the outbox after this flush (s), null when it is empty or unknown. */
  oldest_unsent_age_s: number | null;
  /** True when that age is over LAG_ALERT_MS (an hour): billing is falling behind. */
  lagging: boolean;
  /** Held events older than Stripe accepts, trimmed by this flush. */
  held_trimmed: number;
  error?: string;
}

export interface FlushUsageDeps {
  redis: ScriptRedis;
  /** Null when STRIPE_SECRET_KEY is not set: events stay in the outbox until it is. */
  stripe: MeterEventsClient | null;
  stripeConfig: Config['stripe'];
}

/** The oldest unsent event older than this raises the billing lag alert. */
export const LAG_ALERT_MS = 3_600_000;
/** Stripe refuses meter events older than 35 days; such events are held at once, not sent. */
const STRIPE_MAX_EVENT_AGE_MS = 35 * 24 * 3600_000;
/** Calls kept back for the end of a round and of the flush: ack, hold, end-flush. */
const RESERVED_CALLS = 3;

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

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

// An entry the settling scripts wrote always has these; anything else cannot become a meter event.
const isWellFormed = (e: ClaimedUsageEvent) =>
  Boolean(e.fields.job) && Number.isFinite(Number(e.fields.units)) && Number.isFinite(Number(e.fields.at));

/**
 * Reports settled usage from the `outbox:usage` stream to Stripe as Billing Meter Events
 * (DESIGN decision 7). An entry leaves the outbox only after Stripe accepted it (or showed it
 * already had it), or to the held stream with a reason; a Stripe failure stops the flush, leaves
 * the rest pending for the next one and starts an exponential backoff. Nothing is ever dropped,
 * and the job id as identifier makes every repeat harmless.
 *
 * Throughput: with the v2 stream (default) a round claims 500 entries in one Redis call, sends
 * them as 5 stream calls of 100 (4 in flight) and acknowledges them in one more, about 8
 * subrequests per 500 events, so one cron run can report tens of thousands of events inside the
 * invocation's subrequest budget (figures: billing README, `npm run bench:billing`). A batch the
 * stream refuses as a whole (4xx) is retried event by event through v1, which says which event is
 * at fault, so one bad event is held and does not block its batch.
 */
export async function flushUsage(
  deps: FlushUsageDeps,
  options: FlushUsageOptions = {},
): Promise<FlushReport> {
  const { redis, stripe, stripeConfig } = deps;
  const api = options.api ?? stripeConfig.meterApi ?? 'stream';
  const batchSize = options.batchSize ?? (api === 'stream' ? 500 : 100);
  const maxEvents = options.maxEvents ?? (api === 'stream' ? 30_000 : 500);
  const concurrency = options.concurrency ?? 4;
  const budgetMs = options.budgetMs ?? 20_000;
  const maxSubrequests = options.maxSubrequests ?? 850;
  const report: FlushReport = {
    outcome: 'flushed',
    sent: 0,
    duplicates: 0,
    held: 0,
    reclaimed: 0,
    unsent: 0,
    failures: 0,
    retry_at: null,
    subrequests: 0,
    oldest_unsent_age_s: null,
    lagging: false,
    held_trimmed: 0,
  };
  if (!stripe) return { ...report, outcome: 'not_configured' };

  const token = crypto.randomUUID();
  // The lock outlives the budget by two Stripe timeouts: the last round's calls may still be in flight.
  const lockMs = budgetMs + 2 * stripeConfig.timeoutMs + 5_000;
  report.subrequests++;
  const begin = await beginFlush(redis, { token, lockMs, force: options.force === true });
  if (begin.outcome !== 'locked') {
    return {
      ...report,
      outcome: begin.outcome,
      failures: begin.failures,
      retry_at: begin.outcome === 'backoff' ? iso(begin.retry_at) : null,
    };
  }

  const stream = new MeterStream(stripe, stripeConfig);
  let v1Calls = 0;
  let redisCalls = 1;
  const used = () => redisCalls + v1Calls + stream.calls;
  // A call may start only while the calls kept back for the end still fit after it.
  const mayCall = (calls: number) => used() + calls + RESERVED_CALLS <= maxSubrequests;
  const deadline = Date.now() + budgetMs;
  let failure: string | null = null;
  let handled = 0;

  /** v1, one call per event: says for each event whether Stripe took it, had it, or refuses it. */
  const sendOneByOne = (events: ClaimedUsageEvent[]) =>
    mapLimit(events, concurrency, async (event): Promise<SendOutcome | null> => {
      // After the first failure the rest is not even tried: Stripe is likely down. Past the time
      // or subrequest budget nothing new starts either, so the flush ends well within its lock
      // and no later flush reclaims an entry whose call is still in flight.
      if (failure !== null || Date.now() > deadline || !mayCall(1)) return null;
      v1Calls++;
      const outcome = await sendMeterEvent(stripe, stripeConfig.meterEventName, event);
      if (outcome.kind === 'retry' && failure === null) failure = outcome.error;
      return outcome;
    });

  /** v2 stream, 100 per call; a batch refused as a whole goes event by event through v1. */
  const sendStreamed = async (events: ClaimedUsageEvent[]) => {
    const outcomes: (SendOutcome | null)[] = [];
    const batches = chunks(events, Math.min(options.streamBatch ?? STREAM_BATCH, STREAM_BATCH));
    const results = await mapLimit(batches, concurrency, async (batch) => {
      // Two calls: a session renewal may come with it.
      if (failure !== null || Date.now() > deadline || !mayCall(2)) return batch.map(() => null);
      const outcome = await stream.send(batch);
      if (outcome.kind === 'retry') {
        if (failure === null) failure = outcome.error;
        return batch.map(() => null);
      }
      if (outcome.kind === 'reject') return sendOneByOne(batch);
      return batch.map(() => outcome);
    });
    for (const r of results) outcomes.push(...r);
    return outcomes;
  };

  try {
    while (failure === null && handled < maxEvents && Date.now() < deadline && mayCall(1 + 2)) {
      redisCalls++;
      const batch = await claimUsageEvents(redis, CONSUMER, Math.min(batchSize, maxEvents - handled));
      if (batch.length === 0) break;
      handled += batch.length;
      report.reclaimed += batch.filter((e) => e.reclaimed).length;

      const toHold: { id: string; reason: string }[] = [];
      const sendable: ClaimedUsageEvent[] = [];
      const tooOld = Date.now() - STRIPE_MAX_EVENT_AGE_MS;
      for (const event of batch) {
        if (!isWellFormed(event)) toHold.push({ id: event.id, reason: 'malformed_event' });
        else if (!event.customer) toHold.push({ id: event.id, reason: 'no_stripe_customer' });
        else if (Number(event.fields.at) < tooOld)
          toHold.push({ id: event.id, reason: 'older_than_stripe_accepts' });
        else sendable.push(event);
      }

      const outcomes = api === 'stream' ? await sendStreamed(sendable) : await sendOneByOne(sendable);

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
      if (acked.length) redisCalls++;
      await ackUsageEvents(redis, acked);
      if (toHold.length) redisCalls++;
      report.held += await holdUsageEvents(redis, toHold);
    }
  } finally {
    redisCalls++;
    const end = await endFlush(redis, {
      token,
      outcome: failure === null ? 'ok' : 'failed',
      retryBaseMs: stripeConfig.retryBaseMs,
      retryMaxMs: stripeConfig.retryMaxMs,
      error: failure ?? undefined,
    });
    report.failures = end.failures;
    report.retry_at = iso(end.retry_at);
    report.held_trimmed = end.held_trimmed;
    if (end.oldest_at > 0) {
      const age = Math.max(0, Date.now() - end.oldest_at);
      report.oldest_unsent_age_s = Math.round(age / 1000);
      report.lagging = age > LAG_ALERT_MS;
    }
    report.subrequests = used();
  }
  if (failure !== null) {
    report.outcome = 'failed';
    report.error = failure;
  }
  return report;
}
