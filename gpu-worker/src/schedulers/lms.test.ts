import { describe, expect, it } from 'vitest';
import { absMean, absSum } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { lmsCoefficient } from './lms';
import { diffusersFullLoop } from './sigma-loop.test-support';

// Config and figures of diffusers' tests/schedulers/test_scheduler_lms.py.
const BASE = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

describe('lms reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0, 1006.388, 1.31, 1e-2],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0, 0.0017, 2.2676e-6, 1e-2],
    ['karras sigmas', { use_karras_sigmas: true }, 0, 3812.9927, 4.9648, 2e-2],
    ['with noise (img2img from step 8 of 10)', {}, 8, 27663.6895, 36.0204, 1e-2],
  ] as const)('%s', (_label, config, startAt, sum, mean, sumTolerance) => {
    const sample = diffusersFullLoop('lms', { ...BASE, ...config }, { startAt });
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(sumTolerance);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });
});

describe('lms coefficients', () => {
  it('integrate the Lagrange basis exactly: they sum to the step length, and order 1 is Euler', () => {
    const sigmas = new Float32Array([14.6, 9.7, 6.1, 3.9, 2.2, 1.1, 0]);
    for (let i = 0; i < 6; i++) {
      const order = Math.min(i + 1, 4);
      let sum = 0;
      for (let j = 0; j < order; j++) sum += lmsCoefficient(sigmas, i, order, j);
      expect(sum).toBeCloseTo(sigmas[i + 1] - sigmas[i], 12);
    }
    expect(lmsCoefficient(sigmas, 0, 1, 0)).toBeCloseTo(sigmas[1] - sigmas[0], 14);
    // Order 2 (Adams-Bashforth 2 on a non-uniform grid): h * (1 + h / (2 h_prev)) for the newest.
    const h = sigmas[2] - sigmas[1];
    const hPrev = sigmas[1] - sigmas[0];
    expect(lmsCoefficient(sigmas, 1, 2, 0)).toBeCloseTo(h * (1 + h / (2 * hPrev)), 12);
  });

  it('keeps a 4-derivative history and resets it with setTimesteps', () => {
    const run = () => diffusersFullLoop('lms', BASE);
    expect(run()).toEqual(run());
    const scheduler = createScheduler('lms', BASE);
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps).toHaveLength(10);
    expect(scheduler.order).toBe(1);
  });
});
