import { describe, expect, it } from 'vitest';
import { TorchCpuGenerator } from '../random';
import {
  absMean,
  absSum,
  dummyModel,
  dummyNoiseDeter,
  dummySampleDeter,
  scale,
} from './diffusers-test-fixtures';
import { createScheduler } from './index';

// Config and figures of diffusers' tests/schedulers/test_scheduler_euler_ancestral.py; its
// noise comes from torch.manual_seed(0), which TorchCpuGenerator(0) reproduces.
const BASE = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

function run(config: Record<string, unknown>, startAt = 0): Float32Array {
  const scheduler = createScheduler('euler_ancestral', { ...BASE, ...config });
  scheduler.setTimesteps(10);
  const generator = new TorchCpuGenerator(0);
  let sample = scale(dummySampleDeter(), scheduler.initNoiseSigma);
  const timesteps = scheduler.timesteps.slice(startAt * scheduler.order);
  if (startAt > 0) sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0]);
  for (const t of timesteps) {
    sample = scheduler.scaleModelInput(sample, t);
    sample = scheduler.step(dummyModel(sample, t), t, sample, { generator });
  }
  return sample;
}

describe('euler_ancestral reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0, 152.3192, 0.1983],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0, 108.4439, 0.1412],
    ['with noise (img2img from step 8 of 10)', {}, 8, 56163.0508, 73.129],
  ] as const)('%s', (_label, config, startAt, sum, mean) => {
    const sample = run(config, startAt);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });

  it('needs a noise source and uses it', () => {
    const scheduler = createScheduler('euler_ancestral', BASE);
    scheduler.setTimesteps(10);
    const t = scheduler.timesteps[0];
    const sample = dummySampleDeter();
    expect(() => scheduler.step(dummyModel(sample, t), t, sample)).toThrow(/noise source/);
    const a = scheduler.step(dummyModel(sample, t), t, sample, { generator: new TorchCpuGenerator(1) });
    scheduler.setTimesteps(10);
    const b = scheduler.step(dummyModel(sample, t), t, sample, { generator: new TorchCpuGenerator(2) });
    expect(a).not.toEqual(b);
  });
});
