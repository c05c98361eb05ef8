import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { generationView } from '../../generations/generation-view';
import { viewOptions } from '../../generations/load-generation';
import { hashFromReply } from '../../store/hash-reply';
import { keys } from '../../store/keys';

/**
 * GET /admin/v1/generations/{id}: any account's generation as its owner sees it, except that
 * `error` is what the worker sent (its own message, which customers never see: they get the
 * code's fixed message from GENERATION_ERROR_MESSAGES).
 */
export const adminGenerations = new Hono<AppEnv>().get('/:id', async (c) => {
  const id = c.req.param('id');
  const job = /^gen_[0-9A-Za-z]{1,64}$/.test(id)
    ? hashFromReply(await c.get('redis').hgetall(keys.job(id)))
    : null;
  if (!job) throw new ApiError('not_found', `No generation ${id}.`);
  return c.json(await generationView(id, job, { ...viewOptions(c), rawError: true }));
});
