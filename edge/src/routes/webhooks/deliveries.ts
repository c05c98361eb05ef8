import type { WebhookDelivery, WebhookDeliveryList } from '@ldm/shared';
import { WEBHOOK_EVENTS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { loadOwnJob } from '../../generations/load-generation';
import { hashFromReply } from '../../store/hash-reply';
import { keys } from '../../store/keys';
import { type ReadInPipeline, readTogether } from '../../store/read-together';
import { MAX_ATTEMPTS } from '../../webhooks/retry-schedule';
import type { AttemptEntry } from '../../webhooks/scripts/record-webhook-attempt';

const iso = (ms: number | string | null | undefined) =>
  ms === null || ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString();

/** `GET /v1/generations/{id}/webhooks`: every delivery of the caller's generation with its attempts. */
export const webhookDeliveries = new Hono<AppEnv>().get('/:id/webhooks', async (c) => {
  const jobId = c.req.param('id');
  await loadOwnJob(c, jobId); // 404 for a missing job or another account's
  const redis = c.get('redis');
  // Both reads are bounded by what the scripts can write (one delivery per event, one log line
  // per attempt), so a list that somehow grew could never make this answer grow with it.
  const ids = (await redis.lrange(keys.jobWebhooks(jobId), 0, WEBHOOK_EVENTS.length - 1)).map(String);
  // Each delivery's record and attempt log, all in one REST request.
  const replies = await readTogether(
    redis,
    ids.flatMap((id): ReadInPipeline[] => [
      (p) => p.hgetall(keys.webhookDelivery(id)),
      (p) => p.lrange(keys.webhookLog(id), 0, MAX_ATTEMPTS - 1),
    ]),
  );
  const data = ids.map((_id, i): WebhookDelivery | null => {
    const d = hashFromReply(replies[2 * i]);
    const log = (replies[2 * i + 1] ?? []) as unknown[];
    if (!d) return null;
    const attempts = log.map((line) => {
      const e = (typeof line === 'string' ? JSON.parse(line) : line) as AttemptEntry;
      return { ...e, at: iso(e.at) as string, next_retry_at: iso(e.next_retry_at) };
    });
    return {
      event: d.event as WebhookDelivery['event'],
      webhook_id: d.webhook_id,
      url: d.url,
      status: d.state as WebhookDelivery['status'],
      created_at: iso(d.created_at) as string,
      next_attempt_at: d.state === 'pending' ? iso(d.next_at) : null,
      attempts,
    };
  });
  const body: WebhookDeliveryList = { data: data.filter((d) => d !== null) };
  return c.json(body);
});
