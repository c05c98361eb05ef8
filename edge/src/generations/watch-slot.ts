import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { accountWatchPool, acquireWatchSlot, releaseWatchSlot } from '../durable/job-watch';
import { ApiError } from '../errors/api-error';

/**
 * A pool other than the caller's account's, set by a surface before it hands a request to the
 * engine: a signed stream URL's opens take slots from the prediction's own small pool, so that
 * anyone holding the URL cannot use up the owner's MAX_WATCHES_PER_ACCOUNT.
 */
export interface WatchPool {
  name: string;
  limit: number;
  /** Who holds the slots and what the limit is per, for the 429's message. */
  holders: string;
  per: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    watchPool: WatchPool | undefined;
  }
}

/**
 * Takes one watch slot for an `/events` stream or a `Prefer: wait` request, held at most `maxMs`
 * (plus a minute) if never given back: from the caller's account's pool, or from `watchPool` when a
 * surface set one. 429 too_many_watches when the pool is full. Returns the release function.
 */
export async function holdWatchSlot(c: Context<AppEnv>, maxMs: number): Promise<() => Promise<void>> {
  const pool = c.get('watchPool') ?? {
    name: accountWatchPool(c.get('caller').accountId),
    limit: c.get('config').maxWatchesPerAccount,
    holders: 'This account',
    per: 'account',
  };
  const { name, limit } = pool;
  const grant = await acquireWatchSlot(c.env, name, limit, maxMs + 60_000);
  if (!grant.ok) {
    throw new ApiError(
      'too_many_watches',
      `${pool.holders} already holds ${grant.held} open event streams and Prefer: wait requests (limit ${limit}); close one, or poll GET /v1/generations/{id}.`,
      [{ field: 'Prefer', message: `at most ${limit} open watches per ${pool.per}`, limit }],
      { 'Retry-After': '5' },
    );
  }
  return releaseWhenDone(c, () => releaseWatchSlot(c.env, name, grant.id));
}

/**
 * The slot's release, run exactly once: when the handler calls the returned function (its
 * `finally`), or when the client goes away. A client that disconnects cancels the request in
 * workerd (which notices at its next write: an event or the stream's keep-alive): the handler's
 * `finally` never runs, and a call made from the signal's abort event is dropped (both seen in
 * workerd 2026-04). So the slot stayed held until its expiry, the longest watch plus a minute (11
 * minutes for an event stream), and a client that reconnected MAX_WATCHES_PER_ACCOUNT times got
 * 429 for that long. Work handed to waitUntil before the disconnect does run, so the release
 * waits there for whichever comes first.
 */
function releaseWhenDone(c: Context<AppEnv>, release: () => Promise<void>): () => Promise<void> {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const released = done.then(release);
  c.req.raw.signal.addEventListener('abort', finish, { once: true });
  try {
    c.executionCtx.waitUntil(released);
  } catch {
    // No ExecutionContext (the app called directly, as some unit tests do): only the handler releases.
  }
  return () => {
    finish();
    return released;
  };
}
