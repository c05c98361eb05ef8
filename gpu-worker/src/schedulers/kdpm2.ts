import { denoised, vPredictionScales } from './denoiser';
import { eulerSchedule } from './euler-schedule';
import { schedulerShell } from './scheduler-shell';
import { readSigmaSchedulerConfig, sigmaInitNoise } from './sigma-scheduler-config';
import { logFloat32, sigmaToTimestep, trainingSigmas } from './sigmas';
import { StepIndex } from './step-index';
import { addNoiseSigma, resultBuffer, scaleBySigma } from './tensor-ops';
import { roundHalfEven } from './timestep-spacing';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * DPM-Solver-2 (Lu et al. 2022, "DPM-Solver", Algorithm 1 with k = 2, in k-diffusion's
 * `sample_dpm_2` form): from sigma_i an Euler step to the geometric midpoint
 * sigma_mid = sqrt(sigma_i sigma_{i+1}), a model evaluation there, and the full step to
 * sigma_{i+1} with that midpoint slope. As diffusers' KDPM2DiscreteScheduler, each user step is
 * two scheduler steps over t_0, t_mid1, t_1, t_mid2, t_2, ... (order 2); the last step to
 * sigma = 0 is a plain Euler step. Defaults are diffusers'.
 */
export function createKdpm2(config: SchedulerConfigInput): Scheduler {
  const { numTrainTimesteps, alphasCumprod, predictionType, scheduleOptions } = readSigmaSchedulerConfig(
    config,
    { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'linear' },
  );
  const logTable = logFloat32(trainingSigmas(alphasCumprod));
  // Per scheduler step: the sigma the step starts from, the midpoint and the target.
  let sigmas: Float32Array = new Float32Array(0);
  let midpoints: Float32Array = new Float32Array(0);
  let timesteps: number[] = [];
  const index = new StepIndex();
  // The sample the first half started from, kept by value (the caller may step in place).
  let firstSample: Float32Array | null = null;
  let spare: Float32Array | null = null;

  return schedulerShell({
    name: 'kdpm2',
    order: 2,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => sigmaInitNoise(sigmas, scheduleOptions.spacing),
    schedule(n) {
      const base = eulerSchedule(alphasCumprod, n, scheduleOptions);
      // diffusers rounds the Karras timesteps of this class to integers.
      const ts =
        scheduleOptions.sigmaSpacing === 'karras' ? base.timesteps.map(roundHalfEven) : base.timesteps;
      // mid_k = exp(lerp(log s_k, log s_{k-1}, 0.5)) in float32 (torch's lerp for weight 0.5); mid_n = 0.
      const mid = new Float32Array(n + 1);
      for (let k = 1; k <= n; k++) {
        const a = f32(Math.log(base.sigmas[k]));
        const b = f32(Math.log(base.sigmas[k - 1]));
        mid[k] = f32(Math.exp(f32(b - f32(f32(b - a) * 0.5))));
      }
      // sigmas s0, s1, s1, ..., s_{n-1}, s_{n-1}, 0, 0, 0; midpoints -, m1, m1, ..., m_n, m_n, m_n.
      sigmas = new Float32Array(2 * n + 2);
      midpoints = new Float32Array(2 * n + 2);
      sigmas[0] = base.sigmas[0];
      midpoints[0] = Number.NaN;
      for (let k = 1; k <= n; k++) {
        sigmas[2 * k - 1] = sigmas[2 * k] = base.sigmas[k];
        midpoints[2 * k - 1] = midpoints[2 * k] = mid[k];
      }
      sigmas[2 * n + 1] = base.sigmas[n];
      midpoints[2 * n + 1] = mid[n];
      timesteps = [ts[0]];
      for (let k = 1; k < n; k++) timesteps.push(f32(sigmaToTimestep(mid[k], logTable)), ts[k]);
      firstSample = null;
      return timesteps;
    },
    scaleModelInput(sample, t) {
      const i = index.at(t, timesteps);
      return scaleBySigma(sample, firstSample === null ? sigmas[i] : midpoints[i]);
    },
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const firstOrder = firstSample === null;
      const sigma = firstOrder ? sigmas[i] : sigmas[i - 1];
      const sigmaMid = firstOrder ? midpoints[i + 1] : midpoints[i];
      const sigmaNext = firstOrder ? sigmas[i + 1] : sigmas[i];
      // The model was evaluated at sigma (first half) or at the midpoint (second half).
      const sigmaInput = firstOrder ? sigma : sigmaMid;
      const { vScale, vDenom } = vPredictionScales(sigmaInput);
      const dt = firstOrder ? f32(sigmaMid - sigma) : f32(sigmaNext - sigma);
      let from: Float32Array;
      if (firstOrder) {
        from = spare?.length === sample.length ? spare : new Float32Array(sample.length);
        from.set(sample);
      } else {
        from = firstSample as Float32Array;
      }
      const out = resultBuffer(options.out, sample.length);
      for (let k = 0; k < out.length; k++) {
        const x = sample[k];
        const x0 = denoised(predictionType, x, modelOutput[k], sigmaInput, vScale, vDenom);
        const slope = f32(f32(x - x0) / sigmaInput);
        out[k] = f32(from[k] + f32(slope * dt));
      }
      // After the second half the buffer is free for the next first half.
      spare = from;
      firstSample = firstOrder ? from : null;
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseSigma(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });
}
