import { describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { leaseJobs } from './lease-jobs';
import { readQueueStats } from './queue-stats';
import { useScriptRedis } from './test-support/script-redis';
import { seedQueuedJob } from './test-support/seed-job';
import { sleep } from './test-support/state-snapshot';

const fx = useScriptRedis();

describe('queue-stats', () => {
  it('is empty before anything was submitted', async () => {
    expect(await readQueueStats(fx.redis)).toMatchObject({ models: [], latestSeen: null });
  });

  it('reports depth, leased and the age of the oldest waiting job per model', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'a1', model: 'model-a' });
    await sleep(400);
    await seedQueuedJob(fx.redis, { jobId: 'a2', model: 'model-a' });
    await seedQueuedJob(fx.redis, { jobId: 'a3', model: 'model-a' });
    await seedQueuedJob(fx.redis, { jobId: 'b1', model: 'model-b' });
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['model-a'], maxJobs: 1, leaseTtlMs: 30_000 });
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['model-b'], maxJobs: 1, leaseTtlMs: 30_000 });
    await seedQueuedJob(fx.redis, { jobId: 'c1', model: 'model-unserved' });

    const before = Date.now();
    const { models, latestSeen } = await readQueueStats(fx.redis);
    const [a, b] = models;
    expect(a).toMatchObject({ model: 'model-a', depth: 2, leased: 1 });
    // a1 (leased, 400 ms old) is not waiting: the oldest waiting is a2, enqueued just before.
    expect(a.oldest_age_ms).toBeLessThan(400);
    expect(b).toMatchObject({ model: 'model-b', depth: 0, leased: 1, oldest_age_ms: 0 });
    // The lease calls recorded that a worker serves model-a and model-b; nobody asked for the third.
    for (const served of [a, b]) {
      expect(served.seen_at).toBeGreaterThan(before - 2_000);
      expect(served.seen_at).toBeLessThanOrEqual(latestSeen as number);
    }
    expect(models[2]).toEqual({
      model: 'model-unserved',
      depth: 1,
      leased: 0,
      oldest_age_ms: expect.any(Number),
    });
  });

  it('ages the oldest waiting job', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'a1', model: 'model-a' });
    await sleep(200);
    const [a] = (await readQueueStats(fx.redis)).models;
    expect(a.depth).toBe(1);
    expect(a.oldest_age_ms).toBeGreaterThanOrEqual(190);
  });

  it('counts a model whose stream is gone as empty', async () => {
    await fx.redis.sadd(keys.queuedModels(), 'model-x');
    expect((await readQueueStats(fx.redis)).models).toEqual([
      { model: 'model-x', depth: 0, leased: 0, oldest_age_ms: 0 },
    ]);
  });
});
