import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { acquireWatchSlot, releaseWatchSlot } from '../durable/job-watch';
import { ApiError } from '../errors/api-error';

/**
 * Takes one of the caller's account's watch slots for an `/events` stream or a `Prefer: wait`
 * request, held at most `maxMs` (plus a minute) if never given back; 429 too_many_watches when
 * the account holds MAX_WATCHES_PER_ACCOUNT already. Returns the release function.
 */
export async function holdWatchSlot(c: Context<AppEnv>, maxMs: number): Promise<() => Promise<void>> {
  const limit = c.get('config').maxWatchesPerAccount;
  const accountId = c.get('caller').accountId;
  const grant = await acquireWatchSlot(c.env, accountId, limit, maxMs + 60_000);
  if (!grant.ok) {
    throw new ApiError(
      'too_many_watches',
      `This account already holds ${grant.held} open event streams and Prefer: wait requests (limit ${limit}); close one, or poll GET /v1/generations/{id}.`,
      [{ field: 'Prefer', message: `at most ${limit} open watches per account`, limit }],
      { 'Retry-After': '5' },
    );
  }
  return () => releaseWatchSlot(c.env, accountId, grant.id);
}
