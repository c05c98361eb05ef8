import { dummyModel, dummyNoiseDeter, dummySampleDeter } from './diffusers-test-fixtures';
import { createScheduler } from './index';

/**
 * The full loop of diffusers' multistep scheduler tests (test_scheduler_deis.py, _unipc.py):
 * 10 steps from dummy_sample_deter, the model output fed straight to step(); "with noise"
 * starts from add_noise(sample, dummy_noise_deter, timesteps[t_start * order]).
 */
export function multistepFullLoop(
  name: string,
  config: Record<string, unknown>,
  options: { startAt?: number; steps?: number } = {},
): Float32Array {
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(options.steps ?? 10);
  let sample = dummySampleDeter();
  const startAt = options.startAt ?? 0;
  const timesteps = scheduler.timesteps.slice(startAt * scheduler.order);
  if (startAt > 0) sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0]);
  // batchSize: the dummy sample is 4 images, which dynamic thresholding treats one by one.
  for (const t of timesteps) sample = scheduler.step(dummyModel(sample, t), t, sample, { batchSize: 4 });
  return sample;
}
