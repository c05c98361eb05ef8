import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinySdxlModel } from '../../test-fixtures/tiny-sdxl';
import { generateWithRefiner, type LatentDiffusionPipeline, loadPipeline } from '../index';
import { createScheduler } from '../schedulers';
import { discreteTimestepCutoff, timestepsFrom, timestepsUntil } from './denoising-split';

let dir: string;
let base: LatentDiffusionPipeline;
let refiner: LatentDiffusionPipeline;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-refiner-'));
  base = await loadPipeline(await writeTinySdxlModel(join(dir, 'base')));
  refiner = await loadPipeline(await writeTinySdxlModel(join(dir, 'refiner'), { refiner: true }));
});

afterAll(async () => {
  await Promise.all([base, refiner].map((p) => p?.release()));
  await rm(dir, { recursive: true, force: true });
});

const EULER = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  timestep_spacing: 'leading',
  steps_offset: 1,
};

describe('denoising_end / denoising_start timesteps (diffusers)', () => {
  it('cutoff is int(round(1000 - f * 1000)), halves to even as Python rounds', () => {
    expect(discreteTimestepCutoff(0.8, 1000)).toBe(200);
    expect(discreteTimestepCutoff(0.8125, 1000)).toBe(188); // 187.5 -> 188
    expect(discreteTimestepCutoff(0.8135, 1000)).toBe(186); // 186.5 -> 186
  });

  it('euler, 10 leading steps at 0.8: the base takes t >= 200, the refiner t < 200', () => {
    const full = createScheduler('euler', EULER);
    full.setTimesteps(10);
    expect(full.timesteps).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(timestepsUntil(createScheduler('euler', EULER), 10, 0.8, 1000)).toEqual([
      901, 801, 701, 601, 501, 401, 301, 201,
    ]);
    expect(timestepsFrom(createScheduler('euler', EULER), 10, 0.8, 1000)).toEqual([101, 1]);
  });

  it('second-order schedulers: an even count below the cutoff takes one more step', () => {
    const heun = createScheduler('heun', EULER);
    heun.setTimesteps(10);
    const below = heun.timesteps.filter((t) => t < 200).length;
    const refined = timestepsFrom(createScheduler('heun', EULER), 10, 0.8, 1000);
    expect(refined.length).toBe(below % 2 === 0 ? below + 1 : below);
    expect(refined).toEqual(heun.timesteps.slice(heun.timesteps.length - refined.length));
  });
});

describe('base + refiner in one job', () => {
  for (const scheduler of ['euler', 'ddim'] as const) {
    it(`${scheduler}: the base as its own refiner gives the latents of one uninterrupted run`, async () => {
      const request = await base.resolve({
        prompt: 'a red circle',
        seed: 4,
        steps: 10,
        scheduler,
        guidance_scale: 5,
      });
      const whole = await base.generate(request, { keepLatents: true });
      const split = await generateWithRefiner(
        base,
        base,
        { ...request, refiner: 'self', denoising_end: 0.8 },
        { keepLatents: true },
      );
      expect(split.timings.unetStepMs).toHaveLength(10);
      const a = whole.images[0].latents as Float32Array;
      const b = split.images[0].latents as Float32Array;
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
      expect(Buffer.compare(whole.images[0].rgb, split.images[0].rgb)).toBe(0);
    });
  }

  it('a refiner export continues the base latents with its own conditioning (aesthetic scores)', async () => {
    const request = await base.resolve({ prompt: 'a red circle', seed: 4, steps: 10, scheduler: 'euler' });
    const job = { ...request, refiner: 'refiner', denoising_end: 0.8 };
    const steps: number[] = [];
    const refined = await generateWithRefiner(base, refiner, job, {
      keepLatents: true,
      onProgress: ({ step }) => steps.push(step),
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const alone = await base.generate(request, { keepLatents: true });
    const scored = await generateWithRefiner(
      base,
      refiner,
      { ...job, aesthetic_score: 9 },
      { keepLatents: true },
    );
    const [r, a, s] = [refined, alone, scored].map((x) =>
      Buffer.from((x.images[0].latents as Float32Array).buffer),
    );
    expect(Buffer.compare(r, a)).not.toBe(0);
    expect(Buffer.compare(r, s)).not.toBe(0);
    expect(refined.images[0].rgb.length).toBe(64 * 64 * 3);
  });
});
