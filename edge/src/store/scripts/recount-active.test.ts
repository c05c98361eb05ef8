import { describe, expect, it } from 'vitest';
import { reapLeases } from '../../cron/worker-cron';
import { keys } from '../keys';
import { leaseJobs } from './lease-jobs';
import { recountActive } from './recount-active';
import { useScriptRedis } from './test-support/script-redis';
import { seedAccount, seedFollower, seedQueuedJob } from './test-support/seed-job';
import { readHash, sleep } from './test-support/state-snapshot';

const fx = useScriptRedis();
const active = (account: string) => fx.redis.get(keys.accountActive(account));

describe('recount-active', () => {
  it('sets each account to its queued and running jobs, whatever the counter said', async () => {
    await seedAccount(fx.redis, 'acct_2');
    await seedAccount(fx.redis, 'acct_3');
    await fx.redis.sadd(keys.accounts(), 'acct_1', 'acct_2', 'acct_3');
    await seedQueuedJob(fx.redis, { jobId: 'running' });
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 30_000 });
    await seedQueuedJob(fx.redis, { jobId: 'queued' });
    await seedQueuedJob(fx.redis, { jobId: 'other-model', model: 'model-b', accountId: 'acct_2' });
    await seedFollower(fx.redis, { jobId: 'follower', leaderId: 'running', accountId: 'acct_2' });
    // A finished job counts for nothing, even though its stream entry were still there.
    await seedQueuedJob(fx.redis, { jobId: 'done' });
    await fx.redis.hset(keys.job('done'), { status: 'succeeded' });
    // Corrupted counters: a leak upwards, one downwards, one for an account with nothing in flight.
    await fx.redis.set(keys.accountActive('acct_1'), 9);
    await fx.redis.set(keys.accountActive('acct_2'), 0);
    await fx.redis.set(keys.accountActive('acct_3'), 4);

    const result = await recountActive(fx.redis);

    expect(await active('acct_1')).toBe('2');
    expect(await active('acct_2')).toBe('2');
    expect(await active('acct_3')).toBe('0');
    expect(result.in_flight).toBe(4);
    expect(result.corrected.sort((a, b) => a.account_id.localeCompare(b.account_id))).toEqual([
      { account_id: 'acct_1', was: 9, now: 2 },
      { account_id: 'acct_2', was: 0, now: 2 },
      { account_id: 'acct_3', was: 4, now: 0 },
    ]);
    // Right counters stay as they are.
    expect((await recountActive(fx.redis)).corrected).toEqual([]);
  });

  it('reaches every idle account over successive runs (a batch per run)', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `acct_idle_${i}`);
    await fx.redis.sadd(keys.accounts(), ids[0], ...ids.slice(1));
    for (const id of ids) await fx.redis.set(keys.accountActive(id), 1);
    for (let run = 0; run < 20; run++) await recountActive(fx.redis, 5);
    for (const id of ids) expect(await active(id), id).toBe('0');
  });

  it('runs in the minute cron: the reaper times out a stale job, then corrects the counter', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'stale' });
    await sleep(250);
    await seedQueuedJob(fx.redis, { jobId: 'fresh' });
    await fx.redis.set(keys.accountActive('acct_1'), 7);
    // No lease expired, so no queue needs waking: the Durable Object binding is never reached.
    const noWaker = {} as Pick<Env, 'QUEUE_WAKER'>;
    await reapLeases(noWaker, fx.redis, { timeoutMs: 200, seenWindowMs: 60_000 });
    expect((await readHash(fx.redis, keys.job('stale'))).status).toBe('failed');
    expect(await active('acct_1')).toBe('1');
  });
});
