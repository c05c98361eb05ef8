import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel as writeTinySdModel } from '../../test-fixtures/tiny-sd-folder';
import {
  UNET_IMAGE_WEIGHT,
  UNET_LATENT_WEIGHT,
  UNET_LEVEL_WEIGHT,
  UNET_TEXT_WEIGHT,
  writeTinyUpscaler,
} from '../../test-fixtures/tiny-upscaler-folder';
import { ModelFolderError } from '../model/model-folder-error';
import { RunClock } from '../model/run-clock';
import { noiseStream } from '../pipeline/noise-stream';
import { GenerationCanceledError, PipelineInputError } from '../pipeline/pipeline-input-error';
import { loadUpscaleModel } from './load-upscale-model';
import { lowResSchedule, noiseLowRes } from './low-res-noise';
import { isUpscaleExport } from './upscale-layout';
import { loadUpscalePipeline, type UpscalePipeline } from './upscale-pipeline';

let dir: string;
let pipeline: UpscalePipeline;

async function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]) {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), 3 * (y * width + x));
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-upscale-'));
  pipeline = await loadUpscalePipeline(await writeTinyUpscaler(join(dir, 'x4'), { scalingFactor: 0.5 }));
});

afterAll(async () => {
  await pipeline?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('low_res_scheduler noise', () => {
  it('is DDPM add_noise at noise_level with the x4 schedule (figures from torch 1.13)', () => {
    const schedule = lowResSchedule({ beta_schedule: 'scaled_linear', beta_start: 0.0001, beta_end: 0.02 });
    // torch.cumprod(1 - torch.linspace(0.0001**0.5, 0.02**0.5, 1000)**2, 0)[20] and [350]
    expect(schedule.alphasCumprod[20]).toBeCloseTo(0.9973012804985046, 7);
    expect(schedule.alphasCumprod[350]).toBeCloseTo(0.640484094619751, 6);
    const out = noiseLowRes(schedule, Float32Array.of(0.5, -1), Float32Array.of(1, 2), 20);
    // sqrt(ac[20]) * [0.5, -1] + sqrt(1 - ac[20]) * [1, 2], from torch
    expect(out[0]).toBeCloseTo(0.5512740612030029, 6);
    expect(out[1]).toBeCloseTo(-0.8947513103485107, 6);
    // noise level 0 keeps the image almost as is (beta_0 = 1e-4)
    expect(noiseLowRes(schedule, Float32Array.of(1), Float32Array.of(0), 0)[0]).toBeCloseTo(
      Math.sqrt(1 - 1e-4),
      7,
    );
  });
});

describe('layout detection', () => {
  it('reads model_index.json: the upscaler folder yes, a text-to-image folder no', async () => {
    expect(await isUpscaleExport(join(dir, 'x4'))).toBe(true);
    const sd = await writeTinySdModel(join(dir, 'sd'));
    expect(await isUpscaleExport(sd)).toBe(false);
  });

  it('refuses an upscaler folder whose UNet lacks class_labels, naming the file', async () => {
    const sd = join(dir, 'sd');
    // a text-to-image UNet in an upscaler folder: no class_labels input
    const bad = await writeTinyUpscaler(join(dir, 'bad'));
    await rm(join(bad, 'unet'), { recursive: true });
    await import('node:fs/promises').then((fs) =>
      fs.cp(join(sd, 'unet'), join(bad, 'unet'), { recursive: true }),
    );
    const error = await loadUpscaleModel(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect((error as ModelFolderError).message).toMatch(/unet\/model.onnx.*class_labels/);
  });

  it('takes the decoder from vae/ (diffusers) or vae_decoder/ (optimum), scaling 0.08333 by default', async () => {
    const optimum = await loadUpscaleModel(
      await writeTinyUpscaler(join(dir, 'optimum'), { vaeDir: 'vae_decoder' }),
    );
    expect(optimum.config.vaeScalingFactor).toBe(0.08333);
    expect(optimum.config.scale).toBe(4);
    expect(optimum.config.maxNoiseLevel).toBe(350);
    await optimum.release();
  });

  it("caps max_noise_level at low_res_scheduler's last step (noise_level indexes its alphas_cumprod)", async () => {
    const model = await loadUpscaleModel(
      await writeTinyUpscaler(join(dir, 'max-noise'), { maxNoiseLevel: 5000 }),
    );
    expect(model.config.maxNoiseLevel).toBe(model.config.lowResSchedule.numTrainTimesteps - 1);
    expect(model.config.lowResSchedule.alphasCumprod[model.config.maxNoiseLevel]).toBeGreaterThan(0);
    await model.release();
  });

  it('refuses num_latent_channels other than 4, naming model_index.json', async () => {
    const folder = await writeTinyUpscaler(join(dir, 'eight-channels'));
    const index = JSON.parse(await readFile(join(folder, 'model_index.json'), 'utf8'));
    await writeFile(join(folder, 'model_index.json'), JSON.stringify({ ...index, num_latent_channels: 8 }));
    const error = await loadUpscaleModel(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect((error as ModelFolderError).message).toMatch(/model_index\.json.*num_latent_channels is 8/);
  });
});

describe('upscale, step by step against hand-computed values', () => {
  it('one DDIM step: latents, noised image, class label, text, scaling and 4x decode', async () => {
    const width = 8;
    const height = 8;
    const image = await png(width, height, (x, y) => [x * 30, y * 30, 255 - x * 10]);
    const prompt = 'a photo of a cat';
    const request = pipeline.resolve({
      image,
      prompt,
      seed: 5,
      steps: 1,
      guidance_scale: 1,
      noise_level: 20,
    });
    const result = await pipeline.upscale(request, { keepLatents: true });
    const out = result.images[0];
    expect([out.width, out.height]).toEqual([32, 32]);

    // The same quantities by hand.
    const model = await loadUpscaleModel(join(dir, 'x4'));
    const ids = model.tokenizer.encode(prompt).ids;
    const states = await model.textEncoder.encode(ids, new RunClock());
    const textMean = states.data.reduce((a, b) => a + b, 0) / states.data.length;
    await model.release();
    const plane = width * height;
    const noise = noiseStream(5);
    const latents = noise.randn(4 * plane);
    const imageNoise = noise.randn(3 * plane);
    const ac20 = 0.9973012804985046;
    const ac1 = 0.9997973442077637;
    const ac0 = 0.9998999834060669; // DDIM, set_alpha_to_one false: the final alpha is ac[0]
    const pixel = (c: number, i: number) => {
      const x = i % width;
      const y = Math.floor(i / width);
      const rgb = [x * 30, y * 30, 255 - x * 10][c];
      return rgb / 127.5 - 1;
    };
    let worst = 0;
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < plane; i++) {
        const low = Math.sqrt(ac20) * pixel(c % 3, i) + Math.sqrt(1 - ac20) * imageNoise[(c % 3) * plane + i];
        const x = latents[c * plane + i];
        const eps =
          UNET_LATENT_WEIGHT * x +
          UNET_IMAGE_WEIGHT * low +
          UNET_LEVEL_WEIGHT * 20 +
          UNET_TEXT_WEIGHT * textMean;
        const x0 = (x - Math.sqrt(1 - ac1) * eps) / Math.sqrt(ac1);
        const prev = Math.sqrt(ac0) * x0 + Math.sqrt(1 - ac0) * eps;
        worst = Math.max(worst, Math.abs(prev - (out.latents as Float32Array)[c * plane + i]));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    // Decode: latents / 0.5, first three channels, each latent pixel a 4x4 block.
    const lat = out.latents as Float32Array;
    for (const [px, py, c] of [
      [0, 0, 0],
      [5, 9, 1],
      [31, 31, 2],
    ]) {
      const v = lat[c * plane + Math.floor(py / 4) * width + Math.floor(px / 4)] / 0.5;
      const expected = Math.round(Math.min(1, Math.max(0, v / 2 + 0.5)) * 255);
      expect(out.rgb[3 * (py * 32 + px) + c]).toBe(expected);
    }
  });

  it('classifier-free guidance: eps_u + w (eps_c - eps_u), the negative prompt as the unconditional row', async () => {
    const image = await png(8, 8, () => [200, 10, 10]);
    const base = { image, prompt: 'a photo of a cat', seed: 9, steps: 1 };
    const run = async (guidance: number, negative: string) =>
      (
        await pipeline.upscale(
          pipeline.resolve({ ...base, guidance_scale: guidance, negative_prompt: negative }),
          { keepLatents: true },
        )
      ).images[0].latents as Float32Array;
    const cond = await run(1, '');
    const model = await loadUpscaleModel(join(dir, 'x4'));
    const mean = async (text: string) => {
      const s = await model.textEncoder.encode(model.tokenizer.encode(text).ids, new RunClock());
      return s.data.reduce((a, b) => a + b, 0) / s.data.length;
    };
    const [mc, mu] = [await mean('a photo of a cat'), await mean('a dog')];
    await model.release();
    const guided = await run(4, 'a dog');
    // Only the text term differs between rows: eps(w) - eps(1) = 0.5 * (w - 1) * (mu - mc) ... through one DDIM step:
    const ac1 = 0.9997973442077637;
    const ac0 = 0.9998999834060669;
    const deps = UNET_TEXT_WEIGHT * (mu + 4 * (mc - mu) - mc);
    const dprev =
      (-(Math.sqrt(ac0) * Math.sqrt(1 - ac1)) / Math.sqrt(ac1)) * deps + Math.sqrt(1 - ac0) * deps;
    for (const i of [0, 17, 255]) expect(guided[i] - cond[i]).toBeCloseTo(dprev, 5);
  });

  it('defaults noise_level to 20 and passes it as class_labels', async () => {
    const image = await png(8, 8, () => [0, 0, 0]);
    const r20 = pipeline.resolve({ image, seed: 1, steps: 1, guidance_scale: 1 });
    expect(r20.noise_level).toBe(20);
    const a = (await pipeline.upscale(r20, { keepLatents: true })).images[0].latents as Float32Array;
    const b = (await pipeline.upscale({ ...r20, noise_level: 21 }, { keepLatents: true })).images[0]
      .latents as Float32Array;
    // Besides the image noise (sqrt(ac) changes a little), the class term adds 0.001 per level.
    expect(Math.abs(a[0] - b[0])).toBeGreaterThan(0);
  });

  it('is deterministic per seed and gives image k the seed + k stream', async () => {
    const image = await png(16, 8, (x) => [x * 15, 0, 0]);
    const request = pipeline.resolve({
      image,
      seed: 3,
      steps: 2,
      num_outputs: 2,
      guidance_scale: 2,
      prompt: 'x',
    });
    const both = await pipeline.upscale(request);
    const second = await pipeline.upscale({ ...request, seed: 4, num_outputs: 1 });
    expect([both.images[0].width, both.images[0].height]).toEqual([64, 32]);
    expect(Buffer.compare(both.images[1].rgb, second.images[0].rgb)).toBe(0);
    expect(Buffer.compare(both.images[0].rgb, both.images[1].rgb)).not.toBe(0);
  });

  it('reports progress per step and stops between steps when aborted', async () => {
    const image = await png(8, 8, () => [1, 2, 3]);
    const steps: number[] = [];
    await pipeline.upscale(pipeline.resolve({ image, seed: 1, steps: 3 }), {
      onProgress: (e) => steps.push(e.step),
    });
    expect(steps).toEqual([1, 2, 3]);
    const controller = new AbortController();
    const run = pipeline.upscale(pipeline.resolve({ image, seed: 1, steps: 5 }), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(GenerationCanceledError);
  });
});

describe('bad input is a 422 naming the field and the limit', () => {
  it('noise_level above max_noise_level', async () => {
    const image = await png(8, 8, () => [1, 2, 3]);
    const error = await pipeline
      .upscale(pipeline.resolve({ image, noise_level: 351 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect(error).toMatchObject({ field: 'noise_level', limit: 350, status: 422 });
  });

  it('an input larger than the model upscales', async () => {
    const small = await loadUpscalePipeline(join(dir, 'x4'), { maxInputPixels: 16 * 16 });
    const image = await png(24, 16, () => [1, 2, 3]);
    const error = await small.upscale(small.resolve({ image, steps: 1 })).catch((e: unknown) => e);
    await small.release();
    expect(error).toMatchObject({ field: 'image', limit: 256, status: 422 });
    expect((error as Error).message).toMatch(/24x16.*at most 256 input pixels \(16x16 -> 64x64\)/);
  });

  it('an input smaller than 8 px or not an image', async () => {
    const tiny = await png(4, 12, () => [1, 2, 3]);
    await expect(pipeline.upscale(pipeline.resolve({ image: tiny }))).rejects.toMatchObject({
      field: 'image',
      limit: 8,
    });
    const junk = new TextEncoder().encode('not an image');
    await expect(pipeline.upscale(pipeline.resolve({ image: junk }))).rejects.toMatchObject({
      field: 'image',
    });
  });
});
