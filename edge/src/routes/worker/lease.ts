import { type JobInput, type LeasedJob, LeaseRequest, type LeaseResponse } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeJobWatchers } from '../../durable/job-watch';
import { type SeenWakes, waitForWork, wakeWorkers } from '../../durable/wake-workers';
import { fieldError } from '../../errors/api-error';
import { parseJsonBody } from '../../lib/json-body';
import { type LeaseGrant, leaseJobs } from '../../store/scripts/lease-jobs';
import { releaseJob } from '../../store/scripts/release-job';
import { deliverSoon } from '../../webhooks/deliver-soon';

/**
 * Safety net under the Durable Object wake-ups: a parked lease call re-reads Redis at least this
 * often, so a lost wake (object restarted, requeue by an expiry nobody announced) delays a job by
 * at most this much. One lease read per 10 s keeps an idle worker far under one Redis command/s.
 */
export const SAFETY_POLL_MS = 10_000;

/**
 * POST /lease: up to max_jobs jobs of the asked models, each with its lease token. When there is
 * nothing, the call parks on the models' QueueWaker objects until a submit wakes it or wait_ms
 * runs out (long poll), reading Redis again after each wake and at each safety poll inside wait_ms.
 */
export const leaseRoute = new Hono<AppEnv>().post('/', async (c) => {
  const { data } = await parseJsonBody(c, LeaseRequest);
  const config = c.get('config');
  const redis = c.get('redis');
  data.models.forEach((model, i) => {
    if (!config.models.has(model)) throw fieldError(`models.${i}`, `unknown model ${JSON.stringify(model)}`);
  });
  const models = rotated([...new Set(data.models)]);
  const base = new URL(c.req.url);
  base.pathname = base.pathname.replace(/\/lease\/?$/, '');
  base.search = '';

  const deadline = Date.now() + data.wait_ms;
  const seen: SeenWakes = new Map();
  for (;;) {
    const { jobs, ended } = await leaseJobs(redis, {
      workerId: data.worker_id,
      models,
      maxJobs: data.max_jobs,
      leaseTtlMs: config.leaseTtlMs,
    });
    // Start webhooks of first attempts; completed ones of jobs a reclaim ended (attempts spent).
    if (jobs.length > 0 || ended.length > 0) deliverSoon(c);
    // Leased jobs are running now, reclaimed ones ended: their watchers read them now.
    for (const id of [...jobs.map((j) => j.job_id), ...ended.map((e) => e.job_id)]) {
      c.executionCtx.waitUntil(wakeJobWatchers(c.env, id));
    }
    if (jobs.length > 0 && c.req.raw.signal?.aborted) return giveBack(c, jobs);
    const remaining = deadline - Date.now();
    if (jobs.length > 0 || remaining <= 0) {
      const body: LeaseResponse = {
        jobs: jobs.map((grant) => leasedJob(grant, base.href)),
        lease_ttl_ms: config.leaseTtlMs,
      };
      return c.json(body);
    }
    const outcome = await waitForWork(c.env, models, Math.min(remaining, SAFETY_POLL_MS), seen);
    // A worker that hung up must not be handed jobs nobody will run (they would sit out a lease).
    // 499: "client closed request" (nginx), which nobody is left to read.
    if (c.req.raw.signal?.aborted) return new Response(null, { status: 499 });
    // The wait ran out with no wake: answer empty without a last read. The worker's next lease
    // call reads Redis first thing, so nothing waits longer, and an idle worker costs one read
    // per long poll less (two per 20 s poll instead of three).
    if (outcome === 'timeout' && Date.now() >= deadline) {
      return c.json({ jobs: [], lease_ttl_ms: config.leaseTtlMs } satisfies LeaseResponse);
    }
  }
});

/**
 * The worker hung up while its jobs were being leased: nobody will run them, so they go straight
 * back on their queues (no attempt spent) instead of sitting out a lease TTL.
 */
async function giveBack(c: Context<AppEnv>, jobs: LeaseGrant[]): Promise<Response> {
  const requeued = new Set<string>();
  for (const grant of jobs) {
    const result = await releaseJob(c.get('redis'), { jobId: grant.job_id, leaseToken: grant.lease_token });
    if (result.outcome === 'ok' && (result.status === 'queued' || result.promoted !== null)) {
      requeued.add(result.model);
    }
  }
  for (const model of requeued) c.executionCtx.waitUntil(wakeWorkers(c.env, model));
  return new Response(null, { status: 499 });
}

/**
 * The script fills max_jobs from the models in order; starting at a random one each call keeps a
 * busy model from starving the others a worker serves.
 */
function rotated<T>(items: T[]): T[] {
  const start = Math.floor(Math.random() * items.length);
  return [...items.slice(start), ...items.slice(0, start)];
}

function leasedJob(grant: LeaseGrant, base: string): LeasedJob {
  const input = JSON.parse(grant.input) as JobInput;
  const inputUrl = (kind: 'image' | 'mask') => `${base}/jobs/${grant.job_id}/inputs/${kind}`;
  return {
    job_id: grant.job_id,
    lease_token: grant.lease_token,
    lease_expires_at: grant.lease_expires_at,
    attempt: grant.attempt,
    ...(grant.queued_at ? { queued_at: grant.queued_at } : {}),
    input,
    ...(input.image_key ? { image_url: inputUrl('image') } : {}),
    ...(input.mask_key ? { mask_url: inputUrl('mask') } : {}),
  };
}
