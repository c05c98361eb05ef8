import type { Redis } from '@upstash/redis/cloudflare';
import { hmget } from '../store/hash-reply';
import { keys } from '../store/keys';
import { rotateWebhookSecret } from './scripts/rotate-webhook-secret';

/** How long a rotated-out secret keeps signing, so receivers can roll over without downtime. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export interface SigningSecrets {
  current: string;
  /** The secret rotated out less than ROTATION_OVERLAP_MS ago: it still signs until `previousUntil`. */
  previous: string | null;
  previousUntil: number | null;
}

type SecretRedis = Pick<Redis, 'exists' | 'hsetnx' | 'hmget' | 'evalsha' | 'eval'>;

export class NoAccountError extends Error {
  constructor(accountId: string) {
    super(`account ${accountId} does not exist`);
    this.name = 'NoAccountError';
  }
}

/**
 * The account's secrets, the current one created on first use. HSETNX makes two first uses at
 * once agree on one secret; the existence check keeps it from creating a bare account record.
 */
export async function signingSecrets(
  redis: SecretRedis,
  accountId: string,
  now: number,
): Promise<SigningSecrets> {
  const key = keys.account(accountId);
  if ((await redis.exists(key)) === 0) throw new NoAccountError(accountId);
  await redis.hsetnx(key, 'webhook_secret', newWebhookSecret());
  const [current, previous, previousUntil] = await hmget(
    redis,
    key,
    'webhook_secret',
    'webhook_secret_prev',
    'webhook_secret_prev_until',
  );
  if (!current) throw new Error(`account ${accountId} has no webhook secret`);
  const until = Number(previousUntil ?? 0);
  const active = previous !== null && until > now;
  return { current, previous: active ? previous : null, previousUntil: active ? until : null };
}

export async function rotateSigningSecret(
  redis: SecretRedis,
  accountId: string,
  now: number,
): Promise<{ secret: string; previousUntil: number | null } | null> {
  return rotateWebhookSecret(redis, {
    accountId,
    secret: newWebhookSecret(),
    now,
    overlapMs: ROTATION_OVERLAP_MS,
  });
}
