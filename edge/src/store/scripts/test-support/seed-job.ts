import type { JobInput } from '@ldm/shared';
import type { Redis } from '@upstash/redis';
import { keys, QUEUE_GROUP } from '../../keys';
import { txt2imgJobInput } from './job-input';
import { readHash } from './state-snapshot';

/**
 * The state the submit path leaves behind, written field by field as job-record.ts and keys.ts
 * describe it: an account with credits held, its active counter, the job hash and its stream
 * entry. Lets the worker-side scripts be tested against exactly that state.
 */
export interface SeedJobOptions {
  jobId: string;
  accountId?: string;
  model?: string;
  unitsReserved?: number;
  maxAttempts?: number;
  fingerprint?: string;
  input?: Partial<JobInput>;
}

export const SEED_ACCOUNT_CREDITS = 1_000;

export async function seedAccount(redis: Redis, accountId = 'acct_1'): Promise<void> {
  await redis.hset(keys.account(accountId), { id: accountId, credits: SEED_ACCOUNT_CREDITS, reserved: 0 });
}

export async function seedQueuedJob(redis: Redis, options: SeedJobOptions): Promise<{ streamId: string }> {
  const accountId = options.accountId ?? 'acct_1';
  const model = options.model ?? 'demo-shapes';
  const units = options.unitsReserved ?? 10;
  // model_version stays pinned to options.model (the queue it is seeded on), whatever options.input says.
  const input = txt2imgJobInput({ model, model_version: `${model}-v1`, ...options.input });
  const queue = keys.queue(model);
  // XGROUP CREATE ... MKSTREAM fails once the group exists; that is the expected steady state.
  await redis
    .xgroup(queue, { type: 'CREATE', group: QUEUE_GROUP, id: '$', options: { MKSTREAM: true } })
    .catch(() => {});
  const streamId = (await redis.xadd(queue, '*', { job: options.jobId, attempt: 1 })) as string;
  const now = Date.now();
  await redis.hset(keys.job(options.jobId), {
    status: 'queued',
    account_id: accountId,
    model,
    input: JSON.stringify(input),
    request: '{}',
    fingerprint: options.fingerprint ?? '',
    cached: '0',
    created_at: now,
    attempt: 0,
    max_attempts: options.maxAttempts ?? 3,
    units_reserved: units,
    stream_id: streamId,
  });
  await redis.hincrbyfloat(keys.account(accountId), 'credits', -units);
  await redis.hincrbyfloat(keys.account(accountId), 'reserved', units);
  await redis.incr(keys.accountActive(accountId));
  await redis.sadd(keys.queuedModels(), model);
  if (options.fingerprint) await redis.set(keys.cacheLive(options.fingerprint), options.jobId);
  return { streamId };
}

/** A request coalesced onto `leaderId` as submit-generation.lua leaves it (keys.ts coalescing contract). */
export async function seedFollower(
  redis: Redis,
  options: {
    jobId: string;
    leaderId: string;
    accountId?: string;
    unitsReserved?: number;
    unitsCacheHit?: number;
  },
): Promise<void> {
  const accountId = options.accountId ?? 'acct_1';
  const units = options.unitsReserved ?? 10;
  const leader = await readHash(redis, keys.job(options.leaderId));
  await redis.hset(keys.job(options.jobId), {
    status: leader.status,
    account_id: accountId,
    model: leader.model,
    input: leader.input,
    request: '{}',
    fingerprint: leader.fingerprint,
    cached: '0',
    created_at: Date.now(),
    attempt: 0,
    max_attempts: 3,
    leader: options.leaderId,
    units_reserved: units,
    units_cache_hit: options.unitsCacheHit ?? 0,
  });
  await redis.rpush(keys.jobFollowers(options.leaderId), options.jobId);
  await redis.hincrbyfloat(keys.account(accountId), 'credits', -units);
  await redis.hincrbyfloat(keys.account(accountId), 'reserved', units);
  await redis.incr(keys.accountActive(accountId));
}
