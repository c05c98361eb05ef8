/// <reference types="node" />
import type { Redis } from '@upstash/redis/cloudflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../env';
import { keys } from '../store/keys';
import { cancelGeneration } from '../store/scripts/cancel-generation';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';
import { seedAccount, seedQueuedJob } from '../store/scripts/test-support/seed-job';
import { readHash } from '../store/scripts/test-support/state-snapshot';
import { deliverWebhooks } from './deliver-webhooks';
import { startDnsJsonServer } from './test-support/dns-json-server';
import { WebhookReceiver } from './test-support/webhook-receiver';

// deliverWebhooks in Node against a real Redis and a real receiver: the paths where a delivery
// cannot be made at all and must end (not retry forever), without side effects.
let fx: ScriptRedisFixture;
let receiver: WebhookReceiver;
const config = parseConfig({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
  UPSTASH_REDIS_REST_TOKEN: 'x',
  ADMIN_TOKEN: 'a'.repeat(16),
  WORKER_TOKEN: 'w'.repeat(16),
  URL_SIGNING_SECRET: 's'.repeat(16),
  DEPLOY_MODE: 'local',
});

beforeAll(async () => {
  [fx, receiver] = await Promise.all([startScriptRedis(), WebhookReceiver.start()]);
});
afterAll(async () => {
  await Promise.all([fx?.stop(), receiver?.stop()]);
});
beforeEach(async () => {
  await fx.redis.flushall();
  await seedAccount(fx.redis);
});

const deliver = () => deliverWebhooks({ redis: fx.redis as unknown as Redis, config }, { mode: 'fresh' });

async function canceledJob(jobId: string, webhook: string) {
  await seedQueuedJob(fx.redis, { jobId });
  await fx.redis.hset(keys.job(jobId), { request: JSON.stringify({ webhook }), origin: 'http://edge.test' });
  expect((await cancelGeneration(fx.redis, 'acct_1', jobId)).outcome).toBe('canceled');
}

describe('deliverWebhooks', () => {
  it('sends a recorded event once and records it delivered', async () => {
    await canceledJob('gen_ok', receiver.url('/node-ok'));
    expect(await deliver()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    const [got] = receiver.at('/node-ok');
    expect(JSON.parse(got.body)).toMatchObject({ id: 'gen_ok', status: 'canceled' });
    expect(JSON.parse(got.body).urls.get).toBe('http://edge.test/v1/generations/gen_ok');
  });

  it('ends the delivery when the job record is gone', async () => {
    await canceledJob('gen_gone', receiver.url('/node-gone'));
    await fx.redis.del(keys.job('gen_gone'));
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect(receiver.at('/node-gone')).toEqual([]);
    expect(await readHash(fx.redis, keys.webhookDelivery('gen_gone:completed'))).toMatchObject({
      state: 'failed',
    });
  });

  it('ends the delivery when the account is gone, without recreating its record', async () => {
    await canceledJob('gen_orphan', receiver.url('/node-orphan'));
    await fx.redis.del(keys.account('acct_1'));
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect(await fx.redis.exists(keys.account('acct_1'))).toBe(0);
    expect(receiver.at('/node-orphan')).toEqual([]);
    const log = await fx.redis.lrange(keys.webhookLog('gen_orphan:completed'), 0, -1);
    expect(log.map((l) => (typeof l === 'string' ? JSON.parse(l) : l).error)).toEqual([
      'the account no longer exists',
    ]);
  });

  it('sends nothing while DNS fails for the target, and schedules a retry (fail closed)', async () => {
    const dns = await startDnsJsonServer({ 'flaky.example': { A: ['93.184.216.34'], AAAA: 'servfail' } });
    try {
      const production = { ...config, mode: 'production' as const, webhookDnsResolverUrl: dns.url };
      const asked: string[] = [];
      // The real fetch, recording where it goes: the resolver may be asked, the target never.
      const recordingFetch: typeof fetch = (input, init) => {
        asked.push(String(input instanceof Request ? input.url : input));
        return fetch(input, init);
      };
      await canceledJob('gen_dns', 'https://flaky.example/hook');
      const summary = await deliverWebhooks(
        { redis: fx.redis as unknown as Redis, config: production, fetch: recordingFetch },
        { mode: 'fresh' },
      );
      expect(summary).toEqual({ delivered: 0, retrying: 1, failed: 0 });
      expect(asked.some((url) => url.startsWith('https://flaky.example'))).toBe(false);
      expect(asked.some((url) => url.startsWith(dns.url))).toBe(true);
      const delivery = await readHash(fx.redis, keys.webhookDelivery('gen_dns:completed'));
      expect(delivery).toMatchObject({ state: 'pending' });
      const log = await fx.redis.lrange(keys.webhookLog('gen_dns:completed'), 0, -1);
      const entry = (typeof log[0] === 'string' ? JSON.parse(log[0]) : log[0]) as {
        error: string;
        next_retry_at: number;
      };
      expect(entry.error).toMatch(/could not be resolved/);
      expect(entry.next_retry_at).toBeGreaterThan(0);
    } finally {
      await dns.stop();
    }
  });
});
