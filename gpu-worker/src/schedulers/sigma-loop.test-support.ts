import { dummyModel, dummyNoiseDeter, dummySampleDeter, scale } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import type { NoiseSource } from './types';

/**
 * The full loop of diffusers' scheduler tests for the sigma schedulers (test_scheduler_lms.py,
 * _heun.py, _kdpm2_discrete.py ...): 10 steps from dummy_sample_deter * init_noise_sigma, or,
 * "with noise", from add_noise(sample, dummy_noise_deter, timesteps[t_start * order]) with
 * t_start = 8. diffusers' loop passes the *scaled* sample to step(); reproduced as written.
 */
export function diffusersFullLoop(
  name: string,
  config: Record<string, unknown>,
  options: { startAt?: number; generator?: NoiseSource; steps?: number } = {},
): Float32Array {
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(options.steps ?? 10);
  let sample = scale(dummySampleDeter(), scheduler.initNoiseSigma);
  const startAt = options.startAt ?? 0;
  const timesteps = scheduler.timesteps.slice(startAt * scheduler.order);
  if (startAt > 0) sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0]);
  for (const t of timesteps) {
    sample = scheduler.scaleModelInput(sample, t);
    sample = scheduler.step(dummyModel(sample, t), t, sample, { generator: options.generator });
  }
  return sample;
}
