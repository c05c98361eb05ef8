import Replicate, { type FileOutput, type Prediction, parseProgressFromLogs } from 'replicate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, MODEL, startE2eStack } from './support/e2e-stack';

// The official `replicate` npm client, unmodified, against the real local stack: only baseUrl
// and auth change. Small images and few steps keep the CPU worker's share short.
let e2e: E2eStack;
let replicate: Replicate;
const REF = `ldm/${MODEL}` as const;
const SMALL = { width: 64, height: 64, num_inference_steps: 4 };

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '10000' }, model: 'demo' });
  replicate = new Replicate({ auth: e2e.account.apiKey, baseUrl: `${e2e.baseUrl}/replicate/v1` });
}, 120_000);
afterAll(async () => {
  await e2e?.stop();
});

async function apiErrorOf(
  promise: Promise<unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  // The client's ApiError (not exported at runtime): the message quotes the body, `response` is kept.
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe('ApiError');
  const response = (error as { response: Response }).response;
  return {
    status: response.status,
    body: JSON.parse((error as Error).message.replace(/^.*?: (\{.*\})\.$/s, '$1')),
  };
}

describe('Replicate predictions', () => {
  it('creates a prediction on a queue without workers as starting, and cancels it', async () => {
    const created = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'a red circle', ...SMALL },
    });
    expect(created.status).toBe('starting');
    expect(created.model).toBe(REF);
    expect(created.urls.get).toBe(`${e2e.baseUrl}/replicate/v1/predictions/${created.id}`);
    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect((await replicate.predictions.get(created.id)).status).toBe('canceled');
  });

  it('replicate.run() returns FileOutput objects (data URLs in the blocking answer)', async () => {
    const worker = e2e.startWorker('w-replicate');
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const progress: string[] = [];
    const output = (await replicate.run(
      REF,
      { input: { prompt: 'a blue square', num_outputs: 2, ...SMALL } },
      (p) => progress.push(p.status),
    )) as FileOutput[];
    expect(output).toHaveLength(2);
    for (const file of output) {
      expect(file).toBeInstanceOf(ReadableStream); // FileOutput
      expect(String(file.url())).toMatch(/^data:image\/png;base64,/);
      const meta = await sharp(Buffer.from(await (await file.blob()).arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    }
    expect(progress.at(-1)).toBe('succeeded');
  });

  it('creates by version, polls with get/wait, and documents the prediction object', async () => {
    const model = await replicate.models.get('ldm', MODEL);
    const version = model.latest_version?.id as string;
    expect(version).toBe('demo-shapes-v1');
    const created = await replicate.predictions.create({
      version,
      input: { prompt: 'a green triangle', seed: 3, ...SMALL },
    });
    const done = (await replicate.wait(created, { interval: 100 })) as Prediction;
    expect(done.status).toBe('succeeded');
    expect(done.version).toBe(version);
    expect(done.error).toBeNull();
    expect(done.input).toMatchObject({ prompt: 'a green triangle', seed: 3, num_inference_steps: 4 });
    expect(done.output).toHaveLength(1);
    const image = await fetch((done.output as string[])[0]); // signed: no key
    expect(image.status).toBe(200);
    expect(parseProgressFromLogs(done)).toEqual({ percentage: 1, current: 4, total: 4 });
    expect(done.logs?.trim().split('\n')).toHaveLength(4);
    expect(done.metrics?.predict_time).toBeGreaterThan(0);
    for (const field of ['created_at', 'started_at', 'completed_at'] as const) {
      expect(Number.isNaN(Date.parse(done[field] as string))).toBe(false);
    }
    expect(done.urls).toEqual({
      get: `${e2e.baseUrl}/replicate/v1/predictions/${done.id}`,
      cancel: `${e2e.baseUrl}/replicate/v1/predictions/${done.id}/cancel`,
      // Signed: replicate.stream() opens it without the key.
      stream: expect.stringMatching(
        new RegExp(`^${e2e.baseUrl}/replicate/v1/predictions/${done.id}/stream\\?expires=\\d+&sig=[\\w-]+$`),
      ),
    });
  });

  it('answers Prefer: wait=N that runs out with status starting', async () => {
    // 40 steps at 256x256 on a shared CPU: not done within 1 s.
    const created = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'slow', width: 256, height: 256, num_inference_steps: 40 },
      wait: 1,
    });
    expect(created.status).toBe('starting');
    expect(created.output).toBeNull();
    await replicate.predictions.cancel(created.id);
  });

  it('creates through the deployments alias', async () => {
    const created = await replicate.deployments.predictions.create('ldm', MODEL, {
      input: { prompt: 'deployment', ...SMALL },
      wait: 30,
    });
    expect(created.status).toBe('succeeded');
    expect(created.output?.[0]).toMatch(/^data:image\/png;base64,/);
  });

  it('lists newest first and follows the absolute `next` URL page by page', async () => {
    const pages: Prediction[][] = [];
    const first = () => replicate.request('/predictions?limit=2', { method: 'GET' }).then((r) => r.json());
    for await (const page of replicate.paginate(first)) pages.push(page as Prediction[]);
    const ids = pages.flat().map((p) => p.id);
    expect(pages[0]).toHaveLength(2);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(new Set(ids).size).toBe(ids.length);
    const listed = await replicate.predictions.list();
    expect(listed.previous).toBeNull();
    expect(listed.results.map((p) => p.id)).toEqual(ids);
    const next = (
      (await (await replicate.request('/predictions?limit=2', { method: 'GET' })).json()) as { next: string }
    ).next;
    expect(next.startsWith(`${e2e.baseUrl}/replicate/v1/predictions?`)).toBe(true);
  });

  it('describes the model version with an OpenAPI Input schema', async () => {
    const version = await replicate.models.versions.get('ldm', MODEL, 'demo-shapes-v1');
    const input = (
      version.openapi_schema as {
        components: { schemas: { Input: { properties: Record<string, { maximum?: number }> } } };
      }
    ).components.schemas.Input;
    expect(Object.keys(input.properties)).toEqual(
      expect.arrayContaining([
        'prompt',
        'width',
        'height',
        'num_inference_steps',
        'guidance_scale',
        'seed',
        'image',
        'mask',
      ]),
    );
    expect(input.properties.width.maximum).toBe(512);
  });

  it('hands out the webhook signing secret as {key}', async () => {
    const secret = await replicate.webhooks.default.secret.get();
    expect(secret.key).toMatch(/^whsec_/);
  });

  it('answers errors in Replicate shape', async () => {
    const missing = await apiErrorOf(replicate.models.get('ldm', 'no-such-model'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, title: 'Not found' });

    const invalid = await apiErrorOf(
      replicate.predictions.create({ model: REF, input: { prompt: 'x', num_outputs: 9 } }),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({ status: 422, title: 'Input validation failed' });
    expect((invalid.body.invalid_fields as { field: string }[])[0].field).toBe('input.num_outputs');

    const stranger = new Replicate({
      auth: 'ldm_test_not_a_real_key_at_all_000',
      baseUrl: `${e2e.baseUrl}/replicate/v1`,
    });
    const unauthorized = await apiErrorOf(stranger.predictions.list());
    expect(unauthorized.body).toMatchObject({ status: 401, title: 'Unauthenticated' });
  });
});
