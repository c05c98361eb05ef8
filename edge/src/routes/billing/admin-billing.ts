import { AdminFlushRequest, ReplayHeldUsageRequest } from '@ldm/shared';
import { Hono } from 'hono';
import { flushUsage, LAG_ALERT_MS } from '../../billing/flush-usage';
import { replayHeldUsage } from '../../billing/scripts/outbox-scripts';
import { stripeClient } from '../../billing/stripe-client';
import type { AppEnv } from '../../context';
import { parseJsonBody } from '../../lib/json-body';
import { hashFromReply } from '../../store/hash-reply';
import { keys } from '../../store/keys';
import { readTogether } from '../../store/read-together';

const num = (text: string | undefined) => (text ? Number(text) : 0);
const iso = (text: string | undefined) =>
  text && Number(text) > 0 ? new Date(Number(text)).toISOString() : null;

/** The operator's view of metering (`/admin/v1/billing`): backlog, flush on demand, held events back. */
export const adminBilling = new Hono<AppEnv>()
  .get('/', async (c) => {
    // Three reads, one REST request.
    const [outbox, held, state] = await readTogether(c.get('redis'), [
      (p) => p.xlen(keys.usageOutbox()),
      (p) => p.xlen(keys.usageOutboxHeld()),
      (p) => p.hgetall(keys.billingFlush()),
    ]);
    const flush = hashFromReply(state) ?? {};
    const oldest = num(flush.oldest_unsent_at);
    const age = oldest > 0 ? Math.max(0, Math.round((Date.now() - oldest) / 1000)) : null;
    return c.json({
      outbox,
      held,
      failures: num(flush.failures),
      retry_at: iso(flush.retry_at),
      last_error: flush.last_error ?? null,
      last_success_at: iso(flush.last_success_at),
      oldest_unsent_at: iso(flush.oldest_unsent_at),
      oldest_unsent_age_seconds: age,
      lagging: age !== null && age * 1000 > LAG_ALERT_MS,
      held_trimmed: num(flush.held_trimmed),
      configured: Boolean(c.get('config').stripe.secretKey),
    });
  })
  .post('/flush', async (c) => {
    const config = c.get('config');
    // The flush's lanes issue commands side by side, as the cron's flush does.
    const redis = c.get('batchedRedis');
    const { data } = await parseJsonBody(c, AdminFlushRequest, { optional: true });
    const report = await flushUsage(
      { redis, stripe: stripeClient(config.stripe), stripeConfig: config.stripe },
      { force: data.force },
    );
    return c.json(report);
  })
  .post('/held/replay', async (c) => {
    const { data } = await parseJsonBody(c, ReplayHeldUsageRequest, { optional: true });
    const { count, next } = await replayHeldUsage(c.get('redis'), {
      accountId: data.account_id,
      limit: data.limit,
      cursor: data.cursor,
    });
    // next_cursor: call again with it to go on (each call reads a bounded part of the held stream).
    return c.json({ replayed: count, next_cursor: next || null });
  });
