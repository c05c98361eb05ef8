import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { accountView } from '../../store/accounts/account-view';
import { readAccount } from '../../store/accounts/read-account';

/** The calling account: credits, plan, limits. */
export const account = new Hono<AppEnv>().get('/', async (c) => {
  const hash = await readAccount(c.get('redis'), c.get('caller').accountId);
  // A key whose account was deleted behaves like an unknown key.
  if (!hash) throw new ApiError('unauthorized', 'The account of this API key no longer exists.');
  return c.json(accountView(hash, c.get('config')));
});
