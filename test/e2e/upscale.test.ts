import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, MODEL, startE2eStack, UPSCALER } from './support/e2e-stack';
import type { WorkerProcess } from './support/worker-process';

// task "upscale" and txt2img with "upscale": 4, from the API through a real worker holding both
// models (the fixture text-to-image model and the tiny x4 upscaler fixture).
let e2e: E2eStack;
let worker: WorkerProcess;

async function dataUrl(width: number, height: number): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  const png = await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

async function post(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${e2e.baseUrl}/v1/generations`, {
    method: 'POST',
    headers: { ...e2e.account.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '10000' }, upscaler: true });
  worker = e2e.startWorker('w-up');
  await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
});
afterAll(async () => {
  await e2e?.stop();
});

describe('upscale through the API', () => {
  it('lists which tasks each model serves', async () => {
    const res = await fetch(`${e2e.baseUrl}/v1/models`);
    const { data } = (await res.json()) as { data: { name: string; tasks: string[] }[] };
    const tasks = Object.fromEntries(data.map((m) => [m.name, m.tasks]));
    expect(tasks[UPSCALER]).toEqual(['upscale']);
    expect(tasks[MODEL]).not.toContain('upscale');
  });

  it('runs task upscale on the default upscaler: 4x output, usage by output pixels', async () => {
    const res = await post({
      task: 'upscale',
      image: await dataUrl(24, 16),
      seed: 3,
      steps: 2,
      noise_level: 30,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { id: string; model: string; usage: { units: number } };
    expect(created.model).toBe(UPSCALER);
    // demo-upscaler: 1 per image + 10 per megapixel-step of the 96x64 output, 2 steps.
    expect(created.usage.units).toBeCloseTo(1 + 10 * ((96 * 64) / 1e6) * 2, 6);
    const done = await e2e.waitFor(created.id, (g) => g.status === 'succeeded' || g.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.input).toMatchObject({ task: 'upscale', noise_level: 30, width: 96, height: 64 });
    const png = Buffer.from(await (await e2e.download(done.outputs[0].url)).arrayBuffer());
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([96, 64]);
    expect(done.outputs[0]).toMatchObject({ width: 96, height: 64, seed: 3 });
  });

  it('txt2img with "upscale": 4 is one job, one generation, one bill, 4x outputs', async () => {
    const base = { prompt: 'a red circle', width: 64, height: 64, steps: 2, num_outputs: 2 };
    const res = await post({ ...base, model: MODEL, upscale: 4, seed: 11 });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { id: string; usage: { units: number } };
    // demo-shapes at 64x64 x 2 steps, then demo-upscaler at 256x256 x its 3 default steps, per image.
    const units = 2 * (1 + 10 * ((64 * 64) / 1e6) * 2) + 2 * (1 + 10 * ((256 * 256) / 1e6) * 3);
    expect(created.usage.units).toBeCloseTo(units, 5);
    const done = await e2e.waitFor(created.id, (g) => g.status === 'succeeded' || g.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.outputs.map((o) => [o.width, o.height, o.seed])).toEqual([
      [256, 256, 11],
      [256, 256, 12],
    ]);
    const meta = await sharp(
      Buffer.from(await (await e2e.download(done.outputs[1].url)).arrayBuffer()),
    ).metadata();
    expect([meta.width, meta.height]).toEqual([256, 256]);
    const batches = worker.logs.filter(
      (l) => l.msg === 'batch started' && (l.batch as string[]).includes(created.id),
    );
    expect(batches).toHaveLength(1);
  });

  it('refuses a task the model cannot serve, naming the models that can (422)', async () => {
    const res = await post({ model: MODEL, task: 'upscale', image: await dataUrl(16, 16) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as {
      error: { details: { field: string; message: string; limit: unknown }[] };
    };
    const task = body.error.details.find((d) => d.field === 'task');
    expect(task?.message).toMatch(/Models that serve upscale: demo-upscaler/);
    expect(task?.limit).toBe(UPSCALER);
  });

  it('refuses an input beyond the upscaler limit and fields that do not apply (422)', async () => {
    const big = await post({ task: 'upscale', image: await dataUrl(520, 512) });
    expect(big.status).toBe(422);
    const detail = ((await big.json()) as { error: { details: { field: string; limit: unknown }[] } }).error
      .details;
    expect(detail).toContainEqual(expect.objectContaining({ field: 'image', limit: 512 * 512 }));
    const sized = await post({ task: 'upscale', image: await dataUrl(16, 16), width: 64 });
    expect(sized.status).toBe(422);
    const noise = await post({ task: 'upscale', image: await dataUrl(16, 16), noise_level: 351 });
    expect(noise.status).toBe(422);
    const wrongTask = await post({
      model: MODEL,
      task: 'img2img',
      image: await dataUrl(64, 64),
      upscale: 4,
      prompt: 'x',
    });
    expect(wrongTask.status).toBe(422);
  });
});
