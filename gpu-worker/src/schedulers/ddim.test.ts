import { describe, expect, it } from 'vitest';
import { ddimVariance } from './ddim';
import { absMean, absSum, dummyModel, dummyNoiseDeter, dummySampleDeter } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { noiseScheduleFromConfig } from './noise-schedule';

// Config and figures of diffusers' tests/schedulers/test_scheduler_ddim.py.
const BASE = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  clip_sample: true,
};

function fullLoop(config: Record<string, unknown> = {}): Float32Array {
  const scheduler = createScheduler('ddim', { ...BASE, ...config });
  scheduler.setTimesteps(10);
  let sample = dummySampleDeter();
  for (const t of scheduler.timesteps) sample = scheduler.step(dummyModel(sample, t), t, sample, { eta: 0 });
  return sample;
}

describe('ddim reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 172.0067, 0.223967],
    ['v_prediction', { prediction_type: 'v_prediction' }, 52.5302, 0.0684],
    ['set_alpha_to_one', { set_alpha_to_one: true, beta_start: 0.01 }, 149.8295, 0.1951],
    ['no set_alpha_to_one', { set_alpha_to_one: false, beta_start: 0.01 }, 149.0784, 0.1941],
  ] as const)('%s', (_label, config, sum, mean) => {
    const sample = fullLoop(config);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });

  it('with noise (img2img from step 8 of 10)', () => {
    const scheduler = createScheduler('ddim', BASE);
    scheduler.setTimesteps(10);
    const timesteps = scheduler.timesteps.slice(8 * scheduler.order);
    let sample = scheduler.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0]);
    for (const t of timesteps) sample = scheduler.step(dummyModel(sample, t), t, sample);
    expect(Math.abs(absSum(sample) - 354.5418)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - 0.4616)).toBeLessThan(1e-3);
  });
});

describe('ddim timesteps', () => {
  it('steps_offset=1, 5 steps (diffusers test_steps_offset)', () => {
    const scheduler = createScheduler('ddim', { ...BASE, steps_offset: 1 });
    scheduler.setTimesteps(5);
    expect(scheduler.timesteps).toEqual([801, 601, 401, 201, 1]);
  });

  it('Stable Diffusion config, 50 steps leading', () => {
    const scheduler = createScheduler('ddim', {
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      beta_end: 0.012,
      steps_offset: 1,
      set_alpha_to_one: false,
      clip_sample: false,
    });
    scheduler.setTimesteps(50);
    expect(scheduler.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
  });

  it('trailing and linspace spacing', () => {
    const trailing = createScheduler('ddim', { timestep_spacing: 'trailing' });
    trailing.setTimesteps(4);
    expect(trailing.timesteps).toEqual([999, 749, 499, 249]);
    trailing.setTimesteps(3);
    expect(trailing.timesteps).toEqual([999, 666, 332]);
    const linspace = createScheduler('ddim', { timestep_spacing: 'linspace' });
    linspace.setTimesteps(4);
    expect(linspace.timesteps).toEqual([999, 666, 333, 0]);
  });
});

describe('ddim variance (eq. 16), diffusers test_variance figures', () => {
  it.each([
    [0, 0, 0],
    [420, 400, 0.14771],
    [980, 960, 0.3246],
    [487, 486, 0.00979],
    [999, 998, 0.02],
  ])('t=%i -> %i: %f', (t, prev, expected) => {
    const { alphasCumprod } = noiseScheduleFromConfig(BASE, {
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
    });
    expect(Math.abs(ddimVariance(alphasCumprod[t], alphasCumprod[prev]) - expected)).toBeLessThan(1e-5);
  });
});

describe('ddim eta > 0', () => {
  it('draws its noise from the caller and scales it by eta * sigma_t (eq. 16)', () => {
    const scheduler = createScheduler('ddim', { ...BASE, clip_sample: false });
    scheduler.setTimesteps(10);
    const t = scheduler.timesteps[2];
    const sample = dummySampleDeter();
    const output = dummyModel(sample, t);
    const zero = { randn: (n: number) => new Float32Array(n) };
    const ones = { randn: (n: number) => new Float32Array(n).fill(1) };
    const deterministic = scheduler.step(output, t, sample, { eta: 0 });
    const noZ = scheduler.step(output, t, sample, { eta: 1, generator: zero });
    const withZ = scheduler.step(output, t, sample, { eta: 1, generator: ones });
    // Variance between t=599 and 499 for the linear schedule, computed independently.
    const alphaBar = (s: number) => {
      let a = 1;
      for (let i = 0; i <= s; i++) a *= 1 - (0.0001 + ((0.02 - 0.0001) * i) / 999);
      return a;
    };
    const a = alphaBar(t);
    const aPrev = alphaBar(t - 100);
    const std = Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
    expect(withZ[5] - noZ[5]).toBeCloseTo(std, 5);
    expect(noZ[5]).not.toBeCloseTo(deterministic[5], 5);
    expect(() => scheduler.step(output, t, sample, { eta: 0.5 })).toThrow(/generator/);
  });
});
