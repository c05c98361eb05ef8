import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeJobWatchers } from '../../durable/job-watch';
import { ApiError } from '../../errors/api-error';
import { generationView } from '../../generations/generation-view';
import { viewOptions } from '../../generations/load-generation';
import { cancelGeneration } from '../../store/scripts/cancel-generation';
import { deliverSoon } from '../../webhooks/deliver-soon';

/**
 * POST /v1/generations/{id}/cancel. Queued work ends at once; running work is flagged and its
 * worker stops at the next heartbeat (the object then still says `running`). Canceling twice is
 * harmless; canceling finished work is a 409.
 */
export const cancelGenerationRoute = new Hono<AppEnv>().post('/:id/cancel', async (c) => {
  const id = c.req.param('id');
  const result = /^gen_[0-9A-Za-z]{1,64}$/.test(id)
    ? await cancelGeneration(c.get('redis'), c.get('caller').accountId, id)
    : ({ outcome: 'not_found' } as const);
  if (result.outcome === 'not_found') throw new ApiError('not_found', `No generation ${id}.`);
  if (result.outcome === 'invalid_state') {
    throw new ApiError(
      'invalid_state',
      `Generation ${id} already ${result.job.status}; there is nothing to cancel.`,
    );
  }
  if (result.outcome === 'canceled') deliverSoon(c); // the completed webhook
  c.executionCtx.waitUntil(wakeJobWatchers(c.env, id));
  return c.json(await generationView(id, result.job, viewOptions(c)));
});
