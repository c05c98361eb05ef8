import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { NoAccountError, signingSecrets } from '../../webhooks/signing-secret';

/** GET /webhooks/default/secret -> `{key}`: the account's Standard Webhooks secret (`whsec_...`). */
export const replicateWebhookSecret = new Hono<AppEnv>().get('/webhooks/default/secret', async (c) => {
  const secrets = await signingSecrets(c.get('redis'), c.get('caller').accountId, Date.now()).catch(
    (error) => {
      if (error instanceof NoAccountError) {
        throw new ApiError('unauthorized', 'The account of this API key no longer exists.');
      }
      throw error;
    },
  );
  return c.json({ key: secrets.current });
});
