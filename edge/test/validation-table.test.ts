import { request } from 'node:http';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG_1X1 } from './fake-worker';

let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 1_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

const png = PNG_1X1.toString('base64');
const pngUrl = `data:image/png;base64,${png}`;
// A 2x2 PNG (the 1x1 one above is the image): a mask must match the image's size.
const png2x2 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAwMDAAAANAAGrAYH3AAAAAElFTkSuQmCC';
const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'binary').toString('base64');
const ok = { prompt: 'a red circle' };

interface Case {
  name: string;
  /** An object is sent as JSON; a string is sent as is. */
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  /** The field the error must name (in details[].field), or the error code when there is no field. */
  field?: string;
  code?: string;
  /** Text the error must contain, where the field alone does not tell the cases apart. */
  message?: string;
}

// biome-ignore format: one case per line reads as a table
const CASES: Case[] = [
  { name: 'broken JSON', body: '{"prompt": ', status: 400, code: 'invalid_json' },
  { name: 'text/plain body', body: 'prompt=x', headers: { 'content-type': 'text/plain' }, status: 415, field: 'Content-Type' },
  { name: 'no content type', body: '{}', headers: { 'content-type': '' }, status: 415, field: 'Content-Type' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
  { name: 'array body', body: [], status: 422, field: '(body)' },
  { name: 'null body', body: 'null', status: 422, field: '(body)' },
  { name: 'string body', body: '"hello"', status: 422, field: '(body)' },
  { name: 'unknown field', body: { ...ok, colour: 'red' }, status: 422, field: 'colour' },
  { name: 'prompt missing', body: {}, status: 422, field: 'prompt' },
  { name: 'prompt empty', body: { prompt: '' }, status: 422, field: 'prompt' },
  { name: 'prompt blank', body: { prompt: '   ' }, status: 422, field: 'prompt' },
  { name: 'prompt number', body: { prompt: 5 }, status: 422, field: 'prompt' },
  { name: 'prompt too long', body: { prompt: 'x'.repeat(2001) }, status: 422, field: 'prompt' },
  { name: 'negative_prompt too long', body: { ...ok, negative_prompt: 'x'.repeat(2001) }, status: 422, field: 'negative_prompt' },
  { name: 'negative_prompt array', body: { ...ok, negative_prompt: ['x'] }, status: 422, field: 'negative_prompt' },
  { name: 'model empty', body: { ...ok, model: '' }, status: 422, field: 'model' },
  { name: 'model unknown', body: { ...ok, model: 'sdxl-turbo' }, status: 422, field: 'model' },
  { name: 'model number', body: { ...ok, model: 1 }, status: 422, field: 'model' },
  { name: 'model too long', body: { ...ok, model: 'm'.repeat(101) }, status: 422, field: 'model' },
  { name: 'task unknown', body: { ...ok, task: 'video' }, status: 422, field: 'task' },
  { name: 'task null', body: { ...ok, task: null }, status: 422, field: 'task' },
  // With no model an upscale runs on the catalog's upscaler; a model named that cannot serve it is a 422.
  { name: 'task unsupported by model', body: { ...ok, model: 'demo-shapes', task: 'upscale', image: pngUrl }, status: 422, field: 'task' },
  { name: 'noise_level over 350', body: { ...ok, task: 'upscale', image: pngUrl, noise_level: 351 }, status: 422, field: 'noise_level' },
  { name: 'noise_level without upscaling', body: { ...ok, noise_level: 20 }, status: 422, field: 'noise_level' },
  { name: 'upscale width given', body: { ...ok, task: 'upscale', image: pngUrl, width: 256 }, status: 422, field: 'width' },
  { name: 'upscale factor 2', body: { ...ok, upscale: 2 }, status: 422, field: 'upscale' },
  { name: 'upscale with a refiner', body: { ...ok, refiner: 'x', upscale: 4 }, status: 422, field: 'upscale', message: 'cannot be combined with refiner' },
  { name: 'upscale on img2img', body: { ...ok, task: 'img2img', image: pngUrl, upscale: 4 }, status: 422, field: 'upscale' },
  { name: 'width below 64', body: { ...ok, width: 56 }, status: 422, field: 'width' },
  { name: 'width not multiple of 8', body: { ...ok, width: 65 }, status: 422, field: 'width' },
  { name: 'width over 2048', body: { ...ok, width: 2056 }, status: 422, field: 'width' },
  { name: 'width over model max', body: { ...ok, width: 1024 }, status: 422, field: 'width' },
  { name: 'width string', body: { ...ok, width: '64' }, status: 422, field: 'width' },
  { name: 'width fractional', body: { ...ok, width: 64.5 }, status: 422, field: 'width' },
  { name: 'width negative', body: { ...ok, width: -64 }, status: 422, field: 'width' },
  { name: 'height zero', body: { ...ok, height: 0 }, status: 422, field: 'height' },
  { name: 'height over model max', body: { ...ok, height: 520 }, status: 422, field: 'height' },
  { name: 'height null', body: { ...ok, height: null }, status: 422, field: 'height' },
  { name: 'height huge', body: { ...ok, height: 1e12 }, status: 422, field: 'height' },
  { name: 'steps zero', body: { ...ok, steps: 0 }, status: 422, field: 'steps' },
  { name: 'steps over 150', body: { ...ok, steps: 151 }, status: 422, field: 'steps' },
  { name: 'steps fractional', body: { ...ok, steps: 2.5 }, status: 422, field: 'steps' },
  { name: 'steps string', body: { ...ok, steps: '20' }, status: 422, field: 'steps' },
  { name: 'guidance negative', body: { ...ok, guidance_scale: -1 }, status: 422, field: 'guidance_scale' },
  { name: 'guidance over 30', body: { ...ok, guidance_scale: 31 }, status: 422, field: 'guidance_scale' },
  { name: 'guidance string', body: { ...ok, guidance_scale: '5' }, status: 422, field: 'guidance_scale' },
  { name: 'guidance_rescale over 1', body: { ...ok, guidance_rescale: 1.5 }, status: 422, field: 'guidance_rescale' },
  { name: 'clip_skip over 12', body: { ...ok, clip_skip: 13 }, status: 422, field: 'clip_skip' },
  { name: 'clip_skip on a model without hidden states', body: { ...ok, clip_skip: 1 }, status: 422, field: 'clip_skip' },
  { name: 'original_size on a model that is not SDXL', body: { ...ok, original_size: [512, 512] }, status: 422, field: 'original_size' },
  { name: 'original_size zero', body: { ...ok, original_size: [0, 512] }, status: 422, field: 'original_size.0' },
  { name: 'original_size of three', body: { ...ok, original_size: [512, 512, 1] }, status: 422, field: 'original_size' },
  { name: 'crop over 16384', body: { ...ok, crops_coords_top_left: [0, 16385] }, status: 422, field: 'crops_coords_top_left.1' },
  { name: 'target_size fractional', body: { ...ok, target_size: [64.5, 64] }, status: 422, field: 'target_size.0' },
  { name: 'aesthetic_score over 10', body: { ...ok, aesthetic_score: 11 }, status: 422, field: 'aesthetic_score' },
  { name: 'aesthetic_score on a model that is not a refiner', body: { ...ok, aesthetic_score: 6 }, status: 422, field: 'aesthetic_score' },
  { name: 'refiner unknown', body: { ...ok, refiner: 'nope' }, status: 422, field: 'refiner' },
  { name: 'refiner on a model that is not an SDXL base', body: { ...ok, refiner: 'demo-shapes' }, status: 422, field: 'refiner' },
  { name: 'denoising_end without a refiner', body: { ...ok, denoising_end: 0.8 }, status: 422, field: 'denoising_end' },
  { name: 'denoising_end 1', body: { ...ok, refiner: 'x', denoising_end: 1 }, status: 422, field: 'denoising_end' },
  { name: 'malformed prompt weight', body: { prompt: 'a (cat:1.2.3)' }, status: 422, field: 'prompt' },
  { name: 'prompt weight over 10', body: { prompt: 'a (cat:11)' }, status: 422, field: 'prompt' },
  { name: 'negative prompt weight negative', body: { ...ok, negative_prompt: '(blur:-1)' }, status: 422, field: 'negative_prompt' },
  { name: 'prompt over 300 tokens', body: { prompt: 'cat '.repeat(301) }, status: 422, field: 'prompt' },
  { name: 'scheduler unknown', body: { ...ok, scheduler: 'dpm' }, status: 422, field: 'scheduler' },
  { name: 'scheduler number', body: { ...ok, scheduler: 1 }, status: 422, field: 'scheduler' },
  { name: 'karras for ddim', body: { ...ok, scheduler: 'ddim', use_karras_sigmas: true }, status: 422, field: 'use_karras_sigmas' },
  { name: 'karras for lcm', body: { ...ok, scheduler: 'lcm', use_karras_sigmas: true }, status: 422, field: 'use_karras_sigmas' },
  { name: 'karras string', body: { ...ok, use_karras_sigmas: 'true' }, status: 422, field: 'use_karras_sigmas' },
  { name: 'rng unknown', body: { ...ok, rng: 'philox' }, status: 422, field: 'rng' },
  { name: 'rng number', body: { ...ok, rng: 1 }, status: 422, field: 'rng' },
  { name: 'seed negative', body: { ...ok, seed: -1 }, status: 422, field: 'seed' },
  { name: 'seed over 2^32-1', body: { ...ok, seed: 4294967296 }, status: 422, field: 'seed' },
  { name: 'seed fractional', body: { ...ok, seed: 1.5 }, status: 422, field: 'seed' },
  { name: 'seed string', body: { ...ok, seed: '42' }, status: 422, field: 'seed' },
  { name: 'num_outputs zero', body: { ...ok, num_outputs: 0 }, status: 422, field: 'num_outputs' },
  { name: 'num_outputs five', body: { ...ok, num_outputs: 5 }, status: 422, field: 'num_outputs' },
  { name: 'num_outputs fractional', body: { ...ok, num_outputs: 1.5 }, status: 422, field: 'num_outputs' },
  { name: 'output_format gif', body: { ...ok, output_format: 'gif' }, status: 422, field: 'output_format' },
  { name: 'output_format upper case', body: { ...ok, output_format: 'PNG' }, status: 422, field: 'output_format' },
  { name: 'strength negative', body: { ...ok, strength: -0.1 }, status: 422, field: 'strength' },
  { name: 'strength over 1', body: { ...ok, strength: 1.1 }, status: 422, field: 'strength' },
  { name: 'strength string', body: { ...ok, strength: '0.5' }, status: 422, field: 'strength' },
  { name: 'webhook not a URL', body: { ...ok, webhook: 'not a url' }, status: 422, field: 'webhook' },
  { name: 'webhook ftp', body: { ...ok, webhook: 'ftp://example.com/hook' }, status: 422, field: 'webhook' },
  { name: 'webhook javascript', body: { ...ok, webhook: 'javascript:alert(1)' }, status: 422, field: 'webhook' },
  { name: 'webhook number', body: { ...ok, webhook: 42 }, status: 422, field: 'webhook' },
  { name: 'webhook too long', body: { ...ok, webhook: `https://example.com/${'a'.repeat(2100)}` }, status: 422, field: 'webhook' },
  { name: 'events filter empty', body: { ...ok, webhook_events_filter: [] }, status: 422, field: 'webhook_events_filter' },
  { name: 'events filter unknown', body: { ...ok, webhook_events_filter: ['done'] }, status: 422, field: 'webhook_events_filter.0' },
  { name: 'events filter string', body: { ...ok, webhook_events_filter: 'start' }, status: 422, field: 'webhook_events_filter' },
  { name: 'events filter too many', body: { ...ok, webhook_events_filter: ['start', 'completed', 'start'] }, status: 422, field: 'webhook_events_filter' },
  { name: 'img2img without image', body: { ...ok, task: 'img2img' }, status: 422, field: 'image' },
  { name: 'inpaint without mask', body: { ...ok, task: 'inpaint', image: pngUrl }, status: 422, field: 'mask' },
  { name: 'mask on txt2img', body: { ...ok, mask: pngUrl }, status: 422, field: 'mask' },
  { name: 'mask on img2img', body: { ...ok, task: 'img2img', image: pngUrl, mask: pngUrl }, status: 422, field: 'mask' },
  { name: 'image not base64', body: { ...ok, task: 'img2img', image: '!!not base64!!' }, status: 422, field: 'image' },
  { name: 'image is text', body: { ...ok, task: 'img2img', image: Buffer.from('hello world').toString('base64') }, status: 422, field: 'image' },
  { name: 'image is a GIF', body: { ...ok, task: 'img2img', image: `data:image/gif;base64,${gif}` }, status: 422, field: 'image' },
  { name: 'image type mismatch', body: { ...ok, task: 'img2img', image: `data:image/jpeg;base64,${png}` }, status: 422, field: 'image' },
  { name: 'image data URL not base64', body: { ...ok, task: 'img2img', image: 'data:image/png,abc' }, status: 422, field: 'image' },
  { name: 'image empty', body: { ...ok, task: 'img2img', image: '' }, status: 422, field: 'image' },
  { name: 'image number', body: { ...ok, task: 'img2img', image: 7 }, status: 422, field: 'image' },
  { name: 'mask not an image', body: { ...ok, task: 'inpaint', image: pngUrl, mask: 'AAAAAAAA' }, status: 422, field: 'mask' },
  { name: 'image only a magic number', body: { ...ok, task: 'img2img', image: 'iVBORw0KGgo=' }, status: 422, field: 'image' },
  { name: 'mask of another size', body: { ...ok, task: 'inpaint', image: pngUrl, mask: png2x2 }, status: 422, field: 'mask' },
  { name: 'image over 10 MiB', body: { ...ok, task: 'img2img', image: 'A'.repeat(14_200_000) }, status: 422, field: 'image' },
  { name: 'body over 30 MiB', body: `{"prompt":"${'x'.repeat(31 * 1024 * 1024)}"}`, status: 413, field: '(body)' },
  { name: 'idempotency key too long', body: ok, headers: { 'idempotency-key': 'k'.repeat(256) }, status: 422, field: 'Idempotency-Key' },
  { name: 'idempotency key with space', body: ok, headers: { 'idempotency-key': 'a b' }, status: 422, field: 'Idempotency-Key' },
];

/**
 * POST with node:http rather than fetch: the edge may answer an oversized body (413) and close
 * before the client finished sending it, which fetch reports as a network error although the
 * answer arrived. Here the answer is taken as soon as it comes and a failed write after it ignored.
 */
function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const url = new URL(`${stack.baseUrl}/v1/generations`);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        // A fresh connection each time: one the edge closed after a 413 is never reused.
        agent: false,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

describe('malformed generation requests', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    const res = await post(body, { ...account.headers, 'content-type': 'application/json', ...c.headers });
    const json = JSON.parse(res.text) as {
      error: { code: string; request_id: string; details?: { field: string }[] };
    };
    expect(res.status).toBe(c.status);
    expect(json.error.request_id).toMatch(/^req_/);
    if (c.code) expect(json.error.code).toBe(c.code);
    if (c.field) expect(json.error.details?.map((d) => d.field)).toContain(c.field);
    if (c.message) expect(res.text).toContain(c.message);
  });

  it('names every bad field at once, with its limit', async () => {
    const res = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', width: 60, steps: 200, num_outputs: 9 }),
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { details: { field: string; limit?: number }[] } };
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'width', limit: 64 }),
        expect.objectContaining({ field: 'steps', limit: 150 }),
        expect.objectContaining({ field: 'num_outputs', limit: 4 }),
      ]),
    );
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=%%%', 'cursor'],
  ])('list query %s is a 422 naming %s', async (query, field) => {
    const res = await stack.fetch(`/v1/generations?${query}`, { headers: account.headers });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { details: { field: string }[] } };
    expect(error.details.map((d) => d.field)).toContain(field);
  });

  it('accepts a valid img2img request and stores its input image in R2', async () => {
    const res = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', task: 'img2img', image: pngUrl, strength: 0.5 }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const input = JSON.parse((await stack.redis.hget(`job:${id}`, 'input')) as string) as {
      image_key: string;
    };
    expect(input.image_key).toBe(`inputs/${account.id}/${id}/image.png`);
    const bucket = await stack.mf.getR2Bucket('OUTPUTS');
    const object = await bucket.get(input.image_key);
    expect(Buffer.from(await object!.arrayBuffer()).equals(PNG_1X1)).toBe(true);
  });
});
