import type { Redis } from '@upstash/redis/cloudflare';
import { predictionOf, signedStreamUrl } from '../compat/replicate-prediction';
import type { Config } from '../env';
import { generationView } from '../generations/generation-view';
import { utcDay } from '../generations/load-generation';
import { hashFromReply } from '../store/hash-reply';
import { keys } from '../store/keys';
import { settleFollower } from '../store/scripts/settle-follower';
import { nextAttemptAt } from './retry-schedule';
import { type ClaimedDelivery, claimWebhooks } from './scripts/claim-webhooks';
import { type AttemptEntry, recordWebhookAttempt } from './scripts/record-webhook-attempt';
import { sendWebhook } from './send-webhook';
import { NoAccountError, signingSecrets } from './signing-secret';
import { checkTarget } from './target-guard';

/** Deliveries claimed per round; sent in parallel (one per job at a time, see claim-webhooks.ts). */
const BATCH = 25;
/** A claim outlives the 15 s send timeout with room to record; then the delivery is due again. */
const CLAIM_HOLD_MS = 60_000;

export interface DeliveryDeps {
  redis: Redis;
  config: Config;
  /** The receiver-facing fetch (tests may pass one that records; production uses the global). */
  fetch?: typeof fetch;
}

export interface DeliverOptions {
  /**
   * `fresh`: first attempts only, right after a request caused an event (waitUntil);
   * `due`: everything due, retries included (the cron).
   */
  mode: 'fresh' | 'due';
  /** The scheduling clock in ms (the cron's scheduledTime); omitted = Redis's clock. */
  now?: number;
  /** Claim rounds; each round can release a job's completed delivery held behind its start. */
  maxRounds?: number;
}

export interface DeliverSummary {
  delivered: number;
  retrying: number;
  failed: number;
}

/** Claims due deliveries round by round and sends them; returns what became of the attempts. */
export async function deliverWebhooks(deps: DeliveryDeps, o: DeliverOptions): Promise<DeliverSummary> {
  const summary: DeliverSummary = { delivered: 0, retrying: 0, failed: 0 };
  const token = `wc_${crypto.randomUUID()}`;
  for (let round = 0; round < (o.maxRounds ?? 5); round++) {
    const { now, deliveries } = await claimWebhooks(deps.redis, {
      now: o.now,
      mode: o.mode,
      limit: BATCH,
      holdMs: CLAIM_HOLD_MS,
      token,
    });
    if (deliveries.length === 0) break;
    const outcomes = await Promise.all(deliveries.map((d) => attempt(deps, d, now, token)));
    for (const outcome of outcomes) {
      if (outcome === 'delivered') summary.delivered++;
      else if (outcome === 'retry') summary.retrying++;
      else if (outcome === 'failed') summary.failed++;
    }
  }
  return summary;
}

type Outcome = 'delivered' | 'retry' | 'failed';

async function attempt(deps: DeliveryDeps, d: ClaimedDelivery, now: number, token: string) {
  const record = (outcome: Outcome, entry: Omit<AttemptEntry, 'attempt' | 'at'>) =>
    recordWebhookAttempt(deps.redis, {
      deliveryId: d.id,
      token,
      outcome,
      entry: { attempt: d.attempt, at: now, ...entry },
    }).then((recorded) => (recorded ? outcome : 'stale'));
  const give_up = (error: string) =>
    record('failed', { status_code: null, latency_ms: 0, error, next_retry_at: null });

  try {
    let job = hashFromReply(await deps.redis.hgetall(keys.job(d.job_id)));
    // A coalesced follower's record catches up with its leader on read, as the API's reads do.
    if (job?.leader && (job.status === 'queued' || job.status === 'running')) {
      job = (await settleFollower(deps.redis, d.job_id, utcDay())).job ?? job;
    }
    if (!job) return give_up('the generation no longer exists (retention ended)');
    // Checked again at send time: the name may point somewhere else than at submit.
    const target = await checkTarget(d.url, {
      mode: deps.config.mode,
      resolverUrl: deps.config.webhookDnsResolverUrl,
      fetch: deps.fetch,
    });
    if (!target.ok && target.retryable) {
      // Fail closed, try later: DNS may answer next time (a SERVFAIL is often passing).
      const next = nextAttemptAt(d.attempt, now, null);
      const entry = { status_code: null, latency_ms: 0, error: target.problem };
      if (next === null)
        return record('failed', {
          ...entry,
          error: `${target.problem}; retry schedule spent`,
          next_retry_at: null,
        });
      return record('retry', { ...entry, next_retry_at: next });
    }
    if (!target.ok) return give_up(`target refused: ${target.problem}`);

    const baseUrl = deps.config.publicBaseUrl || job.origin || '';
    const generation = await generationView(d.job_id, job, {
      baseUrl,
      signingSecret: deps.config.urlSigningSecret,
      urlTtlSeconds: deps.config.outputUrlTtlSeconds,
      nowMs: Date.now(),
    });
    // A job made through /replicate/v1 is told about as Replicate's prediction object.
    const body = JSON.stringify(
      job.webhook_format === 'replicate'
        ? predictionOf(generation, {
            baseUrl,
            owner: job.compat_owner || 'ldm',
            version: deps.config.models.get(job.model)?.version ?? '',
            streamUrl: await signedStreamUrl(
              baseUrl,
              d.job_id,
              deps.config.urlSigningSecret,
              deps.config.outputUrlTtlSeconds,
            ),
          })
        : generation,
    );
    const secrets = await signingSecrets(deps.redis, d.account_id || job.account_id, now).catch((error) => {
      if (error instanceof NoAccountError) return null;
      throw error;
    });
    if (!secrets) return give_up('the account no longer exists');
    const result = await sendWebhook({
      url: d.url,
      webhookId: d.webhook_id,
      event: d.event,
      body,
      secrets: [secrets.current, ...(secrets.previous ? [secrets.previous] : [])],
      fetch: deps.fetch,
    });
    const entry = { status_code: result.statusCode, latency_ms: result.latencyMs, error: result.error };
    if (result.ok) return record('delivered', { ...entry, next_retry_at: null });
    const next = result.gone ? null : nextAttemptAt(d.attempt, now, result.retryAfterMs);
    if (next === null) {
      const why = result.gone ? 'receiver answered 410 Gone: no more attempts' : 'retry schedule spent';
      return record('failed', { ...entry, error: `${result.error}; ${why}`, next_retry_at: null });
    }
    return record('retry', { ...entry, next_retry_at: next });
  } catch (error) {
    // Our own trouble (Redis, a bad record): the claim's hold runs out and the cron tries again.
    console.error(
      `webhook ${d.id}: attempt ${d.attempt} not made:`,
      error instanceof Error ? error.message : error,
    );
    return 'stale';
  }
}
