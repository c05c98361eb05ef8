import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RedisWithBridge, startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEdgeBundle } from '../scripts/ensure-bundle';
import { linkStripeCustomer } from '../src/billing/scripts/stripe-link-scripts';
import { type StripeRecorder, startStripeRecorder } from '../src/billing/test-support/stripe-recorder';
import { CRON_TRIGGERS } from '../src/cron/cron-triggers';
import { keys } from '../src/store/keys';
import { leaseJobs } from '../src/store/scripts/lease-jobs';
import { type CountedEdge, startCountedEdge } from './support/counted-edge';

// Each cron trigger runs one task in its own invocation (cron-schedules.ts); this counts the
// subrequests one invocation makes with a backlog bigger than a run can clear, in production
// mode (every webhook host resolved over DNS-over-HTTPS), against each task's stated budget.
// Workers Paid allows 1,000 subrequests per invocation.
const WORKERS_PAID_SUBREQUESTS = 1_000;

let bridge: RedisWithBridge;
let recorder: StripeRecorder;
let edge: CountedEdge;
let redis: Redis;
let hooksStatus = 503;
const adminToken = randomBytes(24).toString('base64url');

beforeAll(async () => {
  [bridge, recorder] = await Promise.all([startRedisWithBridge(), startStripeRecorder()]);
  redis = new Redis({ url: bridge.bridgeUrl, token: bridge.token, automaticDeserialization: false });
  edge = await startCountedEdge({
    bundlePath: await ensureEdgeBundle(),
    bindings: {
      UPSTASH_REDIS_REST_URL: bridge.bridgeUrl,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      ADMIN_TOKEN: adminToken,
      WORKER_TOKEN: randomBytes(24).toString('base64url'),
      URL_SIGNING_SECRET: randomBytes(24).toString('base64url'),
      STRIPE_SECRET_KEY: 'sk_test_budget',
      STRIPE_WEBHOOK_SECRET: '',
      STRIPE_API_BASE: recorder.url,
      DEPLOY_MODE: 'production',
      WEBHOOK_DNS_RESOLVER_URL: 'https://dns.test/dns-query',
      LEASE_TTL_MS: '60000',
    },
    // The public internet as the edge sees it: a resolver and a webhook receiver.
    internet: (request) => {
      const url = new URL(request.url);
      if (url.host === 'dns.test') {
        const a = url.searchParams.get('type') === 'A';
        return Response.json({ Status: 0, Answer: a ? [{ type: 1, data: '93.184.216.34' }] : [] });
      }
      if (url.host === 'hooks.example.com') return new Response('', { status: hooksStatus });
      return undefined;
    },
  });
}, 180_000);
afterAll(async () => {
  await edge?.stop();
  await Promise.all([recorder?.stop(), bridge?.stop()]);
});

async function admin(path: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(`${edge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}

async function runCron(cron: string, scheduledTime = new Date()): Promise<number> {
  edge.reset();
  const worker = await edge.mf.getWorker();
  await worker.scheduled({ cron, scheduledTime });
  return edge.total();
}

describe('cron budget: one task per trigger, each within its subrequest budget', () => {
  it('wrangler.toml fires exactly the triggers the dispatcher knows, each budget under the plan limit', () => {
    const toml = readFileSync(fileURLToPath(new URL('../../wrangler.toml', import.meta.url)), 'utf8');
    const crons = /^crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? '';
    const triggers = Object.values(CRON_TRIGGERS);
    expect([...crons.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(
      triggers.map((t) => t.cron).sort(),
    );
    for (const t of triggers) expect(t.subrequests).toBeLessThan(WORKERS_PAID_SUBREQUESTS);
  });

  it('webhook retries: 300 due deliveries, one run sends what fits and stays in budget', async () => {
    const account = await admin('/admin/v1/accounts', { name: 'budget', credits: 1_000_000 });
    await fetch(`${edge.url}/admin/v1/accounts/${account.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ limits: { concurrent_jobs: 100_000, requests_per_minute: 1_000_000 } }),
    });
    const { key } = await admin(`/admin/v1/accounts/${account.id}/keys`, { mode: 'live' });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const JOBS = 300;
    for (let i = 0; i < JOBS; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, JOBS - i) }, async (_, j) => {
          const res = await fetch(`${edge.url}/v1/generations`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ prompt: `budget ${i + j}`, webhook: 'https://hooks.example.com/h' }),
          });
          const { id } = (await res.json()) as { id: string };
          await fetch(`${edge.url}/v1/generations/${id}/cancel`, { method: 'POST', headers });
        }),
      );
    }
    // Every first attempt failed (503): all 300 are due again at +5 s.
    for (let i = 0; i < 200 && (edge.subrequests()['hooks.example.com'] ?? 0) < JOBS; i++)
      await new Promise((r) => setTimeout(r, 50));
    hooksStatus = 200;

    const total = await runCron(CRON_TRIGGERS.webhookDelivery.cron, new Date(Date.now() + 60_000));
    const by = edge.subrequests();
    console.log(`webhook cron run: ${total} subrequests ${JSON.stringify(by)}`);
    // 4 rounds of 25; the other 200 wait for the next run.
    expect(by['hooks.example.com']).toBe(100);
    expect(by['dns.test']).toBe(2 * by['hooks.example.com']);
    expect(total).toBeLessThanOrEqual(CRON_TRIGGERS.webhookDelivery.subrequests);
  });

  it('meter flush: a backlog bigger than one run reports (32,000 events), one run stays in budget', async () => {
    await redis.hset(keys.account('acct_budget'), { id: 'acct_budget', credits: 0 });
    await linkStripeCustomer(redis, 'acct_budget', 'cus_Budget');
    const BACKLOG = 32_000;
    for (let i = 0; i < BACKLOG; i += 2_000) {
      const tx = redis.pipeline();
      for (let j = i; j < i + 2_000; j++)
        tx.xadd(keys.usageOutbox(), '*', {
          job: `gen_budget_${j}`,
          account: 'acct_budget',
          model: 'demo-shapes',
          units: 1.5,
          at: Date.now(),
        });
      await tx.exec();
    }
    const total = await runCron(CRON_TRIGGERS.usageMeterFlush.cron);
    console.log(`meter flush cron run: ${total} subrequests ${JSON.stringify(edge.subrequests())}`);
    // One run reports up to 30,000 (flush-usage.ts maxEvents); the rest waits for the next minute.
    expect(recorder.accepted.length).toBe(30_000);
    expect(total).toBeLessThanOrEqual(CRON_TRIGGERS.usageMeterFlush.subrequests);
  });

  it('object retention: one page of the bucket per run, within budget', async () => {
    const total = await runCron(CRON_TRIGGERS.objectRetention.cron);
    // The cursor's GET and SET; the R2 list and delete are binding calls, not fetches.
    expect(total).toBe(2);
    expect(total).toBeLessThanOrEqual(CRON_TRIGGERS.objectRetention.subrequests);
  });

  it('lease reaper: expired leases requeued in one run within budget', async () => {
    const account = await admin('/admin/v1/accounts', { name: 'reap', credits: 1_000_000 });
    const { key } = await admin(`/admin/v1/accounts/${account.id}/keys`, { mode: 'live' });
    for (let i = 0; i < 20; i++) {
      await fetch(`${edge.url}/v1/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `reap ${i}` }),
      });
    }
    const leased = await leaseJobs(redis, {
      workerId: 'gone',
      models: ['demo-shapes'],
      maxJobs: 20,
      leaseTtlMs: 1,
    });
    expect(leased.jobs.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    const total = await runCron(CRON_TRIGGERS.leaseReaper.cron);
    console.log(`lease reaper cron run: ${total} subrequests ${JSON.stringify(edge.subrequests())}`);
    const status = await redis.hget(keys.job(leased.jobs[0].job_id), 'status');
    expect(status).toBe('queued');
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(CRON_TRIGGERS.leaseReaper.subrequests);
  });
});
