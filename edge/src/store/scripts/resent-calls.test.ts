import type { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateWebhookSecret } from '../../webhooks/scripts/rotate-webhook-secret';
import { keys, QUEUE_GROUP } from '../keys';
import { restClient } from '../redis';
import { leaseJobs } from './lease-jobs';
import { type SubmitParams, submitGeneration } from './submit-generation';
import { type ReplyDroppingProxy, startReplyDroppingProxy } from './test-support/reply-dropping-proxy';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash } from './test-support/state-snapshot';
import { updateAccount } from './update-account';

// @upstash/redis resends a request whose fetch threw, even when Redis had run it and only the reply
// was lost. The proxy loses exactly one reply after Redis ran the script; the client is the edge's
// own (restClient: same retry settings), so the resend is the library's, not the test's.
const fx = useScriptRedis();
let proxy: ReplyDroppingProxy;
let edge: Redis;
beforeAll(async () => {
  proxy = await startReplyDroppingProxy(fx.stack.bridgeUrl);
  edge = restClient(proxy.url, fx.stack.token, false);
});
afterAll(() => proxy?.close());

const submit = (over: Partial<SubmitParams> = {}): SubmitParams => ({
  accountId: 'acct_1',
  jobId: 'gen_resent',
  model: 'demo-shapes',
  fields: { account_id: 'acct_1', model: 'demo-shapes', input: '{}', request: '{}', fingerprint: '' },
  units: 10,
  cacheHitUnits: 2,
  concurrencyLimit: 5,
  retentionSeconds: 3600,
  fingerprint: '',
  day: '2026-11-26',
  ...over,
});

describe('a script call whose reply was lost is resent, and acts once', () => {
  it('submit: credits held once, active raised once, one stream entry, the first outcome', async () => {
    proxy.dropNext(1);
    const dropsBefore = proxy.dropped();
    const result = await submitGeneration(edge, submit());
    expect(proxy.dropped()).toBe(dropsBefore + 1);
    expect(result).toMatchObject({ outcome: 'created', jobId: 'gen_resent', job: { status: 'queued' } });
    expect(await readHash(fx.redis, keys.account('acct_1'))).toMatchObject({
      credits: String(SEED_ACCOUNT_CREDITS - 10),
      reserved: '10',
    });
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('1');
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
    // The record's stream id is the one entry's, as the first run answered.
    const [entry] = (await fx.redis.xrange(keys.queue('demo-shapes'), '-', '+')) as unknown as [string][];
    expect(result.outcome === 'created' && result.job.stream_id).toBe(
      (await readHash(fx.redis, keys.job('gen_resent'))).stream_id,
    );
    expect(entry).toBeDefined();
  });

  it('submit answered from the cache: charged once', async () => {
    await fx.redis.hset(keys.job('gen_source'), { status: 'succeeded', outputs: '[]', account_id: 'acct_1' });
    await fx.redis.set(keys.cacheDone('fp1'), 'gen_source');
    proxy.dropNext(1);
    const dropsBefore = proxy.dropped();
    const result = await submitGeneration(edge, submit({ jobId: 'gen_cached', fingerprint: 'fp1' }));
    expect(proxy.dropped()).toBe(dropsBefore + 1);
    expect(result.outcome).toBe('cached');
    expect((await readHash(fx.redis, keys.account('acct_1'))).credits).toBe(String(SEED_ACCOUNT_CREDITS - 2));
    expect(await fx.redis.xlen(keys.usageOutbox())).toBe(1);
  });

  it('lease: the resend hands back the same lease, not a second job nobody holds', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    await seedQueuedJob(fx.redis, { jobId: 'j2' });
    proxy.dropNext(1);
    const dropsBefore = proxy.dropped();
    const { jobs } = await leaseJobs(edge, {
      workerId: 'w1',
      models: ['demo-shapes'],
      maxJobs: 1,
      leaseTtlMs: 30_000,
    });
    expect(proxy.dropped()).toBe(dropsBefore + 1);
    expect(jobs.map((j) => [j.job_id, j.attempt])).toEqual([['j1', 1]]);
    expect((await readHash(fx.redis, keys.job('j1'))).lease_token).toBe(jobs[0].lease_token);
    expect((await readHash(fx.redis, keys.job('j2'))).status).toBe('queued');
    expect(await fx.redis.zcard(keys.leases())).toBe(1);
    const pending = (await fx.redis.xpending(
      keys.queue('demo-shapes'),
      QUEUE_GROUP,
      '-',
      '+',
      10,
    )) as unknown[];
    expect(pending).toHaveLength(1);
  });

  it('an admin credit grant is applied once', async () => {
    proxy.dropNext(1);
    const dropsBefore = proxy.dropped();
    expect(await updateAccount(edge, 'acct_1', { creditsDelta: 50 })).toBe(true);
    expect(proxy.dropped()).toBe(dropsBefore + 1);
    expect((await readHash(fx.redis, keys.account('acct_1'))).credits).toBe(
      String(SEED_ACCOUNT_CREDITS + 50),
    );
  });

  it('a webhook secret rotation keeps the old secret as the previous one', async () => {
    await fx.redis.hset(keys.account('acct_1'), { webhook_secret: 'whsec_old' });
    proxy.dropNext(1);
    const dropsBefore = proxy.dropped();
    const rotated = await rotateWebhookSecret(edge, {
      accountId: 'acct_1',
      secret: 'whsec_new',
      now: 1_000,
      overlapMs: 500,
    });
    expect(proxy.dropped()).toBe(dropsBefore + 1);
    expect(rotated).toEqual({ secret: 'whsec_new', previousUntil: 1_500 });
    expect(await readHash(fx.redis, keys.account('acct_1'))).toMatchObject({
      webhook_secret: 'whsec_new',
      webhook_secret_prev: 'whsec_old',
      webhook_secret_prev_until: '1500',
    });
  });
});
