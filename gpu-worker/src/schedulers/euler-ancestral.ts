import { checkInferenceSteps, PREDICTION_TYPES, readBoolean, readChoice } from './config';
import { SchedulerConfigError } from './errors';
import { eulerAlphasCumprod, eulerSchedule, readEulerScheduleOptions } from './euler-schedule';
import { noiseScheduleFromConfig } from './noise-schedule';
import { StepIndex } from './step-index';
import { addNoiseSigma, requireNoise, resultBuffer, scaleBySigma } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput, StepOptions } from './types';

const f32 = Math.fround;

/**
 * Euler ancestral sampling (k-diffusion's `sample_euler_ancestral`; Karras et al. 2022
 * section 3 for the ODE, Ho et al. 2020 for the ancestral split). Each step goes down to
 *   sigma_down = sqrt(sigma_next^2 - sigma_up^2),
 *   sigma_up   = sqrt(sigma_next^2 (sigma^2 - sigma_next^2) / sigma^2)
 * with a deterministic Euler step and adds fresh noise of std sigma_up, so the marginal at
 * sigma_next is right while the trajectory is re-randomised every step.
 * Defaults are diffusers' EulerAncestralDiscreteScheduler's.
 */
export function createEulerAncestral(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const alphasCumprod = eulerAlphasCumprod(schedule, readBoolean(config, 'rescale_betas_zero_snr', false));
  const scheduleOptions = readEulerScheduleOptions(config, { sigmaSpacings: false, predictionType });
  const { numTrainTimesteps } = schedule;

  let timesteps: number[] = [];
  let sigmas: Float32Array = new Float32Array(0);
  let numInferenceSteps: number | null = null;
  const index = new StepIndex();

  function indexFor(t: number): number {
    if (numInferenceSteps === null)
      throw new SchedulerConfigError('timesteps', 'call setTimesteps before stepping');
    return index.at(t, timesteps);
  }

  return {
    name: 'euler_ancestral',
    order: 1,
    numTrainTimesteps,
    get timesteps() {
      return timesteps;
    },
    get numInferenceSteps() {
      return numInferenceSteps;
    },
    get initNoiseSigma() {
      let max = 0;
      for (const s of sigmas) if (s > max) max = s;
      if (scheduleOptions.spacing === 'leading') return f32(Math.sqrt(f32(f32(max * max) + 1)));
      return max;
    },
    setTimesteps(n) {
      checkInferenceSteps(n, numTrainTimesteps);
      ({ timesteps, sigmas } = eulerSchedule(alphasCumprod, n, scheduleOptions));
      numInferenceSteps = n;
      index.reset();
    },
    setBeginIndex(i) {
      index.setBegin(i, timesteps.length);
    },
    scaleModelInput(sample, t) {
      return scaleBySigma(sample, sigmas[indexFor(t)]);
    },
    step(modelOutput, t, sample, options: StepOptions = {}) {
      const i = indexFor(t);
      const sigma = sigmas[i];
      const sigmaNext = sigmas[i + 1];
      const sigmaSq = f32(sigma * sigma);
      const nextSq = f32(sigmaNext * sigmaNext);
      const sigmaUp = f32(Math.sqrt(f32(f32(nextSq * f32(sigmaSq - nextSq)) / sigmaSq)));
      const sigmaDown = f32(Math.sqrt(f32(nextSq - f32(sigmaUp * sigmaUp))));
      const dt = f32(sigmaDown - sigma);
      const vScale = f32(-sigma / f32(Math.sqrt(f32(sigmaSq + 1))));
      const vDenom = f32(sigmaSq + 1);
      // diffusers draws noise on every step, the last one included, so the generator stays in step.
      const noise = requireNoise(options.generator, 'euler_ancestral', modelOutput.length);
      const out = resultBuffer(options.out, sample.length);
      for (let k = 0; k < out.length; k++) {
        const x = sample[k];
        const m = modelOutput[k];
        let denoised: number;
        if (predictionType === 'epsilon') denoised = f32(x - f32(sigma * m));
        else if (predictionType === 'v_prediction') denoised = f32(f32(m * vScale) + f32(x / vDenom));
        else denoised = m;
        const derivative = f32(f32(x - denoised) / sigma);
        out[k] = f32(x + f32(derivative * dt)) + f32(noise[k] * sigmaUp);
      }
      index.advance();
      return out;
    },
    addNoise(original, noise, t) {
      if (numInferenceSteps === null)
        throw new SchedulerConfigError('timesteps', 'call setTimesteps before addNoise');
      return addNoiseSigma(original, noise, sigmas[index.forAddNoise(t, timesteps)]);
    },
  };
}
