import { readBoolean, readNumber } from './config';
import { denoised, vPredictionScales } from './denoiser';
import { eulerSchedule } from './euler-schedule';
import { schedulerShell } from './scheduler-shell';
import { readSigmaSchedulerConfig, sigmaInitNoise } from './sigma-scheduler-config';
import { StepIndex } from './step-index';
import { addNoiseSigma, resultBuffer, scaleBySigma } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * Heun's second-order method on the probability-flow ODE (Karras et al. 2022, Algorithm 1):
 * an Euler step from sigma_i to sigma_{i+1}, a second model evaluation there, and the step
 * redone with the mean of both slopes. As in diffusers' HeunDiscreteScheduler each user step
 * is two scheduler steps over an interleaved schedule t_0, t_1, t_1, t_2, t_2, ... (order 2),
 * the last step to sigma = 0 staying first order. Defaults are diffusers'.
 */
export function createHeun(config: SchedulerConfigInput): Scheduler {
  const { numTrainTimesteps, alphasCumprod, predictionType, scheduleOptions } = readSigmaSchedulerConfig(
    config,
    { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'linear' },
  );
  const clipSample = readBoolean(config, 'clip_sample', false);
  const clipRange = readNumber(config, 'clip_sample_range', 1, { min: 0 });
  let sigmas: Float32Array = new Float32Array(0);
  let timesteps: number[] = [];
  const index = new StepIndex();
  // Between the two halves of a step: the slope, step size and sample of the first evaluation.
  let firstSlope: Float32Array | null = null;
  let slopeBuffer: Float32Array | null = null;
  let firstSample: Float32Array = new Float32Array(0);
  let dt = 0;

  return schedulerShell({
    name: 'heun',
    order: 2,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => sigmaInitNoise(sigmas, scheduleOptions.spacing),
    schedule(n) {
      const base = eulerSchedule(alphasCumprod, n, scheduleOptions);
      // sigmas s0, s1, s1, ..., s_{n-1}, s_{n-1}, 0 and timesteps t0, t1, t1, ..., t_{n-1}, t_{n-1}.
      sigmas = new Float32Array(2 * n);
      sigmas[0] = base.sigmas[0];
      for (let k = 1; k < n; k++) sigmas[2 * k - 1] = sigmas[2 * k] = base.sigmas[k];
      sigmas[2 * n - 1] = base.sigmas[n];
      timesteps = [base.timesteps[0]];
      for (let k = 1; k < n; k++) timesteps.push(base.timesteps[k], base.timesteps[k]);
      firstSlope = null;
      return timesteps;
    },
    scaleModelInput: (sample, t) => scaleBySigma(sample, sigmas[index.at(t, timesteps)]),
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const firstOrder = firstSlope === null;
      const sigma = firstOrder ? sigmas[i] : sigmas[i - 1];
      const sigmaNext = firstOrder ? sigmas[i + 1] : sigmas[i];
      // The model was evaluated at sigma (first half) or at sigma_next (second half).
      const sigmaInput = firstOrder ? sigma : sigmaNext;
      const { vScale, vDenom } = vPredictionScales(sigmaInput);
      const out = resultBuffer(options.out, sample.length);
      const slope = (k: number) => {
        const x = sample[k];
        let x0 = denoised(predictionType, x, modelOutput[k], sigmaInput, vScale, vDenom);
        if (clipSample) x0 = Math.min(Math.max(x0, -clipRange), clipRange);
        return f32(f32(x - x0) / sigmaInput);
      };
      if (firstOrder) {
        dt = f32(sigmaNext - sigma);
        // Kept by value (the caller may step in place), in buffers reused from step to step.
        const slopes = slopeBuffer?.length === sample.length ? slopeBuffer : new Float32Array(sample.length);
        if (firstSample.length !== sample.length) firstSample = new Float32Array(sample.length);
        firstSample.set(sample);
        slopeBuffer = slopes;
        for (let k = 0; k < out.length; k++) {
          slopes[k] = slope(k);
          out[k] = f32(firstSample[k] + f32(slopes[k] * dt));
        }
        firstSlope = slopes;
      } else {
        const previous = firstSlope as Float32Array;
        for (let k = 0; k < out.length; k++) {
          const mean = f32(f32(previous[k] + slope(k)) / 2);
          out[k] = f32(firstSample[k] + f32(mean * dt));
        }
        firstSlope = null;
      }
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseSigma(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });
}
