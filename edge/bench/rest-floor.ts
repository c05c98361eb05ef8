import type { Redis } from '@upstash/redis/cloudflare';
import { Hono } from 'hono';
import { restClient } from '../src/store/redis';

/**
 * The calibration beside the bare baseline: the bare handler plus `?trips=N` sequential REST round
 * trips to Redis (a GET each, through the edge's own direct client settings, `restClient`),
 * nothing else. It shows what N round trips alone leave of bare Hono's throughput on this machine,
 * so the edge's figure (2 round trips plus its own work) can be read against it.
 */
type Bindings = { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string };

let redis: Redis | undefined;

const app = new Hono<{ Bindings: Bindings }>().post('/v1/generations', async (c) => {
  redis ??= restClient(c.env.UPSTASH_REDIS_REST_URL, c.env.UPSTASH_REDIS_REST_TOKEN, false);
  const body = (await c.req.json()) as { prompt?: string };
  const trips = Number(c.req.query('trips') ?? 1);
  for (let i = 0; i < trips; i++) await redis.get('rest-floor');
  return c.json({ id: 'gen_floor', status: 'queued', prompt: body.prompt ?? '' }, 201);
});

export default app;
