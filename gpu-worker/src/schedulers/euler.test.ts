import { describe, expect, it } from 'vitest';
import {
  absMean,
  absSum,
  dummyModel,
  dummyNoiseDeter,
  dummySampleDeter,
  scale,
} from './diffusers-test-fixtures';
import { createScheduler } from './index';

// Config and figures of diffusers' tests/schedulers/test_scheduler_euler.py.
const BASE = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

function fullLoop(config: Record<string, unknown> = {}): Float32Array {
  const scheduler = createScheduler('euler', { ...BASE, ...config });
  scheduler.setTimesteps(10);
  let sample = scale(dummySampleDeter(), scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    // diffusers' loop feeds the *scaled* sample to step(); reproduced as written.
    sample = scheduler.scaleModelInput(sample, t);
    sample = scheduler.step(dummyModel(sample, t), t, sample);
  }
  return sample;
}

describe('euler reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 10.0807, 0.0131],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0.0002, 2.2676e-6],
    ['karras sigmas', { use_karras_sigmas: true }, 124.52299499511719, 0.16213932633399963],
  ] as const)('%s', (_label, config, sum, mean) => {
    const sample = fullLoop(config);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });

  it('with noise (img2img from step 8 of 10)', () => {
    const scheduler = createScheduler('euler', BASE);
    scheduler.setTimesteps(10);
    let sample = scale(dummySampleDeter(), scheduler.initNoiseSigma);
    const timesteps = scheduler.timesteps.slice(8 * scheduler.order);
    sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0]);
    for (const t of timesteps) {
      sample = scheduler.scaleModelInput(sample, t);
      sample = scheduler.step(dummyModel(sample, t), t, sample);
    }
    expect(Math.abs(absSum(sample) - 57062.9297)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - 74.3007)).toBeLessThan(1e-3);
  });
});

describe('euler schedule', () => {
  it('linspace timesteps are float, sigmas end at zero', () => {
    const scheduler = createScheduler('euler', {
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      beta_end: 0.012,
    });
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 666, 333, 0]);
    scheduler.setTimesteps(7);
    expect(scheduler.timesteps).toEqual([999, 832.5, 666, 499.5, 333, 166.5, 0]);
    // SD's sigma_max: sqrt((1 - a_999) / a_999) = 14.6146 (diffusers' documented value).
    expect(scheduler.initNoiseSigma).toBeCloseTo(14.6146, 3);
  });

  it('leading spacing (SD config) scales init noise by sqrt(sigma_max^2 + 1)', () => {
    const scheduler = createScheduler('euler', {
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      beta_end: 0.012,
      steps_offset: 1,
      timestep_spacing: 'leading',
    });
    scheduler.setTimesteps(50);
    expect(scheduler.timesteps.slice(0, 3)).toEqual([981, 961, 941]);
    expect(scheduler.timesteps.at(-1)).toBe(1);
    expect(scheduler.initNoiseSigma).toBeGreaterThan(12);
  });

  it('Karras sigmas honour sigma_min / sigma_max from the config (diffusers test_karras_sigmas)', () => {
    const scheduler = createScheduler('euler', {
      ...BASE,
      use_karras_sigmas: true,
      sigma_min: 0.02,
      sigma_max: 700,
    });
    scheduler.setTimesteps(10);
    expect(scheduler.initNoiseSigma).toBeCloseTo(700, 3);
    // sigma 700 is beyond the training range: its timestep clamps to the last one.
    expect(scheduler.timesteps[0]).toBe(1099);
    expect(scheduler.timesteps.at(-1)).toBeLessThan(scheduler.timesteps[0]);
  });

  it('continuous timesteps for v-prediction are 0.25 * log(sigma)', () => {
    const scheduler = createScheduler('euler', {
      ...BASE,
      prediction_type: 'v_prediction',
      timestep_type: 'continuous',
    });
    scheduler.setTimesteps(4);
    const sigmaMax = scheduler.initNoiseSigma;
    expect(scheduler.timesteps[0]).toBeCloseTo(0.25 * Math.log(sigmaMax), 5);
  });

  it('s_churn adds caller noise (Karras Algorithm 2) and is deterministic without it', () => {
    const scheduler = createScheduler('euler', BASE);
    scheduler.setTimesteps(10);
    const t = scheduler.timesteps[0];
    const sample = dummySampleDeter();
    const out = dummyModel(sample, t);
    const plain = scheduler.step(out, t, sample);
    scheduler.setTimesteps(10);
    const churned = scheduler.step(out, t, sample, {
      sChurn: 1,
      generator: { randn: (n) => new Float32Array(n).fill(1) },
    });
    expect(churned[0]).not.toBeCloseTo(plain[0], 3);
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(out, t, sample, { sChurn: 1 })).toThrow(/generator/);
  });
});
