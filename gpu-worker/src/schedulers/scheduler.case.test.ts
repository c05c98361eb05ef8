import { SCHEDULERS } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { TorchCpuGenerator } from '../random';
import { createScheduler, SCHEDULER_NAMES, SchedulerConfigError, timestepsForStrength } from './index';
import type { NoiseSource, Scheduler, SchedulerName } from './types';

/**
 * The common test base every scheduler runs (like diffusers' SchedulerCommonTest): shapes,
 * determinism, state reset, timestep counts and spacings, add_noise, and an exact-model
 * check that each sampler's update is the right map between noise levels.
 */

// Stable Diffusion 1.x's scheduler_config.json, shipped for PNDM and loaded into every scheduler.
const SD_CONFIG = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

const STOCHASTIC: ReadonlySet<SchedulerName> = new Set(['euler_ancestral', 'lcm', 'dpmpp_2m_sde']);
const VARIANCE_EXPLODING: ReadonlySet<SchedulerName> = new Set([
  'euler',
  'euler_ancestral',
  'lms',
  'heun',
  'kdpm2',
]);
const ENDS_AT_SIGMA_MIN: ReadonlySet<SchedulerName> = new Set(['deis']);
/** Two model evaluations per step over an interleaved schedule of 2N - 1 timesteps. */
const SECOND_ORDER: ReadonlySet<SchedulerName> = new Set(['heun', 'kdpm2']);

/** A denoising loop as a pipeline runs it: scale the input, call the model, step. */
function denoise(
  scheduler: Scheduler,
  start: Float32Array,
  model: (input: Float32Array, t: number) => Float32Array,
  generator?: NoiseSource,
  timesteps = scheduler.timesteps,
): Float32Array {
  let sample = start;
  for (const t of timesteps) {
    const output = model(scheduler.scaleModelInput(sample, t), t);
    sample = scheduler.step(output, t, sample, { generator });
  }
  return sample;
}

const smoothModel = (input: Float32Array, t: number) => input.map((v, i) => 0.1 * v + Math.sin(i + t / 100));

function latents(n: number, seed: number): Float32Array {
  return new TorchCpuGenerator(seed).randn(n);
}

/** alpha_bar(t) of SD's scaled_linear schedule, in double, from the definition. */
function sdAlphaBar(t: number): number {
  let a = 1;
  const s = Math.sqrt(0.00085);
  const e = Math.sqrt(0.012);
  for (let i = 0; i <= t; i++) a *= 1 - (s + ((e - s) * i) / 999) ** 2;
  return a;
}

describe('scheduler names', () => {
  it('are exactly the API schedulers of @ldm/shared', () => {
    expect([...SCHEDULER_NAMES]).toEqual([...SCHEDULERS]);
  });

  it('reject an unknown name and bad config values, naming the field', () => {
    expect(() => createScheduler('dpm_adaptive', {})).toThrow(SchedulerConfigError);
    expect(() => createScheduler('dpm_adaptive', {})).toThrow(/scheduler: unknown/);
    expect(() => createScheduler('ddim', { beta_schedule: 'sigmoid' })).toThrow(
      /beta_schedule: must be one of/,
    );
    expect(() => createScheduler('euler', { num_train_timesteps: 'many' })).toThrow(/num_train_timesteps/);
    expect(() => createScheduler('dpmpp_2m', { solver_order: 4 })).toThrow(/solver_order: must be <= 3/);
    expect(() => createScheduler('ddim', { thresholding: true, dynamic_thresholding_ratio: 2 })).toThrow(
      /dynamic_thresholding_ratio: must be <= 1/,
    );
    expect(() => createScheduler('euler', { use_beta_sigmas: true })).toThrow(/use_beta_sigmas/);
    const error = (() => {
      try {
        createScheduler('lcm', { original_inference_steps: 5000 });
      } catch (e) {
        return e as SchedulerConfigError;
      }
    })();
    expect(error?.field).toBe('original_inference_steps');
    expect(error?.limit).toBe(1000);
    expect(error?.status).toBe(422);
  });
});

describe.each(SCHEDULER_NAMES)('%s (common cases)', (name) => {
  const stochastic = STOCHASTIC.has(name);
  const fresh = () => {
    const scheduler = createScheduler(name, SD_CONFIG);
    scheduler.setTimesteps(name === 'lcm' ? 4 : 12);
    return scheduler;
  };

  it('refuses to step before setTimesteps, and a model output of another length', () => {
    const unset = createScheduler(name, SD_CONFIG);
    const x = latents(16, 1);
    expect(() => unset.step(x, 999, x, { generator: new TorchCpuGenerator(0) })).toThrow(
      /timesteps: call setTimesteps before step/,
    );
    const scheduler = fresh();
    const t = scheduler.timesteps[0];
    expect(() => scheduler.step(x.subarray(1), t, x, { generator: new TorchCpuGenerator(0) })).toThrow(
      /model_output: length 15/,
    );
  });

  it('steps keep the sample length for any batch and latent size', () => {
    for (const numel of [4 * 8 * 8, 2 * 4 * 16 * 8, 37]) {
      const scheduler = fresh();
      const start = latents(numel, 3).map((v) => v * scheduler.initNoiseSigma);
      const out = denoise(scheduler, start, smoothModel, new TorchCpuGenerator(1));
      expect(out).toBeInstanceOf(Float32Array);
      expect(out).toHaveLength(numel);
      expect(out.every(Number.isFinite)).toBe(true);
    }
  });

  it('is deterministic: same inputs and seed give the same bytes; another seed differs only if stochastic', () => {
    const start = latents(256, 7);
    const a = denoise(fresh(), start, smoothModel, new TorchCpuGenerator(42));
    const b = denoise(fresh(), start, smoothModel, new TorchCpuGenerator(42));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const c = denoise(fresh(), start, smoothModel, new TorchCpuGenerator(43));
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(!stochastic);
  });

  it('setTimesteps resets all multistep state', () => {
    const start = latents(128, 9);
    const scheduler = fresh();
    const first = denoise(scheduler, start, smoothModel, new TorchCpuGenerator(5));
    scheduler.setTimesteps(name === 'lcm' ? 4 : 12);
    const again = denoise(scheduler, start, smoothModel, new TorchCpuGenerator(5));
    expect(again).toEqual(first);
  });

  it('writes into a caller buffer, or in place, with the same result', () => {
    const start = latents(64, 2);
    const a = fresh();
    const b = fresh();
    const t = a.timesteps[0];
    const output = smoothModel(start, t);
    const expected = a.step(output, t, start, { generator: new TorchCpuGenerator(0) });
    const buffer = new Float32Array(64);
    const got = b.step(output, t, start, { generator: new TorchCpuGenerator(0), out: buffer });
    expect(got).toBe(buffer);
    expect(got).toEqual(expected);
    // In place, over a whole loop: the same result as allocating a new sample per step.
    const reference = denoise(fresh(), start, smoothModel, new TorchCpuGenerator(8));
    const scheduler = fresh();
    const sample = start.slice();
    const generator = new TorchCpuGenerator(8);
    for (const t of scheduler.timesteps) {
      const output = smoothModel(scheduler.scaleModelInput(sample, t), t);
      scheduler.step(output, t, sample, { generator, out: sample });
    }
    expect(sample).toEqual(reference);
  });

  it('an exact noise predictor recovers x0 (each update is the right map between noise levels)', () => {
    // x_t built from known x0 and eps; a model that always predicts that eps must land on x0.
    const config = { ...SD_CONFIG, set_alpha_to_one: true };
    const scheduler = createScheduler(name, config);
    scheduler.setTimesteps(name === 'lcm' ? 4 : 20);
    const x0 = latents(512, 11).map((v) => 0.5 * v);
    const eps = latents(512, 12);
    const start = scheduler.addNoise(x0, eps, scheduler.timesteps[0]);
    // The ancestral sampler re-draws noise each step; feeding it eps again keeps the path on x0 + sigma eps
    // only for LCM (it re-noises x0 with the given noise), so the ancestral case checks sigma bookkeeping below.
    // The SDE sampler likewise injects fresh noise of its own scale each step.
    if (name === 'euler_ancestral' || name === 'dpmpp_2m_sde') return;
    const sameNoise = { randn: () => eps.slice() };
    const result = denoise(scheduler, start, () => eps, sameNoise);
    // DEIS, as diffusers, stops at the training schedule's smallest sigma instead of 0.
    const sigmaEnd = ENDS_AT_SIGMA_MIN.has(name) ? Math.sqrt((1 - sdAlphaBar(0)) / sdAlphaBar(0)) : 0;
    const alphaEnd = 1 / Math.sqrt(1 + sigmaEnd * sigmaEnd);
    let maxErr = 0;
    for (let i = 0; i < x0.length; i++) {
      const expected = alphaEnd * x0[i] + alphaEnd * sigmaEnd * eps[i];
      maxErr = Math.max(maxErr, Math.abs(result[i] - expected));
    }
    expect(maxErr).toBeLessThan(2e-3);
  });

  it('add_noise matches q(x_t | x_0) at the first timestep', () => {
    const scheduler = fresh();
    const t = scheduler.timesteps[0];
    const x0 = new Float32Array([1, -2, 0.5]);
    const noise = new Float32Array([0.25, 1, -1]);
    const noised = scheduler.addNoise(x0, noise, t);
    // The k-diffusion samplers work on x0 + sigma eps; the others on the DDPM form.
    const kDiffusion = VARIANCE_EXPLODING.has(name);
    if (kDiffusion) {
      // Variance-exploding form x0 + sigma eps, sigma = sqrt((1 - a_t) / a_t).
      const sigma = Math.sqrt((1 - sdAlphaBar(t)) / sdAlphaBar(t));
      for (let i = 0; i < 3; i++) expect(noised[i]).toBeCloseTo(x0[i] + sigma * noise[i], 3);
    } else {
      const a = sdAlphaBar(t);
      for (let i = 0; i < 3; i++)
        expect(noised[i]).toBeCloseTo(Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * noise[i], 5);
    }
  });
});

describe('v_prediction: an exact v predictor recovers x0', () => {
  // v = sqrt(a_t) eps - sqrt(1 - a_t) x0 (Salimans & Ho 2022); integer timesteps so a_t is known.
  // Not PNDM: like diffusers it combines raw v outputs across steps before converting them to eps,
  // which is only first-order accurate for v (its v figure is checked in pndm.test.ts instead).
  it.each([
    ['ddim', {}],
    ['euler', { timestep_spacing: 'leading' }],
    ['dpmpp_2m', {}],
    ['dpmpp_2m_karras', {}],
    ['lcm', {}],
    ['lms', { timestep_spacing: 'leading' }],
    ['heun', { timestep_spacing: 'leading' }],
    // Not kdpm2: its midpoint timesteps are fractional, where this test cannot know a_t exactly.
  ] as const)('%s', (name, extra) => {
    const scheduler = createScheduler(name, {
      ...SD_CONFIG,
      set_alpha_to_one: true,
      prediction_type: 'v_prediction',
      ...extra,
    });
    scheduler.setTimesteps(name === 'lcm' ? 4 : 20);
    const x0 = latents(256, 21).map((v) => 0.5 * v);
    const eps = latents(256, 22);
    const start = scheduler.addNoise(x0, eps, scheduler.timesteps[0]);
    const vModel = (_input: Float32Array, t: number) => {
      const a = sdAlphaBar(t);
      return x0.map((x, i) => Math.sqrt(a) * eps[i] - Math.sqrt(1 - a) * x);
    };
    const result = denoise(scheduler, start, vModel, { randn: () => eps.slice() });
    let maxErr = 0;
    for (let i = 0; i < x0.length; i++) maxErr = Math.max(maxErr, Math.abs(result[i] - x0[i]));
    expect(maxErr).toBeLessThan(2e-3);
  });
});

describe('timestep counts and spacings', () => {
  // Lin et al. 2023, Table 2 (T = 1000, 10 steps, no offset).
  const TABLE_2 = {
    linspace: [999, 888, 777, 666, 555, 444, 333, 222, 111, 0],
    leading: [900, 800, 700, 600, 500, 400, 300, 200, 100, 0],
    trailing: [999, 899, 799, 699, 599, 499, 399, 299, 199, 99],
  } as const;

  it.each(['ddim', 'euler', 'euler_ancestral'] as const)('%s follows Table 2 of Lin et al. 2023', (name) => {
    for (const [spacing, expected] of Object.entries(TABLE_2)) {
      const scheduler = createScheduler(name, { timestep_spacing: spacing });
      scheduler.setTimesteps(10);
      expect(scheduler.timesteps).toEqual(expected);
    }
  });

  it('pndm (PLMS) follows Table 2 with its repeated first timestep', () => {
    for (const [spacing, expected] of Object.entries(TABLE_2)) {
      const scheduler = createScheduler('pndm', { timestep_spacing: spacing, skip_prk_steps: true });
      scheduler.setTimesteps(10);
      expect(scheduler.timesteps).toEqual([expected[0], expected[1], ...expected.slice(1)]);
    }
  });

  it('dpmpp_2m follows Table 2 for trailing, and its own N+1-point grid otherwise', () => {
    const trailing = createScheduler('dpmpp_2m', { timestep_spacing: 'trailing' });
    trailing.setTimesteps(10);
    expect(trailing.timesteps).toEqual(TABLE_2.trailing);
    const leading = createScheduler('dpmpp_2m', { timestep_spacing: 'leading' });
    leading.setTimesteps(10);
    expect(leading.timesteps).toEqual([900, 810, 720, 630, 540, 450, 360, 270, 180, 90]);
  });

  it.each([1, 2, 10, 25, 50])(
    'SD config, %i steps: one timestep per step (PLMS: one extra; Heun, KDPM2: 2N - 1)',
    (n) => {
      for (const name of SCHEDULER_NAMES) {
        const scheduler = createScheduler(name, SD_CONFIG);
        scheduler.setTimesteps(n);
        const expected = SECOND_ORDER.has(name) ? 2 * n - 1 : name === 'pndm' && n > 1 ? n + 1 : n;
        expect(scheduler.timesteps, name).toHaveLength(expected);
        expect(scheduler.numInferenceSteps, name).toBe(n);
        expect(scheduler.timesteps.every((t) => t >= 0 && t < 1000)).toBe(true);
      }
    },
  );

  it('SD config, 50 steps: the timesteps diffusers produces', () => {
    const make = (name: SchedulerName, n: number) => {
      const s = createScheduler(name, SD_CONFIG);
      s.setTimesteps(n);
      return s.timesteps;
    };
    const leading = Array.from({ length: 50 }, (_, i) => 981 - 20 * i);
    expect(make('ddim', 50)).toEqual(leading);
    expect(make('pndm', 50)).toEqual([981, 961, 961, ...leading.slice(2)]);
    const euler = make('euler', 50);
    expect(euler[0]).toBe(999);
    expect(euler[1]).toBe(Math.fround(978.6122448979592));
    expect(euler.at(-1)).toBe(0);
    expect(make('dpmpp_2m', 25)).toEqual([
      999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400, 360, 320, 280, 240, 200,
      160, 120, 80, 40,
    ]);
    expect(make('lcm', 4)).toEqual([999, 759, 499, 259]);
  });

  it('leading spacing uses floor(T / N) when N does not divide T (SD, 30 steps: 958, 925, ..., 1)', () => {
    for (const name of ['ddim', 'euler', 'euler_ancestral'] as const) {
      const scheduler = createScheduler(name, { ...SD_CONFIG, timestep_spacing: 'leading' });
      scheduler.setTimesteps(30);
      expect(scheduler.timesteps, name).toEqual(Array.from({ length: 30 }, (_, i) => 958 - 33 * i));
    }
  });

  it('rejects 0 steps and more steps than training timesteps', () => {
    for (const name of SCHEDULER_NAMES) {
      const scheduler = createScheduler(name, SD_CONFIG);
      expect(() => scheduler.setTimesteps(0), name).toThrow(/steps/);
      expect(() => scheduler.setTimesteps(1001), name).toThrow(/steps/);
    }
  });
});

describe('img2img strength (diffusers get_timesteps)', () => {
  it.each(SCHEDULER_NAMES.filter((n) => n !== 'lcm'))(
    '%s keeps the last floor(N * strength) steps',
    (name) => {
      const full = createScheduler(name, SD_CONFIG);
      full.setTimesteps(20);
      const scheduler = createScheduler(name, SD_CONFIG);
      const { timesteps, startIndex } = timestepsForStrength(scheduler, 20, 0.6);
      expect(startIndex).toBe(8 * scheduler.order);
      expect(timesteps).toEqual(full.timesteps.slice(startIndex));
      // Stepping from the begin index must not need the skipped timesteps.
      const out = denoise(scheduler, latents(64, 1), smoothModel, new TorchCpuGenerator(0), timesteps);
      expect(out.every(Number.isFinite)).toBe(true);
    },
  );

  it('rejects strength outside (0, 1] and strengths that leave no step', () => {
    const scheduler = createScheduler('ddim', SD_CONFIG);
    expect(() => timestepsForStrength(scheduler, 10, 0)).toThrow(/strength/);
    expect(() => timestepsForStrength(scheduler, 10, 1.5)).toThrow(/strength/);
    expect(() => timestepsForStrength(scheduler, 10, 0.05)).toThrow(/no denoising step/);
  });
});
