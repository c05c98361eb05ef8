import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { NoAccountError, rotateSigningSecret, signingSecrets } from '../../webhooks/signing-secret';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * `/v1/webhooks/secret`: the account's signing secret (created on first read), and its rotation.
 * After a rotation the previous secret keeps signing (a second signature) until
 * `previous_secret_expires_at`, so receivers can switch without dropping a delivery.
 */
export const webhookSecret = new Hono<AppEnv>()
  .get('/secret', async (c) => {
    const secrets = await signingSecrets(c.get('redis'), c.get('caller').accountId, Date.now()).catch(
      (error) => {
        if (error instanceof NoAccountError) {
          throw new ApiError('unauthorized', 'The account of this API key no longer exists.');
        }
        throw error;
      },
    );
    return c.json({ secret: secrets.current, previous_secret_expires_at: iso(secrets.previousUntil) });
  })
  .post('/secret/rotate', async (c) => {
    const rotated = await rotateSigningSecret(c.get('redis'), c.get('caller').accountId, Date.now());
    if (!rotated) throw new ApiError('unauthorized', 'The account of this API key no longer exists.');
    return c.json({ secret: rotated.secret, previous_secret_expires_at: iso(rotated.previousUntil) });
  });
