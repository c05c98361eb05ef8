import type { Redis } from '@upstash/redis';
import { keys, QUEUE_GROUP } from '../../keys';

/**
 * Everything a transition of one job may touch, read back raw: comparing two snapshots proves a
 * refused call (stale lease) changed nothing at all.
 */
export async function snapshotJob(redis: Redis, jobId: string, accountId = 'acct_1', model = 'demo-shapes') {
  const queue = keys.queue(model);
  const [job, account, active, lease, entries, pending, outbox] = await Promise.all([
    readHash(redis, keys.job(jobId)),
    readHash(redis, keys.account(accountId)),
    redis.get(keys.accountActive(accountId)),
    redis.zscore(keys.leases(), jobId),
    redis.xrange(queue, '-', '+'),
    redis.xpending(queue, QUEUE_GROUP, '-', '+', 100).catch(() => []),
    redis.xrange(keys.usageOutbox(), '-', '+'),
  ]);
  // Idle time moves on by itself; owner and delivery count are what a transition changes.
  const owners = (pending as [string, string, number, number][]).map(([id, consumer, , deliveries]) => [
    id,
    consumer,
    deliveries,
  ]);
  return { job, account, active, lease, entries, pending: owners, outbox };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** HGETALL as a record (the client runs without automatic deserialization, so replies are flat). */
export async function readHash(redis: Redis, key: string): Promise<Record<string, string>> {
  const flat = ((await redis.hgetall(key)) ?? []) as unknown as string[];
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]] = flat[i + 1];
  return record;
}

/** XRANGE as a list of field records, read through a raw EVAL so the reply shape is Redis's own. */
export async function readStream(redis: Redis, key: string): Promise<Record<string, string>[]> {
  const entries = (await redis.eval("return redis.call('XRANGE', KEYS[1], '-', '+')", [key], [])) as [
    string,
    string[],
  ][];
  return entries.map(([, flat]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) record[flat[i]] = flat[i + 1];
    return record;
  });
}
