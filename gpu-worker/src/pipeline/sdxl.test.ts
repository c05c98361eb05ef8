import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { writeTinySdxlModel } from '../../test-fixtures/tiny-sdxl';
import { type LatentDiffusionPipeline, loadPipeline, resolveAndGenerate } from '../index';
import { ModelFolderError } from '../model/model-folder-error';
import { PipelineInputError } from './pipeline-input-error';

let dir: string;
let base: LatentDiffusionPipeline;
let refiner: LatentDiffusionPipeline;
let lcm: LatentDiffusionPipeline;
let sd: LatentDiffusionPipeline;
const logs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-sdxl-'));
  base = await loadPipeline(await writeTinySdxlModel(join(dir, 'base')), {
    log: (message) => logs.push(message),
  });
  refiner = await loadPipeline(await writeTinySdxlModel(join(dir, 'refiner'), { refiner: true }));
  lcm = await loadPipeline(await writeTinySdxlModel(join(dir, 'lcm'), { timestepCond: 8 }));
  sd = await loadPipeline(await writeTinyModel(join(dir, 'sd')));
});

afterAll(async () => {
  await Promise.all([base, refiner, lcm, sd].map((p) => p?.release()));
  await rm(dir, { recursive: true, force: true });
});

async function png(width: number, height: number, rgb: [number, number, number]): Promise<Uint8Array> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const latentsOf = async (pipeline: LatentDiffusionPipeline, fields: Record<string, unknown>) =>
  (
    await resolveAndGenerate(
      pipeline,
      { prompt: 'a red circle', seed: 3, steps: 3, ...fields },
      { keepLatents: true },
    )
  ).images[0].latents as Float32Array;

describe('SDXL layout', () => {
  it('is detected from the UNet inputs: scheduler, VAE scaling factor, both text encoders', () => {
    expect(base.info.vaeScalingFactor).toBe(0.13025);
    expect(base.info.defaultScheduler).toBe('euler');
    expect(base.info.tasks).toEqual(['txt2img', 'img2img', 'inpaint']);
    // Both fixture encoders have 2 layers: hidden_states[-(k + 2)] exists for k <= 1.
    expect(base.info.clipSkipMax).toBe(1);
    // diffusers' SDXL default guidance_scale and native size (unet sample_size x VAE factor).
    expect([base.requestDefaults.default_guidance_scale, sd.requestDefaults.default_guidance_scale]).toEqual([
      5,
      undefined,
    ]);
    expect([base.info.family, refiner.info.family, sd.info.family]).toEqual(['sdxl', 'sdxl-refiner', 'sd']);
  });

  it('an SDXL UNet without text_encoder_2 is a ModelFolderError naming it', async () => {
    const broken = await writeTinySdxlModel(join(dir, 'broken'));
    await rm(join(broken, 'text_encoder_2'), { recursive: true });
    const error = await loadPipeline(broken).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect((error as ModelFolderError).file).toBe('text_encoder_2/model.onnx');
  });

  it('warns when a float16 VAE asks for force_upcast (diffusers decodes it in float32)', async () => {
    const messages: string[] = [];
    const fp16 = await loadPipeline(await writeTinySdxlModel(join(dir, 'fp16'), { fp16: true }), {
      log: (message) => messages.push(message),
    });
    await fp16.release();
    expect(messages.some((m) => m.includes('force_upcast'))).toBe(true);
    expect(logs.some((m) => m.includes('force_upcast'))).toBe(false);
  });
});

describe('SDXL generation', () => {
  it('runs the UNet on [uncond, cond] with guidance, once per image at guidance <= 1 (Turbo at 0)', async () => {
    const guided = await resolveAndGenerate(base, {
      prompt: 'a red circle',
      seed: 1,
      steps: 2,
      guidance_scale: 5,
    });
    expect(guided.timings.unetBatchSize).toBe(2);
    const turbo = await resolveAndGenerate(base, {
      prompt: 'a red circle',
      seed: 1,
      steps: 1,
      guidance_scale: 0,
    });
    expect(turbo.timings.unetBatchSize).toBe(1);
    expect(turbo.images[0].rgb.length).toBe(64 * 64 * 3);
  });

  it('CFG as one UNet batch of 2 equals two runs of 1 (added inputs sliced per run)', async () => {
    const request = await base.resolve({ prompt: 'a red circle', seed: 9, steps: 2, guidance_scale: 5 });
    const together = await base.generate(request, { keepLatents: true });
    const apart = await base.generate(request, { keepLatents: true, unetBatchLimit: 1 });
    expect(apart.timings.unetRuns).toBe(2 * together.timings.unetRuns);
    const a = together.images[0].latents as Float32Array;
    const b = apart.images[0].latents as Float32Array;
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
  });

  it('the default micro-conditioning is the output size; other values change the image', async () => {
    const plain = await latentsOf(base, {});
    const explicit = await latentsOf(base, {
      original_size: [64, 64],
      crops_coords_top_left: [0, 0],
      target_size: [64, 64],
    });
    expect(Buffer.compare(Buffer.from(plain.buffer), Buffer.from(explicit.buffer))).toBe(0);
    for (const change of [
      { original_size: [1024, 1024] },
      { crops_coords_top_left: [0, 256] },
      { target_size: [32, 64] },
      { negative_original_size: [512, 512], negative_target_size: [512, 512] },
    ]) {
      const changed = await latentsOf(base, change);
      expect(
        Buffer.compare(Buffer.from(plain.buffer), Buffer.from(changed.buffer)),
        JSON.stringify(change),
      ).not.toBe(0);
    }
    // As StableDiffusionXLPipeline: one negative size alone leaves the unconditional row as it is.
    const alone = await latentsOf(base, { negative_original_size: [512, 512] });
    expect(Buffer.compare(Buffer.from(plain.buffer), Buffer.from(alone.buffer))).toBe(0);
  });

  it('force_zeros_for_empty_prompt: without a negative prompt the unconditional row is zeros, not the encoding of ""', async () => {
    const encodesEmpty = await loadPipeline(
      await writeTinySdxlModel(join(dir, 'no-zeros'), { forceZeros: false }),
    );
    try {
      const zeros = await latentsOf(base, { guidance_scale: 5 });
      const empty = await latentsOf(encodesEmpty, { guidance_scale: 5 });
      expect(Buffer.compare(Buffer.from(zeros.buffer), Buffer.from(empty.buffer))).not.toBe(0);
      // Same weights otherwise: without guidance the unconditional row is never run.
      const a = await latentsOf(base, { guidance_scale: 1 });
      const b = await latentsOf(encodesEmpty, { guidance_scale: 1 });
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
      // A negative prompt given is encoded by both.
      const c = await latentsOf(base, { guidance_scale: 5, negative_prompt: 'blurry' });
      const d = await latentsOf(encodesEmpty, { guidance_scale: 5, negative_prompt: 'blurry' });
      expect(Buffer.compare(Buffer.from(c.buffer), Buffer.from(d.buffer))).toBe(0);
    } finally {
      await encodesEmpty.release();
    }
  });

  it('LCM UNets take the guidance as timestep_cond and run once per step (no CFG batch)', async () => {
    const request = { prompt: 'a red circle', seed: 1, steps: 2, scheduler: 'lcm', guidance_scale: 8 };
    const a = await resolveAndGenerate(lcm, request, { keepLatents: true });
    expect(a.timings.unetBatchSize).toBe(1);
    const b = await resolveAndGenerate(lcm, { ...request, guidance_scale: 2 }, { keepLatents: true });
    const la = a.images[0].latents as Float32Array;
    const lb = b.images[0].latents as Float32Array;
    expect(Buffer.compare(Buffer.from(la.buffer), Buffer.from(lb.buffer))).not.toBe(0);
  });

  it('batches requests with different micro-conditioning: each gives the image it gives alone', async () => {
    const one = { prompt: 'a red circle', seed: 5, steps: 2, guidance_scale: 5, scheduler: 'ddim' } as const;
    const two = { ...one, prompt: 'a blue square', original_size: [512, 256] as [number, number] };
    const [a, b] = await base.generateBatch([await base.resolve(one), await base.resolve(two)]);
    const aloneA = await resolveAndGenerate(base, one);
    const aloneB = await resolveAndGenerate(base, two);
    expect(Buffer.compare(a.images[0].rgb, aloneA.images[0].rgb)).toBe(0);
    expect(Buffer.compare(b.images[0].rgb, aloneB.images[0].rgb)).toBe(0);
  });

  it('img2img and inpaint on SDXL exports', async () => {
    const image = await png(64, 64, [200, 40, 40]);
    const mask = await png(64, 64, [255, 255, 255]);
    const img2img = await resolveAndGenerate(base, {
      prompt: 'a cat',
      image,
      seed: 2,
      steps: 4,
      strength: 0.5,
    });
    expect(img2img.request.task).toBe('img2img');
    expect(img2img.timings.unetStepMs).toHaveLength(2);
    const inpaint = await resolveAndGenerate(base, { prompt: 'a cat', image, mask, seed: 2, steps: 3 });
    expect(inpaint.request.task).toBe('inpaint');
    expect(inpaint.images[0].width).toBe(64);
  });

  it('refiners take aesthetic_score (time_ids of five values); base models refuse it', async () => {
    const image = await png(64, 64, [40, 200, 40]);
    const request = { prompt: 'a cat', image, seed: 2, steps: 4, strength: 0.5, guidance_scale: 5 };
    const plain = await resolveAndGenerate(refiner, request, { keepLatents: true });
    const scored = await resolveAndGenerate(
      refiner,
      { ...request, aesthetic_score: 9 },
      { keepLatents: true },
    );
    const lp = plain.images[0].latents as Float32Array;
    const ls = scored.images[0].latents as Float32Array;
    expect(Buffer.compare(Buffer.from(lp.buffer), Buffer.from(ls.buffer))).not.toBe(0);
    const refused = await resolveAndGenerate(base, {
      prompt: 'a cat',
      seed: 1,
      steps: 1,
      aesthetic_score: 9,
    }).catch((e) => e);
    expect(refused).toBeInstanceOf(PipelineInputError);
    expect((refused as PipelineInputError).field).toBe('aesthetic_score');
  });

  it('SD 1.x/2.x models refuse the SDXL fields, naming them', async () => {
    const error = await resolveAndGenerate(sd, {
      prompt: 'a cat',
      seed: 1,
      steps: 1,
      original_size: [512, 512],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect((error as PipelineInputError).field).toBe('original_size');
  });
});
