import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinySdxlModel } from '@ldm/gpu-worker/test-fixtures/tiny-sdxl';
import type { ModelInfo } from '@ldm/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, startE2eStack } from './support/e2e-stack';
import type { WorkerProcess } from './support/worker-process';

// An SDXL-layout export (the pipeline's tiny fixture) added to the catalog through MODELS_JSON and
// served by a real worker process: the micro-conditioning fields travel from the API to the UNet.
const SDXL: ModelInfo = {
  name: 'tiny-sdxl',
  version: 'tiny-sdxl-v1',
  description: 'Tiny SDXL-layout fixture (two text encoders, text_embeds and time_ids).',
  tasks: ['txt2img', 'img2img', 'inpaint'],
  native_width: 64,
  native_height: 64,
  min_size: 64,
  max_size: 128,
  max_pixels: 128 * 128,
  default_steps: 4,
  max_steps: 50,
  default_guidance_scale: 5,
  default_scheduler: 'euler',
  schedulers: ['euler', 'ddim'],
  clip_skip_max: 1,
  sdxl: 'base',
  price: { per_image: 1, per_megapixel_step: 10, cache_hit: 0 },
};

const REFINER: ModelInfo = {
  ...SDXL,
  name: 'tiny-sdxl-refiner',
  version: 'tiny-sdxl-refiner-v1',
  description: 'Tiny SDXL refiner fixture (aesthetic-score time_ids).',
  sdxl: 'refiner',
};

let e2e: E2eStack;
let worker: WorkerProcess;
let modelsDir: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'ldm-e2e-sdxl-'));
  await writeTinySdxlModel(join(modelsDir, SDXL.name));
  await writeTinySdxlModel(join(modelsDir, REFINER.name), { refiner: true });
  e2e = await startE2eStack({
    vars: { LEASE_TTL_MS: '10000', MODELS_JSON: JSON.stringify([SDXL, REFINER]) },
  });
  worker = e2e.startWorker('w-sdxl', {
    extraModelDirs: {
      [SDXL.name]: join(modelsDir, SDXL.name),
      [REFINER.name]: join(modelsDir, REFINER.name),
    },
  });
  await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
});

describe('SDXL worker', () => {
  it('logs each model family and its memory plan (weights per network, text_encoder_2 included)', async () => {
    const ready = (name: string) => worker.waitForLog((l) => l.msg === 'model ready' && l.model === name);
    const base = await ready(SDXL.name);
    expect(base.family).toBe('sdxl');
    expect(Object.keys(base.weights_mib as object)).toContain('text_encoder_2');
    expect((await ready(REFINER.name)).family).toBe('sdxl-refiner');
    const ops = await worker.opsUrl();
    const listed = (
      (await (await fetch(`${ops}/models`)).json()) as {
        data: { name: string; family: string; weights?: { total_bytes: number } }[];
      }
    ).data;
    const entry = listed.find((m) => m.name === SDXL.name);
    expect(entry?.family).toBe('sdxl');
    expect(entry?.weights?.total_bytes).toBeGreaterThan(0);
  });
});

afterAll(async () => {
  await e2e?.stop();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('SDXL end to end', () => {
  it('generates with micro-conditioning; the fields change the image and are part of the job', async () => {
    const base = { model: SDXL.name, prompt: 'a red circle', seed: 11, steps: 3, scheduler: 'ddim' } as const;
    const plain = await e2e.submit(base);
    const conditioned = await e2e.submit({
      ...base,
      original_size: [1024, 1024],
      crops_coords_top_left: [0, 128],
    });
    const images: Buffer[] = [];
    for (const job of [plain, conditioned]) {
      const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded' || g.status === 'failed');
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      const res = await e2e.download(done.outputs[0].url);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
      images.push(await sharp(bytes).raw().toBuffer());
    }
    const record = await e2e.get(conditioned.id);
    expect(record.input.original_size).toEqual([1024, 1024]);
    expect(record.input.crops_coords_top_left).toEqual([0, 128]);
    expect(Buffer.compare(images[0], images[1])).not.toBe(0);
  });

  it('runs a base + refiner job on one worker; the refiner changes the image', async () => {
    const base = {
      model: SDXL.name,
      prompt: 'a blue square',
      seed: 12,
      steps: 5,
      scheduler: 'euler',
    } as const;
    const plain = await e2e.submit(base);
    const refined = await e2e.submit({ ...base, refiner: REFINER.name, aesthetic_score: 8 });
    const images: Buffer[] = [];
    for (const job of [plain, refined]) {
      const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded' || g.status === 'failed');
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      const res = await e2e.download(done.outputs[0].url);
      images.push(
        await sharp(Buffer.from(await res.arrayBuffer()))
          .raw()
          .toBuffer(),
      );
    }
    const record = await e2e.get(refined.id);
    expect([record.input.refiner, record.input.denoising_end]).toEqual([REFINER.name, 0.8]);
    expect(Buffer.compare(images[0], images[1])).not.toBe(0);
  });

  it('refuses SDXL fields the model does not take, naming them', async () => {
    const res = await fetch(`${e2e.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: { ...e2e.account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: SDXL.name, prompt: 'a cat', aesthetic_score: 7 }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { details: { field: string }[] } };
    expect(body.error.details.map((d) => d.field)).toContain('aesthetic_score');
  });
});
