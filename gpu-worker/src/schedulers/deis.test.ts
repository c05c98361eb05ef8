import { describe, expect, it } from 'vitest';
import { absMean, absSum } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { multistepFullLoop } from './multistep-loop.test-support';

// Config and figures of diffusers' tests/schedulers/test_scheduler_deis.py.
const BASE = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  solver_order: 2,
};

describe('deis reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0.23916],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0.091],
  ] as const)('%s', (_label, config, mean) => {
    expect(Math.abs(absMean(multistepFullLoop('deis', { ...BASE, ...config })) - mean)).toBeLessThan(1e-3);
  });

  it('with noise (img2img from step 8 of 10)', () => {
    const sample = multistepFullLoop('deis', BASE, { startAt: 8 });
    expect(Math.abs(absSum(sample) - 315.3016)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - 0.41054)).toBeLessThan(1e-3);
  });

  it('a DPM-Solver or UniPC config switched to deis behaves as the defaults (diffusers test_switch)', () => {
    const switched = multistepFullLoop('deis', {
      ...BASE,
      algorithm_type: 'dpmsolver++',
      solver_type: 'bh2',
    });
    expect(switched).toEqual(multistepFullLoop('deis', BASE));
    expect(() => createScheduler('deis', { algorithm_type: 'sde-dpmsolver++' })).toThrow(/algorithm_type/);
  });

  // diffusers publishes no figure for these; the values are its DEISMultistepScheduler source run
  // on CPU with torch 1.13 (the test's full_loop with the config below, 20 steps).
  it.each([
    ['order 3, Karras sigmas', { solver_order: 3, use_karras_sigmas: true }, 199.30368041992188],
    [
      'order 3, dynamic thresholding',
      { solver_order: 3, thresholding: true, sample_max_value: 0.5, dynamic_thresholding_ratio: 0.87 },
      717.0133666992188,
    ],
  ] as const)('%s agrees with diffusers run on CPU', (_label, config, sum) => {
    const sample = multistepFullLoop('deis', { ...BASE, ...config }, { steps: 20 });
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(2e-3);
  });
});
