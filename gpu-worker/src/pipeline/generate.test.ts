import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { encodeImage } from '../image/encode-output';
import { SCHEDULER_NAMES, SchedulerConfigError } from '../schedulers';
import { type LatentDiffusionPipeline, loadPipeline } from './pipeline';
import { PipelineInputError } from './pipeline-input-error';
import type { StandaloneRequest } from './request';
import { resolveAndGenerate, resolveAndGenerateBatch } from './standalone';

let root: string;
let pipeline: LatentDiffusionPipeline;
let inpainting: LatentDiffusionPipeline;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-generate-'));
  pipeline = await loadPipeline(
    await writeTinyModel(join(root, 'sd'), { vaeEncoderOutput: 'latent_parameters' }),
  );
  inpainting = await loadPipeline(await writeTinyModel(join(root, 'inpaint'), { unetChannels: 9 }));
});

afterAll(async () => {
  await pipeline?.release();
  await inpainting?.release();
  await rm(root, { recursive: true, force: true });
});

const bytes = (a: Float32Array | Uint8Array | undefined) =>
  Buffer.from(a?.buffer ?? new ArrayBuffer(0), a?.byteOffset, a?.byteLength);

async function pngOf(
  width: number,
  height: number,
  pixel: (x: number, y: number) => number[],
): Promise<Buffer> {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(pixel(x, y), (y * width + x) * 3);
  return encodeImage(rgb, width, height, { format: 'png' });
}

describe('seeds', () => {
  it.each(['ddim', 'euler_ancestral'])(
    '%s: image i of a request is the image of seed + i alone, wherever it sits in the batch',
    async (scheduler) => {
      const request = { prompt: 'a cat', seed: 10, steps: 3, scheduler };
      const batch = await resolveAndGenerate(pipeline, { ...request, num_outputs: 3 }, { keepLatents: true });
      const alone = await resolveAndGenerate(pipeline, { ...request, seed: 12 }, { keepLatents: true });
      expect(batch.images[2].seed).toBe(12);
      expect(bytes(batch.images[2].latents).equals(bytes(alone.images[0].latents))).toBe(true);
      expect(bytes(batch.images[2].rgb).equals(bytes(alone.images[0].rgb))).toBe(true);
      expect(bytes(batch.images[0].latents).equals(bytes(batch.images[1].latents))).toBe(false);
    },
  );

  it.each(['xoshiro128', 'torch'] as const)(
    'rng %s: batch invariance holds with an SDE sampler and an img2img posterior',
    async (rng) => {
      const image = await pngOf(64, 64, (x, y) => [x * 4, y * 4, 60]);
      const request = {
        prompt: 'a cat',
        seed: 20,
        steps: 3,
        scheduler: 'dpmpp_2m_sde',
        rng,
        image,
        strength: 0.7,
      };
      const batch = await resolveAndGenerate(pipeline, { ...request, num_outputs: 2 }, { keepLatents: true });
      const alone = await resolveAndGenerate(pipeline, { ...request, seed: 21 }, { keepLatents: true });
      expect(bytes(batch.images[1].latents).equals(bytes(alone.images[0].latents))).toBe(true);
      expect(batch.request.rng).toBe(rng);
    },
  );

  it('the rng and Karras sigmas change the image; the default rng is torch', async () => {
    const base = { prompt: 'a cat', seed: 10, steps: 4, scheduler: 'euler' };
    const latents = async (extra: Partial<StandaloneRequest>) =>
      bytes(
        (await resolveAndGenerate(pipeline, { ...base, ...extra }, { keepLatents: true })).images[0].latents,
      );
    const torch = await latents({});
    expect(torch.equals(await latents({ rng: 'torch' }))).toBe(true);
    expect(torch.equals(await latents({ rng: 'xoshiro128' }))).toBe(false);
    expect(torch.equals(await latents({ use_karras_sigmas: true }))).toBe(false);
  });

  it('same seed, same latent bytes; a batch of requests equals the requests run alone', async () => {
    const a: StandaloneRequest = {
      prompt: 'a dog',
      negative_prompt: 'cat',
      seed: 1,
      steps: 3,
      scheduler: 'euler',
    };
    const b: StandaloneRequest = { ...a, prompt: 'a house', seed: 2, guidance_scale: 3, num_outputs: 2 };
    const [batchA, batchB] = await resolveAndGenerateBatch(pipeline, [a, b], { keepLatents: true });
    const aloneA = await resolveAndGenerate(pipeline, a, { keepLatents: true });
    const aloneB = await resolveAndGenerate(pipeline, b, { keepLatents: true });
    expect(bytes(batchA.images[0].latents).equals(bytes(aloneA.images[0].latents))).toBe(true);
    expect(bytes(batchB.images[1].latents).equals(bytes(aloneB.images[1].latents))).toBe(true);
    expect(batchA.timings.unetStepMs).toHaveLength(3);
  });

  it('refuses to batch requests whose schedules differ', async () => {
    const a = { prompt: 'x', seed: 1, steps: 3, scheduler: 'ddim' };
    await expect(resolveAndGenerateBatch(pipeline, [a, { ...a, steps: 4 }])).rejects.toThrow(
      /requests\.1: cannot share a batch/,
    );
    // Karras sigmas are another schedule; another rng is not (each image has its own stream).
    const e = { ...a, scheduler: 'euler' };
    await expect(resolveAndGenerateBatch(pipeline, [e, { ...e, use_karras_sigmas: true }])).rejects.toThrow(
      /requests\.1: cannot share a batch/,
    );
    const [x, y] = await resolveAndGenerateBatch(pipeline, [e, { ...e, rng: 'xoshiro128' }], {
      keepLatents: true,
    });
    const aloneY = await resolveAndGenerate(pipeline, { ...e, rng: 'xoshiro128' }, { keepLatents: true });
    expect(bytes(y.images[0].latents).equals(bytes(aloneY.images[0].latents))).toBe(true);
    expect(bytes(x.images[0].latents).equals(bytes(y.images[0].latents))).toBe(false);
  });
});

describe('classifier-free guidance', () => {
  const base = { prompt: 'a cat', seed: 5, steps: 3, scheduler: 'ddim' };

  it('uses the negative prompt when guidance > 1', async () => {
    const one = await resolveAndGenerate(pipeline, { ...base, negative_prompt: 'dog' });
    const two = await resolveAndGenerate(pipeline, { ...base, negative_prompt: 'bird' });
    expect(bytes(one.images[0].rgb).equals(bytes(two.images[0].rgb))).toBe(false);
  });

  it.each([1, 0.5, 0])('skips the unconditional half at guidance %s', async (guidance_scale) => {
    const one = await resolveAndGenerate(pipeline, { ...base, guidance_scale, negative_prompt: 'dog' });
    const two = await resolveAndGenerate(pipeline, { ...base, guidance_scale, negative_prompt: 'bird' });
    expect(bytes(one.images[0].rgb).equals(bytes(two.images[0].rgb))).toBe(true);
    expect(one.timings.unetBatchSize).toBe(1);
    expect(one.timings.unetRuns).toBe(3);
  });

  it('runs conditional and unconditional as one batch of 2, equal to two separate runs', async () => {
    const batched = await resolveAndGenerate(pipeline, { ...base, prompt: 'batched' }, { keepLatents: true });
    const separate = await resolveAndGenerate(
      pipeline,
      { ...base, prompt: 'batched' },
      { keepLatents: true, unetBatchLimit: 1 },
    );
    expect(bytes(batched.images[0].latents).equals(bytes(separate.images[0].latents))).toBe(true);
    expect([batched.timings.unetBatchSize, batched.timings.unetRuns]).toEqual([2, 3]);
    expect([separate.timings.unetBatchSize, separate.timings.unetRuns]).toEqual([2, 6]);
  });
});

describe('tasks', () => {
  it('img2img without a size runs at the input image size rounded down to a multiple of 8 (diffusers)', async () => {
    const image = await pngOf(101, 77, () => [120, 120, 120]);
    const request = await pipeline.resolve({ prompt: 'x', image, seed: 1, steps: 2 });
    expect(request).toMatchObject({
      task: 'img2img',
      width: 96,
      height: 72,
      strength: 0.8,
      guidance_scale: 7.5,
    });
    const result = await pipeline.generate(request);
    expect([result.images[0].width, result.images[0].height]).toEqual([96, 72]);
    // An export has no catalog entry: steps default to diffusers' 50.
    expect((await pipeline.resolve({ prompt: 'x' })).steps).toBe(50);
  });

  it('generates sizes larger than native and non-square', async () => {
    const result = await resolveAndGenerate(pipeline, {
      prompt: 'wide',
      seed: 1,
      steps: 2,
      width: 128,
      height: 72,
    });
    expect([result.images[0].width, result.images[0].height]).toEqual([128, 72]);
    expect(result.images[0].rgb.length).toBe(128 * 72 * 3);
  });

  it('img2img: lower strength starts later in the schedule and stays nearer the image', async () => {
    const image = await pngOf(64, 64, (x) => (x < 32 ? [250, 20, 20] : [20, 20, 250]));
    const run = (strength: number) =>
      resolveAndGenerate(
        pipeline,
        { prompt: 'x', image, strength, seed: 3, steps: 10, scheduler: 'ddim' },
        { keepLatents: true },
      );
    const low = await run(0.2);
    const high = await run(0.9);
    expect(low.request.task).toBe('img2img');
    expect(low.timings.unetStepMs).toHaveLength(2);
    expect(high.timings.unetStepMs).toHaveLength(9);
    expect(low.timings.vaeEncodeMs).toBeGreaterThan(0);
  });

  it('inpaint with a 4-channel UNet keeps the unmasked latents of the image', async () => {
    const image = await pngOf(64, 64, (x, y) => [x * 4, y * 4, 128]);
    const mask = await pngOf(64, 64, (x) => (x < 32 ? [0, 0, 0] : [255, 255, 255]));
    // Same seed (same sampled image latents), different prompts: only the masked part may differ.
    const run = (prompt: string) =>
      resolveAndGenerate(
        pipeline,
        { prompt, image, mask, seed: 1, steps: 4, scheduler: 'ddim' },
        { keepLatents: true },
      );
    const [a, b] = [await run('a red ball'), await run('a green cube')];
    const la = a.images[0].latents as Float32Array;
    const lb = b.images[0].latents as Float32Array;
    // Latents are 4 x 8 x 8; columns 0-3 are kept (mask black), 4-7 repainted.
    let keptSame = true;
    let paintedSame = true;
    for (let c = 0; c < 4; c++) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const i = c * 64 + y * 8 + x;
          if (x < 4) keptSame &&= la[i] === lb[i];
          else paintedSame &&= la[i] === lb[i];
        }
      }
    }
    expect(keptSame).toBe(true);
    expect(paintedSame).toBe(false);
  });

  it('inpaint leaves the pixels the mask keeps exactly as they were', async () => {
    const colour = (x: number, y: number) => [x * 4, y * 4, 128];
    const image = await pngOf(64, 64, colour);
    const mask = await pngOf(64, 64, (x) => (x < 32 ? [0, 0, 0] : [255, 255, 255]));
    const result = await resolveAndGenerate(pipeline, {
      prompt: 'x',
      image,
      mask,
      seed: 2,
      steps: 3,
      scheduler: 'ddim',
    });
    const rgb = result.images[0].rgb;
    let kept = 0;
    let repainted = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const same = colour(x, y).every((v, c) => rgb[(y * 64 + x) * 3 + c] === v);
        if (x < 32) kept += same ? 1 : 0;
        else repainted += same ? 0 : 1;
      }
    }
    expect(kept).toBe(32 * 64);
    expect(repainted).toBeGreaterThan(0);
  });

  it('inpaint with a 9-channel UNet feeds mask and masked image', async () => {
    expect(inpainting.info.tasks).toEqual(['inpaint']);
    const image = await pngOf(64, 64, (x, y) => [x * 4, y * 4, 128]);
    const left = await pngOf(64, 64, (x) => (x < 32 ? [255, 255, 255] : [0, 0, 0]));
    const right = await pngOf(64, 64, (x) => (x < 32 ? [0, 0, 0] : [255, 255, 255]));
    const run = (mask: Buffer) =>
      resolveAndGenerate(inpainting, {
        prompt: 'x',
        image,
        mask,
        seed: 1,
        steps: 3,
        strength: 1,
        scheduler: 'ddim',
      });
    const [a, b, again] = [await run(left), await run(right), await run(left)];
    expect(bytes(a.images[0].rgb).equals(bytes(again.images[0].rgb))).toBe(true);
    expect(bytes(a.images[0].rgb).equals(bytes(b.images[0].rgb))).toBe(false);
  });
});

describe("the export's own scheduler", () => {
  it('an equivalent class is the default scheduler', () => {
    expect(pipeline.info).toMatchObject({
      schedulerClass: 'PNDMScheduler',
      schedulerClassSupported: true,
      defaultScheduler: 'pndm',
    });
  });

  it('a class with no equivalent is logged and reported, not silently replaced', async () => {
    const dir = join(root, 'ddpm');
    await cp(join(root, 'sd'), dir, { recursive: true });
    const file = join(dir, 'scheduler', 'scheduler_config.json');
    const config = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...config, _class_name: 'DDPMScheduler' }));
    const logged: [string, string][] = [];
    const ddpm = await loadPipeline(dir, { log: (message, level) => logged.push([message, level]) });
    await ddpm.release();
    expect(ddpm.info).toMatchObject({
      schedulerClass: 'DDPMScheduler',
      schedulerClassSupported: false,
      defaultScheduler: 'ddim',
    });
    expect(logged).toContainEqual([
      'scheduler/scheduler_config.json: DDPMScheduler is not implemented; requests without a scheduler use ddim',
      'warn',
    ]);
  });
});

describe('every scheduler through every task', () => {
  it.each(SCHEDULER_NAMES)('%s', async (scheduler) => {
    const image = await pngOf(64, 64, (x, y) => [x * 4, y * 4, 90]);
    const mask = await pngOf(64, 64, (x) => (x < 32 ? [0, 0, 0] : [255, 255, 255]));
    for (const extra of [{}, { image, strength: 0.6 }, { image, mask, strength: 0.75 }]) {
      const result = await resolveAndGenerate(pipeline, {
        prompt: 'x',
        seed: 4,
        steps: 6,
        scheduler,
        num_outputs: 2,
        ...extra,
      });
      const [a, b] = result.images;
      expect(a.rgb.length).toBe(64 * 64 * 3);
      expect(result.timings.unetStepMs.length).toBeGreaterThan(0);
      expect(bytes(a.rgb).equals(bytes(b.rgb))).toBe(false);
    }
  });
});

describe('request validation names the field and its limit', () => {
  it.each<[StandaloneRequest, string, RegExp]>([
    [{ prompt: 'x', width: 60 }, 'width', /multiple of 8/],
    [{ prompt: 'x', height: 4096 }, 'height', /at most 2048/],
    [{ prompt: 'x', steps: 0 }, 'steps', /at least 1/],
    [{ prompt: 'x', steps: 2.5 }, 'steps', /integer/],
    [{ prompt: 'x', num_outputs: 5 }, 'num_outputs', /at most 4/],
    [{ prompt: 'x', guidance_scale: 31 }, 'guidance_scale', /between 0 and 30/],
    [{ prompt: 'x', seed: -1 }, 'seed', /at least 0/],
    [{ prompt: 'x', task: 'img2img' }, 'image', /required for task img2img/],
    [{ prompt: 'x', task: 'upscale' }, 'task', /not supported/],
    [{ prompt: 'x', task: 'txt2img', mask: new Uint8Array(1) }, 'mask', /only accepted for task inpaint/],
    [{ prompt: 'x', task: 'img2img', image: new Uint8Array(1), strength: 0 }, 'strength', /\(0, 1\]/],
    [{ prompt: 'x', rng: 'philox' as 'torch' }, 'rng', /one of torch, xoshiro128/],
    [{ prompt: 'x', scheduler: 'ddim', use_karras_sigmas: true }, 'use_karras_sigmas', /ddim has no Karras/],
  ])('%j -> %s', async (request, field, message) => {
    const error = await resolveAndGenerate(pipeline, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect((error as PipelineInputError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it('more pixels than the pipeline allows', async () => {
    const small = await loadPipeline(join(root, 'sd'), { maxPixels: 64 * 96 });
    const error = await resolveAndGenerate(small, { prompt: 'x', width: 96, height: 96 }).catch(
      (e: unknown) => e,
    );
    await small.release();
    expect((error as PipelineInputError).field).toBe('width');
    expect((error as PipelineInputError).limit).toBe(64 * 96);
  });

  it('an unknown scheduler', async () => {
    const error = await resolveAndGenerate(pipeline, { prompt: 'x', scheduler: 'dpm_adaptive' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchedulerConfigError);
    expect((error as SchedulerConfigError).field).toBe('scheduler');
  });

  it('a bad input image', async () => {
    const error = await resolveAndGenerate(pipeline, {
      prompt: 'x',
      image: Buffer.from('not an image'),
      steps: 2,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect((error as PipelineInputError).field).toBe('image');
  });

  it('txt2img on an inpainting-only model', async () => {
    const error = await resolveAndGenerate(inpainting, { prompt: 'x' }).catch((e: unknown) => e);
    expect((error as PipelineInputError).field).toBe('task');
  });
});
