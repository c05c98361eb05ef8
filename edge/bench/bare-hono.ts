import { Hono } from 'hono';

/**
 * The baseline: a bare Hono Worker that parses the same JSON body and answers 201 with a small
 * JSON object, no Redis, no auth. Run in the same Miniflare/workerd as the edge; the edge's
 * throughput is reported as a share of this one's.
 */
const app = new Hono().post('/v1/generations', async (c) => {
  const body = (await c.req.json()) as { prompt?: string };
  return c.json({ id: 'gen_bare', status: 'queued', prompt: body.prompt ?? '' }, 201);
});

export default app;
