import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, startE2eStack } from './support/e2e-stack';

// The official `openai` npm client, unmodified, against the real local stack (redis, bridge,
// workerd edge, a CPU worker on the demo model): only baseURL and apiKey change.
let e2e: E2eStack;
let openai: OpenAI;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '10000' }, model: 'demo' });
  openai = new OpenAI({ baseURL: `${e2e.baseUrl}/openai/v1`, apiKey: e2e.account.apiKey });
}, 120_000);
afterAll(async () => {
  await e2e?.stop();
});

// The worker starts after the first test, which needs work to stay queued.
let workerReady: Promise<unknown> | undefined;
const withWorker = () => {
  workerReady ??= e2e.startWorker('w-openai').waitForLog((l) => l.msg === 'worker ready', 60_000);
  return workerReady;
};

async function pngOf(bytes: ArrayBuffer | Buffer) {
  return sharp(Buffer.from(bytes as ArrayBuffer)).metadata();
}

describe('OpenAI images.generate', () => {
  it('answers a held request whose queued work was canceled without inviting a retry (one job, not three)', async () => {
    const list = async () => {
      const res = await fetch(`${e2e.baseUrl}/v1/generations?limit=100`, { headers: e2e.account.headers });
      return ((await res.json()) as { data: { id: string; status: string }[] }).data;
    };
    const before = new Set((await list()).map((g) => g.id));
    const held = openai.images.generate({ prompt: 'to be canceled', n: 4, size: '1024x1024' }).then(
      () => null,
      (e: unknown) => e,
    );
    let id: string | undefined;
    while (!id) {
      id = (await list()).find((g) => !before.has(g.id))?.id;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await e2e.cancel(id)).status).toBe(200);
    const error = (await held) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.ConflictError); // a 409, which the client retries unless told not to
    expect(error.code).toBe('generation_canceled');
    expect(error.headers?.get('x-should-retry')).toBe('false');
    const made = (await list()).filter((g) => !before.has(g.id));
    expect(made.map((g) => g.id)).toEqual([id]);
  });

  it('holds the request until the images exist and answers signed URLs that work without the key', async () => {
    await withWorker();
    const res = await openai.images
      .generate({ model: 'dall-e-2', prompt: 'a red circle', n: 2, size: '256x256' })
      .withResponse();
    const body = res.data;
    expect(res.response.headers.get('x-should-retry')).toBe('false');
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(120);
    expect(body.data).toHaveLength(2);
    expect(body.size).toBe('256x256');
    for (const image of body.data ?? []) {
      expect(image.url).toMatch(/\/v1\/outputs\/.*[?&]sig=/);
      const download = await fetch(image.url as string); // no Authorization header
      expect(download.status).toBe(200);
      const meta = await pngOf(await download.arrayBuffer());
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256]);
    }
  });

  it('answers b64_json with the image bytes, at the nearest supported size', async () => {
    // 1792x1024 on a model whose max side is 512: the same aspect ratio scaled down, sides x8.
    const body = await openai.images.generate({
      model: 'gpt-image-1',
      prompt: 'a blue square',
      size: '1792x1024',
      response_format: 'b64_json',
    });
    expect(body.data).toHaveLength(1);
    const meta = await pngOf(Buffer.from(body.data?.[0].b64_json as string, 'base64'));
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 288]);
    expect(body.size).toBe('512x288');
  });

  it('refuses an unknown size with a 400 in OpenAI error shape, naming the param', async () => {
    const error = await openai.images
      .generate({ prompt: 'x', size: '999x999' as '256x256' }) // an unsupported size on purpose
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('size');
    expect(bad.code).toBe('invalid_size');
    expect(bad.type).toBe('invalid_request_error');
    expect(bad.message).toMatch(/1024x1024/);
  });

  it('refuses an unknown model and a bad key in OpenAI error shape', async () => {
    const missing = await openai.images
      .generate({ prompt: 'x', model: 'no-such-model' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');

    const stranger = new OpenAI({
      baseURL: `${e2e.baseUrl}/openai/v1`,
      apiKey: 'ldm_test_not_a_real_key_at_all_000',
    });
    const unauthorized = await stranger.images.generate({ prompt: 'x' }).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    const err = unauthorized as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
    expect(err.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
  });

  it('is reached through OPENAI_BASE_URL too', async () => {
    const saved = process.env.OPENAI_BASE_URL;
    process.env.OPENAI_BASE_URL = `${e2e.baseUrl}/openai/v1`;
    try {
      const client = new OpenAI({ apiKey: e2e.account.apiKey });
      const error = await client.images
        .generate({ prompt: 'x', size: '1x1' as '256x256' }) // unsupported on purpose: no image is made
        .catch((e: unknown) => e);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_size');
    } finally {
      if (saved === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = saved;
    }
  });

  it('answers a raw POST with exactly OpenAI error keys', async () => {
    const res = await fetch(`${e2e.baseUrl}/openai/v1/images/generations`, {
      method: 'POST',
      headers: { ...e2e.account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', n: 9 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.param).toBe('n');
  });
});

// A 64x64 gradient (the demo model's native size, so the output is pixel-aligned with the input).
const colour = (x: number, y: number) => [x * 4, y * 4, 120];
const repaintLeft = (x: number) => x < 32;

async function rgbaPng(alpha: (x: number, y: number) => number): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 4);
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) raw.set([...colour(x, y), alpha(x, y)], (y * 64 + x) * 4);
  return sharp(raw, { raw: { width: 64, height: 64, channels: 4 } })
    .png()
    .toBuffer();
}

/** Pixels equal to the input's, on the kept side and on the repainted side. */
async function compare(b64: string) {
  const { data, info } = await sharp(Buffer.from(b64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([64, 64]);
  let keptSame = 0;
  let repaintedChanged = 0;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const same = colour(x, y).every((v, c) => data[(y * 64 + x) * info.channels + c] === v);
      if (repaintLeft(x)) repaintedChanged += same ? 0 : 1;
      else keptSame += same ? 1 : 0;
    }
  }
  return { keptSame, repaintedChanged };
}

describe('OpenAI images.edit and images.createVariation', () => {
  it('repaints only where the mask is transparent; every other pixel stays as it was', async () => {
    const image = await toFile(await rgbaPng(() => 255), 'image.png', { type: 'image/png' });
    const mask = await toFile(await rgbaPng((x) => (repaintLeft(x) ? 0 : 255)), 'mask.png', {
      type: 'image/png',
    });
    const body = await openai.images.edit({
      image,
      mask,
      prompt: 'a red circle',
      response_format: 'b64_json',
    });
    const { keptSame, repaintedChanged } = await compare(body.data?.[0].b64_json as string);
    expect(keptSame).toBe(32 * 64);
    expect(repaintedChanged).toBeGreaterThan(32 * 64 * 0.5);
  });

  it("uses the image's own transparency as the mask when none is sent (image[] form)", async () => {
    const image = await toFile(await rgbaPng((x) => (repaintLeft(x) ? 0 : 255)), 'image.png', {
      type: 'image/png',
    });
    const body = await openai.images.edit({
      image: [image],
      prompt: 'a blue square',
      response_format: 'b64_json',
    });
    const { keptSame, repaintedChanged } = await compare(body.data?.[0].b64_json as string);
    expect(keptSame).toBe(32 * 64);
    expect(repaintedChanged).toBeGreaterThan(0);
  });

  it('refuses a mask with no transparent pixels in OpenAI shape', async () => {
    const image = await toFile(await rgbaPng(() => 255), 'image.png', { type: 'image/png' });
    const mask = await toFile(await rgbaPng(() => 255), 'mask.png', { type: 'image/png' });
    const error = await openai.images.edit({ image, mask, prompt: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('mask');
  });

  it("makes a variation of an image (img2img) at the image's size", async () => {
    const image = await toFile(await rgbaPng(() => 255), 'image.png', { type: 'image/png' });
    const body = await openai.images.createVariation({ image, n: 1 });
    const download = await fetch(body.data?.[0].url as string);
    const meta = await sharp(Buffer.from(await download.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
  });
});
