import { PREDICTION_TYPES, type PredictionType, readChoice } from './config';
import { type EulerScheduleOptions, readEulerScheduleOptions } from './euler-schedule';
import { type NoiseScheduleDefaults, noiseScheduleFromConfig } from './noise-schedule';
import type { SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * The config every k-diffusion-style discrete scheduler of diffusers without sigma bounds
 * reads (LMSDiscrete, HeunDiscrete, KDPM2Discrete): the training schedule, the prediction
 * type, the timestep spacing and Karras / exponential sigmas. These classes declare no
 * `rescale_betas_zero_snr`, `sigma_min`/`sigma_max` or `final_sigmas_type`, so those keys of a
 * shared config are ignored as diffusers ignores them.
 */
export interface SigmaSchedulerConfig {
  numTrainTimesteps: number;
  alphasCumprod: Float32Array;
  predictionType: PredictionType;
  scheduleOptions: EulerScheduleOptions;
}

export function readSigmaSchedulerConfig(
  config: SchedulerConfigInput,
  defaults: NoiseScheduleDefaults,
): SigmaSchedulerConfig {
  const schedule = noiseScheduleFromConfig(config, defaults, { hasZeroSnrKey: false });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const scheduleOptions = readEulerScheduleOptions(config, {
    sigmaSpacings: true,
    sigmaBounds: false,
    predictionType,
  });
  return {
    numTrainTimesteps: schedule.numTrainTimesteps,
    alphasCumprod: schedule.alphasCumprod,
    predictionType,
    scheduleOptions,
  };
}

/** diffusers' init_noise_sigma of the sigma schedulers: sigma_max, or sqrt(sigma_max^2 + 1) for `leading`. */
export function sigmaInitNoise(sigmas: Float32Array, spacing: EulerScheduleOptions['spacing']): number {
  let max = 0;
  for (const s of sigmas) if (s > max) max = s;
  if (spacing === 'leading') return f32(Math.sqrt(f32(f32(max * max) + 1)));
  return max;
}
