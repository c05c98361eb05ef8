import { PREDICTION_TYPES, readBoolean, readChoice, readNumber } from './config';
import { applyDynamicThresholding, readDynamicThresholding } from './dynamic-thresholding';
import { SchedulerConfigError } from './errors';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { StepIndex } from './step-index';
import { addNoiseAlphaBar, requireNoise, resultBuffer } from './tensor-ops';
import { npLinspace } from './timestep-spacing';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;
const SIGMA_DATA_SQ = 0.25; // sigma_data = 0.5, as in the consistency-model parametrisation

/**
 * Latent Consistency Model multistep sampling, Luo et al. 2023 ("Latent Consistency Models"),
 * Algorithm 3. The model is a consistency function f(x_t, t) = c_skip(t) x_t + c_out(t) x0_pred
 * (Song et al. 2023, eq. 7, with c_skip = s_d^2 / (t'^2 + s_d^2), c_out = t' / sqrt(t'^2 + s_d^2),
 * t' = t * timestep_scaling); between steps the estimate is re-noised to the next timestep
 * with fresh noise (so a noise source is required unless only one step is taken).
 * Timesteps are a subset of the `original_inference_steps`-point skipping schedule the model
 * was distilled on. Defaults are diffusers' LCMScheduler's.
 */
export function createLcm(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
  });
  const { alphasCumprod, numTrainTimesteps } = schedule;
  const originalSteps = readNumber(config, 'original_inference_steps', 50, {
    min: 1,
    max: numTrainTimesteps,
    integer: true,
  });
  const clipSample = readBoolean(config, 'clip_sample', false);
  const clipRange = readNumber(config, 'clip_sample_range', 1, { min: 0 });
  const setAlphaToOne = readBoolean(config, 'set_alpha_to_one', true);
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const timestepScaling = readNumber(config, 'timestep_scaling', 10, { min: 0 });
  const thresholding = readDynamicThresholding(config);
  const finalAlphaCumprod = setAlphaToOne ? 1 : alphasCumprod[0];
  const alphaAt = (t: number) => (t >= 0 ? alphasCumprod[t] : finalAlphaCumprod);

  let timesteps: number[] = [];
  let numInferenceSteps = 0;
  const index = new StepIndex();

  function originalSample(m: number, x: number, sqrtA: number, sqrtB: number): number {
    if (predictionType === 'epsilon') return f32(f32(x - f32(sqrtB * m)) / sqrtA);
    if (predictionType === 'v_prediction') return f32(f32(sqrtA * x) - f32(sqrtB * m));
    return m;
  }

  return schedulerShell({
    name: 'lcm',
    order: 1,
    initNoiseSigma: () => 1,
    numTrainTimesteps,
    tOnlyInputs: true,
    // LCM's steps are bounded by its distillation schedule, not the training timesteps.
    checkSteps(n) {
      if (!Number.isInteger(n) || n < 1)
        throw new SchedulerConfigError('steps', `must be a positive integer, got ${n}`);
      if (n > originalSteps) {
        throw new SchedulerConfigError(
          'steps',
          `LCM allows at most original_inference_steps = ${originalSteps}`,
          originalSteps,
        );
      }
    },
    index,
    schedule(n, options) {
      const strength = options.strength ?? 1;
      if (!(strength > 0 && strength <= 1)) {
        throw new SchedulerConfigError('strength', `must be in (0, 1], got ${strength}`, 1);
      }
      // The distillation schedule: every k-th training timestep, k = T // original_steps, ending at T - 1.
      const k = Math.floor(numTrainTimesteps / originalSteps);
      const count = Math.floor(originalSteps * strength);
      if (Math.floor(count / n) < 1) {
        throw new SchedulerConfigError(
          'steps',
          `original_inference_steps x strength = ${count} is fewer than ${n} steps; lower steps or raise strength`,
          count,
        );
      }
      const origin: number[] = [];
      for (let i = count; i >= 1; i--) origin.push(i * k - 1);
      timesteps = npLinspace(0, origin.length, n, false).map((x) => origin[Math.floor(x)]);
      numInferenceSteps = n;
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const isLast = i === numInferenceSteps - 1;
      const prevT = i + 1 < timesteps.length ? timesteps[i + 1] : t;
      const a = alphaAt(t);
      const aPrev = alphaAt(prevT);
      const sqrtA = f32(Math.sqrt(a));
      const sqrtB = f32(Math.sqrt(f32(1 - a)));
      const sqrtAPrev = f32(Math.sqrt(aPrev));
      const sqrtBPrev = f32(Math.sqrt(f32(1 - aPrev)));
      // Boundary-condition scalings of the consistency function (Song et al. 2023, eq. 7).
      const scaled = f32(t * timestepScaling);
      const scaledSq = f32(scaled * scaled);
      const cSkip = f32(SIGMA_DATA_SQ / f32(scaledSq + SIGMA_DATA_SQ));
      const cOut = f32(scaled / f32(Math.sqrt(f32(scaledSq + SIGMA_DATA_SQ))));
      const noise = isLast ? null : requireNoise(options.generator, 'lcm (multi-step)', modelOutput.length);
      const out = resultBuffer(options.out, sample.length);
      // Thresholding needs every x0 of an image first, so it takes a separate pass.
      let thresholded: Float32Array | null = null;
      if (thresholding) {
        thresholded = new Float32Array(sample.length);
        for (let k = 0; k < out.length; k++)
          thresholded[k] = originalSample(modelOutput[k], sample[k], sqrtA, sqrtB);
        applyDynamicThresholding(thresholded, options.batchSize, thresholding);
      }
      for (let k = 0; k < out.length; k++) {
        const x = sample[k];
        let x0 = thresholded ? thresholded[k] : originalSample(modelOutput[k], x, sqrtA, sqrtB);
        if (!thresholded && clipSample) x0 = Math.min(Math.max(x0, -clipRange), clipRange);
        const denoised = f32(f32(cOut * x0) + f32(cSkip * x));
        // Algorithm 3: re-noise the consistency estimate to the next timestep.
        out[k] = noise ? f32(sqrtAPrev * denoised) + f32(sqrtBPrev * noise[k]) : denoised;
      }
      index.advance();
      return out;
    },
    addNoise(original, noise, t) {
      if (!Number.isInteger(t) || t < 0 || t >= numTrainTimesteps) {
        throw new SchedulerConfigError(
          'timestep',
          `must be an integer in [0, ${numTrainTimesteps - 1}], got ${t}`,
        );
      }
      return addNoiseAlphaBar(original, noise, alphasCumprod[t]);
    },
  });
}
