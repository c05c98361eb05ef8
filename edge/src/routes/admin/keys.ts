import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { revokeApiKey } from '../../store/scripts/revoke-api-key';

/** Revocation by key id: the next request with that key is a 401. */
export const adminKeys = new Hono<AppEnv>().delete('/:id', async (c) => {
  const id = c.req.param('id');
  if (!(await revokeApiKey(c.get('redis'), id, Date.now())))
    throw new ApiError('not_found', `No API key ${id}.`);
  return c.body(null, 204);
});
