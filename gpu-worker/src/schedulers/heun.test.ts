import { describe, expect, it } from 'vitest';
import { absMean, absSum } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { diffusersFullLoop } from './sigma-loop.test-support';

// Config and figures of diffusers' tests/schedulers/test_scheduler_heun.py (CPU values).
const BASE = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

describe('heun reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0, 0.1233, 0.0002, 1e-2],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0, 4.6934e-7, 6.1112e-10, 1e-2],
    ['karras sigmas', { use_karras_sigmas: true }, 0, 0.00015, 1.9869554535034695e-7, 1e-2],
    ['with noise (img2img from step 8 of 10)', {}, 8, 75074.8906, 97.7538, 1e-2],
  ] as const)('%s', (_label, config, startAt, sum, mean, sumTolerance) => {
    const sample = diffusersFullLoop('heun', { ...BASE, ...config }, { startAt });
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(sumTolerance);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });
});

describe('heun schedule', () => {
  it('interleaves every timestep after the first (order 2, 2N - 1 model calls)', () => {
    const scheduler = createScheduler('heun', BASE);
    scheduler.setTimesteps(4);
    expect(scheduler.order).toBe(2);
    expect(scheduler.numInferenceSteps).toBe(4);
    const [t0, t1, t1b, t2, t2b, t3, t3b] = scheduler.timesteps;
    expect(scheduler.timesteps).toHaveLength(7);
    expect([t1, t2, t3]).toEqual([t1b, t2b, t3b]);
    expect(t0).toBe(1099);
    expect(t3).toBe(0);
  });

  it('a linear ODE solution is integrated with second-order accuracy (halving the step cuts the error ~4x)', () => {
    const error = (steps: number) => {
      const scheduler = createScheduler('heun', { beta_schedule: 'scaled_linear' });
      scheduler.setTimesteps(steps);
      // D(x; sigma) = x / (1 + sigma^2) is the exact denoiser of N(0, 1) data; x(sigma) = x_T sqrt(1 + sigma^2) / sqrt(1 + s_T^2).
      let sample: Float32Array = new Float32Array([scheduler.initNoiseSigma]);
      const sigmaT = scheduler.initNoiseSigma;
      for (const t of scheduler.timesteps) {
        const scaled = scheduler.scaleModelInput(sample, t);
        // epsilon = (x - D) / sigma, with sigma recovered from the input scaling.
        const c = sample[0] / scaled[0];
        const sigma = Math.sqrt(c * c - 1);
        const eps = new Float32Array([(sample[0] - sample[0] / (1 + sigma * sigma)) / sigma]);
        sample = scheduler.step(eps, t, sample);
      }
      // The exact ODE solution ends at x_T / sqrt(1 + sigma_T^2).
      return Math.abs(sample[0] - sigmaT / Math.sqrt(1 + sigmaT * sigmaT));
    };
    const coarse = error(10);
    const fine = error(20);
    expect(fine).toBeLessThan(coarse / 2.5);
  });
});
