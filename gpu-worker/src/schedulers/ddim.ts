import { PREDICTION_TYPES, readBoolean, readChoice, readNumber, TIMESTEP_SPACINGS } from './config';
import { applyDynamicThresholding, readDynamicThresholding } from './dynamic-thresholding';
import { SchedulerConfigError } from './errors';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { addNoiseAlphaBar, requireNoise, resultBuffer } from './tensor-ops';
import { leadingTimesteps, linspaceIntegerTimesteps, trailingTimesteps } from './timestep-spacing';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * DDIM, Song et al. 2020 ("Denoising Diffusion Implicit Models"), eq. 12:
 *
 *   x_{t-1} = sqrt(a_{t-1}) * x0_pred + sqrt(1 - a_{t-1} - s_t^2) * eps + s_t * z
 *   x0_pred = (x_t - sqrt(1 - a_t) * eps) / sqrt(a_t)
 *   s_t     = eta * sqrt((1 - a_{t-1}) / (1 - a_t)) * sqrt(1 - a_t / a_{t-1})     (eq. 16)
 *
 * with a_t = alphas_cumprod[t]. eta = 0 is the deterministic sampler. Defaults are
 * diffusers' DDIMScheduler's.
 */
/**
 * sigma_t^2 / eta^2 of eq. 16: the DDPM posterior variance between a_t and a_prev,
 * (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev), in float32 like diffusers' _get_variance.
 */
export function ddimVariance(alphaBar: number, alphaBarPrev: number): number {
  const a = f32(alphaBar);
  const aPrev = f32(alphaBarPrev);
  return f32(f32(f32(1 - aPrev) / f32(1 - a)) * f32(1 - f32(a / aPrev)));
}

export function createDdim(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  const { alphasCumprod, numTrainTimesteps } = schedule;
  const clipSample = readBoolean(config, 'clip_sample', true);
  const clipRange = readNumber(config, 'clip_sample_range', 1, { min: 0 });
  const setAlphaToOne = readBoolean(config, 'set_alpha_to_one', true);
  const stepsOffset = readNumber(config, 'steps_offset', 0, { min: 0, integer: true });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const spacing = readChoice(config, 'timestep_spacing', TIMESTEP_SPACINGS, 'leading');
  const thresholding = readDynamicThresholding(config);
  // Past the last step there is no a_{t-1}; diffusers uses 1 (fully denoised) or a_0.
  const finalAlphaCumprod = setAlphaToOne ? 1 : alphasCumprod[0];

  let timesteps: number[] = [];
  let numInferenceSteps = 0;

  const alphaAt = (t: number) => (t >= 0 ? alphasCumprod[t] : finalAlphaCumprod);

  function originalSamples(modelOutput: Float32Array, sample: Float32Array, sqrtA: number, sqrtB: number) {
    const x0 = new Float32Array(sample.length);
    for (let i = 0; i < x0.length; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      if (predictionType === 'epsilon') x0[i] = f32(f32(x - f32(sqrtB * m)) / sqrtA);
      else if (predictionType === 'v_prediction') x0[i] = f32(f32(sqrtA * x) - f32(sqrtB * m));
      else x0[i] = m;
    }
    return x0;
  }

  return schedulerShell({
    name: 'ddim',
    order: 1,
    initNoiseSigma: () => 1,
    numTrainTimesteps,
    tOnlyInputs: true,
    // DDIM derives everything from t itself: no step index, nothing for setBeginIndex to remember.
    schedule(n) {
      numInferenceSteps = n;
      if (spacing === 'leading') timesteps = leadingTimesteps(numTrainTimesteps, n, stepsOffset);
      else if (spacing === 'trailing') timesteps = trailingTimesteps(numTrainTimesteps, n);
      else timesteps = linspaceIntegerTimesteps(numTrainTimesteps, n);
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      if (!Number.isInteger(t) || t < 0 || t >= numTrainTimesteps) {
        throw new SchedulerConfigError(
          'timestep',
          `must be an integer in [0, ${numTrainTimesteps - 1}], got ${t}`,
        );
      }
      const eta = options.eta ?? 0;
      const prevT = t - Math.floor(numTrainTimesteps / numInferenceSteps);
      const a = alphaAt(t);
      const aPrev = alphaAt(prevT);
      const b = f32(1 - a);
      const sqrtA = f32(Math.sqrt(a));
      const sqrtB = f32(Math.sqrt(b));
      const sqrtAPrev = f32(Math.sqrt(aPrev));
      const std = f32(eta * f32(Math.sqrt(ddimVariance(a, aPrev))));
      const dirCoeff = f32(Math.sqrt(f32(f32(1 - aPrev) - f32(std * std))));
      const noise = eta > 0 ? requireNoise(options.generator, 'ddim with eta > 0', modelOutput.length) : null;
      const useClipped = options.useClippedModelOutput === true;
      const lo = -clipRange;
      const hi = clipRange;
      const out = resultBuffer(options.out, sample.length);
      // Thresholding needs every x0 of an image first, so it takes a separate pass.
      const thresholded = thresholding ? originalSamples(modelOutput, sample, sqrtA, sqrtB) : null;
      if (thresholded && thresholding) applyDynamicThresholding(thresholded, options.batchSize, thresholding);
      for (let i = 0; i < out.length; i++) {
        const x = sample[i];
        const m = modelOutput[i];
        let x0: number;
        let eps: number;
        if (predictionType === 'epsilon') {
          x0 = f32(f32(x - f32(sqrtB * m)) / sqrtA);
          eps = m;
        } else if (predictionType === 'v_prediction') {
          // Salimans & Ho 2022: v = sqrt(a) eps - sqrt(1-a) x0.
          x0 = f32(f32(sqrtA * x) - f32(sqrtB * m));
          eps = f32(f32(sqrtA * m) + f32(sqrtB * x));
        } else {
          x0 = m;
          eps = f32(f32(x - f32(sqrtA * m)) / sqrtB);
        }
        if (thresholded) x0 = thresholded[i];
        else if (clipSample) x0 = Math.min(Math.max(x0, lo), hi);
        if (useClipped) eps = f32(f32(x - f32(sqrtA * x0)) / sqrtB);
        let prev = f32(f32(sqrtAPrev * x0) + f32(dirCoeff * eps));
        if (noise) prev = f32(prev + f32(std * noise[i]));
        out[i] = prev;
      }
      return out;
    },
    addNoise(original, noise, t) {
      return addNoiseAlphaBar(original, noise, alphaAt(t));
    },
  });
}
