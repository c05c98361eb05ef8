import type { Generation } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import { engineCall } from '../../compat/engine-call';
import type { AppEnv } from '../../context';
import { requestOrigin } from '../../generations/load-generation';
import { predictionView } from './prediction-view';
import { fromEngine } from './replicate-error';

/** Replicate's page size for GET /predictions. */
const PAGE_SIZE = 100;

const versionOf = (c: Context<AppEnv>, g: Generation) => c.get('config').models.get(g.model)?.version ?? '';

/** GET /predictions/{id}, GET /predictions, POST /predictions/{id}/cancel. */
export const predictionsRead = new Hono<AppEnv>()
  .get('/predictions', async (c) => {
    const cursor = c.req.query('cursor');
    const limit = c.req.query('limit') ?? String(PAGE_SIZE);
    const query = new URLSearchParams({ limit, ...(cursor ? { cursor } : {}) });
    const answer = await engineCall<{ data: Generation[]; next_cursor: string | null }>(c, `?${query}`);
    if (!answer.ok) return fromEngine(c, answer);
    const { data, next_cursor } = answer.body;
    // The client follows `next` only as an absolute URL.
    const next = next_cursor
      ? `${requestOrigin(c)}/replicate/v1/predictions?${new URLSearchParams({ cursor: next_cursor, ...(c.req.query('limit') ? { limit } : {}) })}`
      : null;
    return c.json({
      previous: null,
      next,
      results: await Promise.all(data.map((g) => predictionView(c, g, versionOf(c, g)))),
    });
  })
  .get('/predictions/:id', async (c) => {
    const answer = await engineCall(c, `/${encodeURIComponent(c.req.param('id'))}`);
    if (!answer.ok) return fromEngine(c, answer);
    return c.json(await predictionView(c, answer.body, versionOf(c, answer.body)));
  })
  .post('/predictions/:id/cancel', async (c) => {
    const id = encodeURIComponent(c.req.param('id'));
    const answer = await engineCall(c, `/${id}/cancel`, { method: 'POST' });
    if (!answer.ok) {
      // Replicate answers a cancel of a finished prediction with the prediction as it is.
      if (answer.body.error.code !== 'invalid_state') return fromEngine(c, answer);
      const current = await engineCall(c, `/${id}`);
      if (!current.ok) return fromEngine(c, current);
      return c.json(await predictionView(c, current.body, versionOf(c, current.body)));
    }
    return c.json(await predictionView(c, answer.body, versionOf(c, answer.body)));
  });
