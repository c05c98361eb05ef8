import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { deliverWebhooks } from './deliver-webhooks';

/**
 * First attempts right after the request that caused an event answered (waitUntil): the events
 * are already in Redis (recorded by the transition's script), so if this never runs (the isolate
 * is evicted) the cron sends them a minute later. Costs one EVAL when nothing is due.
 */
export function deliverSoon(c: Context<AppEnv>): void {
  const run = deliverWebhooks(
    { redis: c.get('batchedRedis'), config: c.get('config') },
    { mode: 'fresh' },
  ).catch((error: unknown) => {
    console.error('webhook delivery after request failed:', error instanceof Error ? error.message : error);
  });
  c.executionCtx.waitUntil(run);
}
