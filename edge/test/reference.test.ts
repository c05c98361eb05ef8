import { readFileSync } from 'node:fs';
import { ModelInfo } from '@ldm/shared';
import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: EdgeStack;
const extraModel = {
  name: 'tiny-sd',
  version: 'tiny-sd-2',
  description: 'an operator-added model',
  tasks: ['txt2img'],
  native_width: 256,
  native_height: 256,
  min_size: 128,
  max_size: 768,
  max_pixels: 768 * 768,
  default_steps: 25,
  max_steps: 50,
  default_guidance_scale: 7.5,
  default_scheduler: 'euler',
  schedulers: ['euler', 'ddim'],
  price: { per_image: 2, per_megapixel_step: 1, cache_hit: 0.5 },
};

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { MODELS_JSON: JSON.stringify([extraModel]) } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('public reference endpoints', () => {
  it('lists the built-in demo model and models added through MODELS_JSON', async () => {
    const res = await stack.fetch('/v1/models');
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: unknown[] };
    const models = data.map((m) => ModelInfo.parse(m));
    expect(models.map((m) => m.name)).toEqual(['demo-shapes', 'demo-upscaler', 'tiny-sd']);
    expect(models[0]).toMatchObject({
      native_width: 64,
      min_size: 64,
      max_size: 512,
      default_scheduler: 'dpmpp_2m',
      default_steps: 20,
      tasks: ['txt2img', 'img2img', 'inpaint'],
    });
    // Which tasks each model serves: the upscaler only upscales (sizes are its output's).
    expect(models[1]).toMatchObject({ tasks: ['upscale'], native_width: 256, max_size: 2048 });
  });

  it('applies an added model’s own limits and defaults', async () => {
    const account = await stack.createAccount();
    const post = (body: object) =>
      stack.fetch('/v1/generations', {
        method: 'POST',
        headers: { ...account.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-sd', prompt: 'x', ...body }),
      });
    const created = await post({});
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      input: { width: 256, steps: 25, scheduler: 'euler', model_version: 'tiny-sd-2' },
    });
    const bad = await post({ scheduler: 'lcm', steps: 60, width: 64 });
    const { error } = (await bad.json()) as { error: { details: { field: string; limit: unknown }[] } };
    expect(bad.status).toBe(422);
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'scheduler', limit: 'euler, ddim' }),
        expect.objectContaining({ field: 'steps', limit: 50 }),
        expect.objectContaining({ field: 'width', limit: 128 }),
      ]),
    );
  });

  it('serves the committed OpenAPI document', async () => {
    const res = await stack.fetch('/openapi.json');
    expect(res.status).toBe(200);
    const committed = JSON.parse(readFileSync(new URL('../../shared/openapi.json', import.meta.url), 'utf8'));
    expect(await res.json()).toEqual(committed);
  });

  it('renders /docs as one self-contained page covering every operation', async () => {
    const res = await stack.fetch('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    // Nothing is fetched from elsewhere: no scripts, stylesheets or images by URL.
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!example)/i);
    const doc = JSON.parse(readFileSync(new URL('../../shared/openapi.json', import.meta.url), 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods)) expect(html).toContain(`id="op-${op.operationId}"`);
    }
    expect(html).toContain('id="schema-GenerationRequest"');
    expect(html).toContain('multiple of 8');
  });
});
