/// <reference types="node" />
import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../store/keys';
import { MODEL_EXPORT_TTL_MS } from '../../store/scripts/record-model-export';
import { readHash } from '../../store/scripts/test-support/state-snapshot';
import { workerClient } from './worker-test-client';

let stack: EdgeStack;
let worker: ReturnType<typeof workerClient>;

beforeAll(async () => {
  stack = await startEdgeStack({ countRestRequests: true });
  worker = workerClient(stack);
});
afterAll(async () => {
  await stack?.stop();
});

type Listed = { name: string; export: Record<string, unknown> | null };
async function listedModels(): Promise<Listed[]> {
  const res = await stack.fetch('/v1/models');
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Listed[] }).data;
}
const exportOf = async (name: string) => (await listedModels()).find((m) => m.name === name)?.export;

const report = {
  scheduler_class: 'PNDMScheduler',
  scheduler_class_supported: true,
  default_scheduler: 'pndm',
};

describe('PUT /worker/v1/models/{name}/export -> GET /v1/models', () => {
  it('lists export: null for a model no worker has reported', async () => {
    const models = await listedModels();
    expect(models.map((m) => m.name)).toContain('demo-shapes');
    for (const model of models) expect(model.export).toBeNull();
  });

  it('shows what a worker reported, and the next report replaces it whole', async () => {
    const res = await worker.call('PUT', '/models/demo-shapes/export', report);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(report);
    expect(Date.parse(res.body.reported_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await exportOf('demo-shapes')).toEqual({ ...report, reported_at: res.body.reported_at });

    // A later worker whose export names a class the project does not implement.
    const unsupported = {
      scheduler_class: 'FlowMatchEulerDiscreteScheduler',
      scheduler_class_supported: false,
      default_scheduler: 'ddim',
    };
    expect((await worker.call('PUT', '/models/demo-shapes/export', unsupported)).status).toBe(200);
    expect(await exportOf('demo-shapes')).toMatchObject(unsupported);

    // An export without a scheduler class: null, not an empty string nor the old class.
    const none = { scheduler_class: null, scheduler_class_supported: true, default_scheduler: 'euler' };
    expect((await worker.call('PUT', '/models/demo-shapes/export', none)).status).toBe(200);
    expect(await exportOf('demo-shapes')).toMatchObject(none);
  });

  it('keeps the record with a TTL, so a model no worker serves any more loses it', async () => {
    await worker.call('PUT', '/models/demo-shapes/export', report);
    const ttl = Number(await stack.redis.pttl(keys.modelExport('demo-shapes')));
    expect(ttl).toBeGreaterThan(MODEL_EXPORT_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(MODEL_EXPORT_TTL_MS);
  });

  it('reads every model in one Redis request', async () => {
    const before = stack.restRequests();
    await listedModels();
    expect(stack.restRequests() - before).toBe(1);
  });

  it('refuses a model outside the catalog with 404 and writes nothing', async () => {
    const res = await worker.call('PUT', '/models/not-in-catalog/export', report);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(await readHash(stack.redis, keys.modelExport('not-in-catalog'))).toEqual({});
    expect((await listedModels()).map((m) => m.name)).not.toContain('not-in-catalog');
  });

  it.each([
    ['scheduler_class', { ...report, scheduler_class: 'A'.repeat(101) }],
    ['scheduler_class', { ...report, scheduler_class: 'Bad Class<script>' }],
    ['scheduler_class', { ...report, scheduler_class: '' }],
    ['scheduler_class_supported', { ...report, scheduler_class_supported: 'yes' }],
    ['default_scheduler', { ...report, default_scheduler: 'not-a-scheduler' }],
    ['extra', { ...report, extra: 1 }],
  ])('refuses a bad %s with 422 naming it and keeps the last report', async (field, body) => {
    await worker.call('PUT', '/models/demo-shapes/export', report);
    const before = await readHash(stack.redis, keys.modelExport('demo-shapes'));
    const res = await worker.call('PUT', '/models/demo-shapes/export', body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(JSON.stringify(res.body.error.details)).toContain(field);
    expect(await readHash(stack.redis, keys.modelExport('demo-shapes'))).toEqual(before);
  });

  it('refuses a body over the JSON limit with 413', async () => {
    const res = await worker.call('PUT', '/models/demo-shapes/export', {
      ...report,
      padding: 'x'.repeat(70 * 1024),
    });
    expect(res.status).toBe(413);
  });

  it('refuses a caller without the worker token', async () => {
    const res = await stack.fetch('/worker/v1/models/demo-shapes/export', {
      method: 'PUT',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
    expect(res.status).toBe(401);
    expect(await readHash(stack.redis, keys.modelExport('demo-shapes'))).toMatchObject({
      scheduler_class: 'PNDMScheduler',
    });
  });
});
