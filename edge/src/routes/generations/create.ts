import { GenerationRequest, type JobInput } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { jobUnits } from '../../config/job-units';
import type { PlanName } from '../../config/plans';
import type { AppEnv } from '../../context';
import { fingerprintOf } from '../../generations/fingerprint';
import { generationView } from '../../generations/generation-view';
import { requestOrigin, utcDay, viewOptions } from '../../generations/load-generation';
import { preferWaitSeconds } from '../../generations/prefer-wait';
import { resolveGeneration } from '../../generations/resolve-request';
import { storeInputs } from '../../generations/store-inputs';
import { waitForResult } from '../../generations/wait-for-result';
import { wakeAfterSubmit } from '../../generations/wake-coalescer';
import { holdWatchSlot } from '../../generations/watch-slot';
import { sha256Hex } from '../../lib/crypto';
import { newJobId } from '../../lib/ids';
import { parseJsonBody } from '../../lib/json-body';
import { idempotency } from '../../middleware/idempotency';
import { assertSubmitted, submitGeneration } from '../../store/scripts/submit-generation';
import { deliverSoon } from '../../webhooks/deliver-soon';
import { assertPublicWebhook } from '../../webhooks/submit-check';

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** POST /v1/generations: validate, store input images, then one EVAL decides everything else. */
export const createGeneration = new Hono<AppEnv>().post('/', idempotency(), async (c) => {
  const { data } = await parseJsonBody(c, GenerationRequest);
  const wait = preferWaitSeconds(c.req.header('prefer'));
  // Taken before anything is created: a 429 here leaves nothing behind for a retry to duplicate.
  const releaseWatch = wait === null ? null : await holdWatchSlot(c, wait * 1000);
  try {
    return await createWithin(c, data, wait);
  } finally {
    await releaseWatch?.();
  }
});

async function createWithin(
  c: Context<AppEnv>,
  data: z.output<typeof GenerationRequest>,
  wait: number | null,
): Promise<Response> {
  // c.get, not c.var: Hono builds a fresh object of every variable on each c.var access.
  const config = c.get('config');
  const redis = c.get('redis');
  const caller = c.get('caller');
  const idempotencyKey = c.get('idempotency');
  const resolved = resolveGeneration(data, config, caller.safetyChecker);
  if (data.webhook) await assertPublicWebhook(data.webhook, config);
  const { model, input: resolvedInput } = resolved;
  const jobId = newJobId();

  const digests = {
    ...(resolved.image ? { image_sha256: await sha256Hex(resolved.image.bytes) } : {}),
    ...(resolved.mask ? { mask_sha256: await sha256Hex(resolved.mask.bytes) } : {}),
  };
  const livemode = caller.mode === 'live';
  const fingerprint = resolved.seeded
    ? await fingerprintOf(resolvedInput, digests, { accountId: caller.accountId, livemode })
    : '';
  const stored = await storeInputs(c.env.OUTPUTS, caller.accountId, jobId, resolved);
  const input: JobInput = { ...resolvedInput, ...stored };
  // A test key's generation is free (DESIGN decision 4): nothing is held, charged or metered, so
  // every settling script moves 0 units and the billing outbox never hears of it.
  const units = livemode ? jobUnits(model, input, resolved.upscaler) : 0;
  const plan = config.plans[caller.plan as PlanName] ?? config.plans.free;
  const cacheHitUnits = livemode ? round6(model.price.cache_hit * input.num_outputs) : 0;

  const result = await submitGeneration(redis, {
    accountId: caller.accountId,
    jobId,
    model: model.name,
    fields: {
      // A compatibility surface's own fields (engine-call.ts) first: the engine's win a clash.
      ...c.get('jobExtras'),
      account_id: caller.accountId,
      model: model.name,
      input: JSON.stringify(input),
      request: JSON.stringify(resolved.echo),
      origin: requestOrigin(c),
      fingerprint,
      max_attempts: String(config.maxAttempts),
      units_cache_hit: String(cacheHitUnits),
      key_id: caller.keyId,
      livemode: livemode ? '1' : '0',
      ...digests,
    },
    units,
    cacheHitUnits,
    concurrencyLimit: caller.concurrencyLimit,
    retentionSeconds: config.jobRetentionSeconds,
    idempotency: idempotencyKey && { ...idempotencyKey, ttlSeconds: config.idempotencyTtlSeconds },
    fingerprint,
    day: utcDay(),
    monthlyAllowance: plan.monthly_allowance,
    testQuota: livemode ? undefined : plan.test_generations_per_day,
  });

  const jobCreated = result.outcome === 'created' || result.outcome === 'coalesced';
  if (!jobCreated && (stored.image_key || stored.mask_key)) {
    // This request made no job of its own: its copy of the inputs is not needed.
    c.executionCtx.waitUntil(
      c.env.OUTPUTS.delete([stored.image_key, stored.mask_key].filter((k) => k !== undefined)),
    );
  }
  assertSubmitted(result);
  if (result.outcome === 'created') {
    const waking = wakeAfterSubmit(c.env, model.name);
    if (waking) c.executionCtx.waitUntil(waking);
  }
  // A cache answer (completed) or joining a running job (start) recorded events.
  if (data.webhook && (result.outcome === 'cached' || result.outcome === 'coalesced')) deliverSoon(c);

  let job = result.job;
  if (wait !== null) {
    job = await waitForResult(c, result.jobId, job, wait);
    c.header('Preference-Applied', `wait=${wait}`);
  }
  // A new job's input and echo are the objects just written (no need to parse them back).
  const known = result.outcome === 'created' ? { input, echo: resolved.echo } : undefined;
  const view = await generationView(result.jobId, job, viewOptions(c), known);
  c.header('Location', view.urls.get);
  if (result.outcome === 'replayed') {
    c.header('Idempotent-Replayed', 'true');
    return c.json(view, 200);
  }
  return c.json(view, 201);
}
