import { type NoiseSchedule, noiseScheduleFromConfig } from '../schedulers/noise-schedule';
import type { SchedulerConfigInput } from '../schedulers/types';

/**
 * `low_res_scheduler/`: the DDPM schedule Stable Diffusion's x4 upscaler noises its
 * low-resolution input with, at `noise_level` (its `class_labels`). Defaults are that model's
 * (scaled_linear, beta 0.0001 -> 0.02, 1000 steps).
 */
export function lowResSchedule(config: SchedulerConfigInput): NoiseSchedule {
  return noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'scaled_linear',
  });
}

/**
 * diffusers' DDPMScheduler.add_noise at one timestep, in float32 as torch computes it:
 * sqrt(alphas_cumprod[t]) * image + sqrt(1 - alphas_cumprod[t]) * noise.
 */
export function noiseLowRes(
  schedule: NoiseSchedule,
  image: Float32Array,
  noise: Float32Array,
  level: number,
): Float32Array {
  const f32 = Math.fround;
  const a = schedule.alphasCumprod[level];
  const sqrtA = f32(Math.sqrt(a));
  const sqrtB = f32(Math.sqrt(f32(1 - a)));
  const out = new Float32Array(image.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(sqrtA * image[i]) + f32(sqrtB * noise[i]);
  return out;
}
