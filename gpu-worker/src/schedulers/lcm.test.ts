import { describe, expect, it } from 'vitest';
import { TorchCpuGenerator } from '../random';
import { absMean, absSum, dummyModel, dummySampleDeter } from './diffusers-test-fixtures';
import { createScheduler, timestepsForStrength } from './index';

// Config and figures of diffusers' tests/schedulers/test_scheduler_lcm.py; its noise comes
// from torch.manual_seed(0), which TorchCpuGenerator(0) reproduces.
const BASE = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  prediction_type: 'epsilon',
};

function fullLoop(steps: number): Float32Array {
  const scheduler = createScheduler('lcm', BASE);
  const generator = new TorchCpuGenerator(0);
  scheduler.setTimesteps(steps);
  let sample = dummySampleDeter();
  for (const t of scheduler.timesteps)
    sample = scheduler.step(dummyModel(sample, t), t, sample, { generator });
  return sample;
}

describe('lcm reproduces diffusers full-loop figures', () => {
  it.each([
    ['one step', 1, 18.7097, 0.0244],
    ['multistep (10 steps)', 10, 197.7616, 0.2575],
  ] as const)('%s', (_label, steps, sum, mean) => {
    const sample = fullLoop(steps);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-3);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });
});

describe('lcm timesteps', () => {
  it('4 steps of the 50-step distillation schedule (LCM-LoRA default)', () => {
    const scheduler = createScheduler('lcm', {});
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 759, 499, 259]);
  });

  it('strength shortens the origin schedule (img2img)', () => {
    const scheduler = createScheduler('lcm', {});
    const { timesteps, startIndex } = timestepsForStrength(scheduler, 4, 0.5);
    expect(startIndex).toBe(0);
    expect(timesteps).toEqual([499, 379, 259, 139]);
  });

  it('rejects more steps than original_inference_steps', () => {
    const scheduler = createScheduler('lcm', { original_inference_steps: 8 });
    expect(() => scheduler.setTimesteps(9)).toThrow(/original_inference_steps/);
  });
});
