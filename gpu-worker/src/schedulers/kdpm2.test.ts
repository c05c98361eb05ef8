import { describe, expect, it } from 'vitest';
import { absMean, absSum } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { diffusersFullLoop } from './sigma-loop.test-support';

// Config and figures of diffusers' tests/schedulers/test_scheduler_kdpm2_discrete.py (CPU values).
const BASE = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

describe('kdpm2 reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0, 20.4125, 0.0266],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0, 4.6934e-7, 6.1112e-10],
    ['with noise (img2img from step 8 of 10)', {}, 8, 70408.4062, 91.6776],
  ] as const)('%s', (_label, config, startAt, sum, mean) => {
    const sample = diffusersFullLoop('kdpm2', { ...BASE, ...config }, { startAt });
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });
});

describe('kdpm2 schedule', () => {
  it('puts a midpoint timestep between consecutive timesteps (order 2, 2N - 1 model calls)', () => {
    const scheduler = createScheduler('kdpm2', BASE);
    scheduler.setTimesteps(4);
    expect(scheduler.order).toBe(2);
    const ts = scheduler.timesteps;
    expect(ts).toHaveLength(7);
    expect([ts[0], ts[2], ts[4], ts[6]]).toEqual([
      1099,
      Math.fround(1099 * (2 / 3)),
      Math.fround(1099 / 3),
      0,
    ]);
    for (const k of [1, 3, 5]) {
      expect(ts[k]).toBeLessThan(ts[k - 1]);
      expect(ts[k]).toBeGreaterThan(ts[k + 1]);
    }
  });

  it('Karras sigmas give integer timesteps, as diffusers rounds them', () => {
    const scheduler = createScheduler('kdpm2', { ...BASE, use_karras_sigmas: true });
    scheduler.setTimesteps(6);
    const main = scheduler.timesteps.filter((_, i) => i % 2 === 0);
    expect(main.every(Number.isInteger)).toBe(true);
  });
});
