import { describe, expect, it } from 'vitest';
import { absMean, absSum, dummyModel, dummySampleDeter } from './diffusers-test-fixtures';
import { createScheduler } from './index';

// Config and figures of diffusers' tests/schedulers/test_scheduler_pndm.py (PRK warm-up + PLMS).
const BASE = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
const SD = {
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  steps_offset: 1,
  skip_prk_steps: true,
};

function fullLoop(config: Record<string, unknown> = {}): Float32Array {
  const scheduler = createScheduler('pndm', { ...BASE, ...config });
  scheduler.setTimesteps(10);
  let sample = dummySampleDeter();
  for (const t of scheduler.timesteps) sample = scheduler.step(dummyModel(sample, t), t, sample);
  return sample;
}

describe('pndm reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 198.1318, 0.258],
    ['v_prediction', { prediction_type: 'v_prediction' }, 67.3986, 0.0878],
    ['set_alpha_to_one', { set_alpha_to_one: true, beta_start: 0.01 }, 230.0399, 0.2995],
    ['no set_alpha_to_one', { set_alpha_to_one: false, beta_start: 0.01 }, 186.9482, 0.2434],
  ] as const)('%s', (_label, config, sum, mean) => {
    const sample = fullLoop(config);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });
});

describe('pndm timesteps', () => {
  it('PRK + PLMS, steps_offset=1, 10 steps (diffusers test_steps_offset)', () => {
    const scheduler = createScheduler('pndm', { ...BASE, steps_offset: 1 });
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps).toEqual([
      901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1,
    ]);
  });

  it('Stable Diffusion (PLMS, skip_prk_steps), 50 steps: the first timestep is evaluated twice', () => {
    const scheduler = createScheduler('pndm', SD);
    scheduler.setTimesteps(50);
    const expected = [981, 961, 961, ...Array.from({ length: 48 }, (_, i) => 941 - 20 * i)];
    expect(scheduler.timesteps).toEqual(expected);
    expect(scheduler.timesteps).toHaveLength(51);
    expect(scheduler.timesteps.at(-1)).toBe(1);
  });

  it('PLMS is 4th-order: a constant epsilon gives the same result as one DDIM-style transfer', () => {
    // With eps constant, every AB combination reduces to eps, so PLMS must equal eq. 11 applied directly.
    const plms = createScheduler('pndm', SD);
    plms.setTimesteps(5);
    const ddim = createScheduler('ddim', { ...SD, clip_sample: false, set_alpha_to_one: false });
    ddim.setTimesteps(5);
    const eps = new Float32Array(8).fill(0.3);
    let a: Float32Array = new Float32Array(8).fill(1);
    for (const t of plms.timesteps) a = plms.step(eps, t, a);
    let b: Float32Array = new Float32Array(8).fill(1);
    for (const t of ddim.timesteps) b = ddim.step(eps, t, b);
    for (let i = 0; i < 8; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });
});
