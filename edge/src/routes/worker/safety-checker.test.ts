/// <reference types="node" />

import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../../config/models';
import { getGeneration, submit, workerClient } from './worker-test-client';

let stack: EdgeStack;

// A second catalog entry whose operator chose `block` for its checker.
const CHECKED_MODEL = {
  ...BUILTIN_MODELS[0],
  name: 'checked-model',
  version: 'checked-v1',
  safety_checker: 'block',
};

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { MODELS_JSON: JSON.stringify([CHECKED_MODEL]) } });
});
afterAll(async () => {
  await stack?.stop();
});

const admin = (path: string, method: string, body?: unknown) =>
  stack.fetch(path, {
    method,
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('safety checker mode per account (admin API) and nsfw per output', () => {
  it('PATCH sets block/blur/off or null, and names the field for anything else', async () => {
    const { id } = await stack.createAccount();
    expect(
      ((await (await admin(`/admin/v1/accounts/${id}`, 'GET')).json()) as { safety_checker: unknown })
        .safety_checker,
    ).toBeNull();
    const off = await admin(`/admin/v1/accounts/${id}`, 'PATCH', { safety_checker: 'off' });
    expect(((await off.json()) as { safety_checker: string }).safety_checker).toBe('off');
    const reset = await admin(`/admin/v1/accounts/${id}`, 'PATCH', { safety_checker: null });
    expect(((await reset.json()) as { safety_checker: unknown }).safety_checker).toBeNull();
    const bad = await admin(`/admin/v1/accounts/${id}`, 'PATCH', { safety_checker: 'maybe' });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; details: { field: string }[] } };
    expect(body.error.code).toBe('validation_error');
    expect(body.error.details[0].field).toBe('safety_checker');
  });

  it("the account's mode travels in the job; the worker's nsfw flag reaches the output", async () => {
    const account = await stack.createAccount();
    await admin(`/admin/v1/accounts/${account.id}`, 'PATCH', { safety_checker: 'blur' });
    const worker = workerClient(stack);
    const generation = await submit(stack, account, { seed: 5 });
    expect(generation.input).toMatchObject({ safety_checker: 'blur' });
    // Another account without a mode: the same seeded request is a different cache entry.
    const other = await stack.createAccount();
    const second = await submit(stack, other, { seed: 5 });
    expect(second.input).not.toHaveProperty('safety_checker');

    const leased = await worker.lease(['demo-shapes'], { max_jobs: 2 });
    const jobs = leased.body.jobs as {
      job_id: string;
      lease_token: string;
      input: Record<string, unknown>;
    }[];
    expect(jobs.map((j) => j.job_id).sort()).toEqual([generation.id, second.id].sort());
    const job = jobs.find((j) => j.job_id === generation.id) as (typeof jobs)[number];
    expect(job.input.safety_checker).toBe('blur');

    const png = new Uint8Array(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#333' } })
        .png()
        .toBuffer(),
    );
    const put = await worker.call('PUT', `/jobs/${job.job_id}/outputs/0`, png, {
      'x-lease-token': job.lease_token,
      'content-type': 'image/png',
    });
    expect(put.status).toBe(200);
    const done = await worker.call('POST', `/jobs/${job.job_id}/complete`, {
      lease_token: job.lease_token,
      outputs: [{ index: 0, width: 64, height: 64, seed: 5, content_type: 'image/png', nsfw: true }],
      metrics: { inference_ms: 10 },
    });
    expect(done.status).toBe(200);
    const read = await getGeneration(stack, account, generation.id);
    expect(read.outputs[0]).toMatchObject({ seed: 5, nsfw: true });
  });

  it("the catalog's mode applies unless the account has its own", async () => {
    const plain = await stack.createAccount();
    const fromCatalog = await submit(stack, plain, { model: 'checked-model' });
    expect(fromCatalog.input).toMatchObject({ safety_checker: 'block' });
    const trusted = await stack.createAccount();
    await admin(`/admin/v1/accounts/${trusted.id}`, 'PATCH', { safety_checker: 'off' });
    const fromAccount = await submit(stack, trusted, { model: 'checked-model' });
    expect(fromAccount.input).toMatchObject({ safety_checker: 'off' });
  });
});
