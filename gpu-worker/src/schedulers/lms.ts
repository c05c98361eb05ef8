import { denoised, vPredictionScales } from './denoiser';
import { eulerSchedule } from './euler-schedule';
import { schedulerShell } from './scheduler-shell';
import { readSigmaSchedulerConfig, sigmaInitNoise } from './sigma-scheduler-config';
import { StepIndex } from './step-index';
import { addNoiseSigma, resultBuffer, scaleBySigma } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;
/** diffusers' LMSDiscreteScheduler.step uses order 4 unless told otherwise. */
const LMS_ORDER = 4;

/** 3-point Gauss-Legendre nodes and weights on [-1, 1]: exact for the cubic Lagrange bases below. */
const GAUSS_NODES = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GAUSS_WEIGHTS = [5 / 9, 8 / 9, 5 / 9];

/**
 * The linear multistep coefficient of the derivative `j` steps back: the integral from
 * sigma_i to sigma_{i+1} of its Lagrange basis polynomial through the last `order` sigmas
 * (diffusers integrates the same polynomial with scipy's quad; the polynomial has degree
 * order - 1 <= 3, so Gauss-Legendre with 3 nodes is exact).
 */
export function lmsCoefficient(sigmas: Float32Array, i: number, order: number, j: number): number {
  const basis = (tau: number) => {
    let prod = 1;
    for (let k = 0; k < order; k++) {
      if (k === j) continue;
      prod *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
    }
    return prod;
  };
  const a = sigmas[i];
  const b = sigmas[i + 1];
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  let sum = 0;
  for (let q = 0; q < 3; q++) sum += GAUSS_WEIGHTS[q] * basis(mid + half * GAUSS_NODES[q]);
  return sum * half;
}

/**
 * Linear multistep sampling on the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma
 * (Karras et al. 2022, section 3; k-diffusion's `sample_lms`): the step integrates the
 * polynomial through the last four derivatives, an Adams-Bashforth method on the sigma grid.
 * Defaults are diffusers' LMSDiscreteScheduler's.
 */
export function createLms(config: SchedulerConfigInput): Scheduler {
  const { numTrainTimesteps, alphasCumprod, predictionType, scheduleOptions } = readSigmaSchedulerConfig(
    config,
    { beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' },
  );
  let sigmas: Float32Array = new Float32Array(0);
  let timesteps: number[] = [];
  // The derivatives of the previous steps, newest last (at most LMS_ORDER).
  let derivatives: Float32Array[] = [];
  const index = new StepIndex();

  return schedulerShell({
    name: 'lms',
    order: 1,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => sigmaInitNoise(sigmas, scheduleOptions.spacing),
    schedule(n) {
      ({ timesteps, sigmas } = eulerSchedule(alphasCumprod, n, scheduleOptions));
      derivatives = [];
      return timesteps;
    },
    scaleModelInput: (sample, t) => scaleBySigma(sample, sigmas[index.at(t, timesteps)]),
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const sigma = sigmas[i];
      const { vScale, vDenom } = vPredictionScales(sigma);
      const derivative = derivatives.length === LMS_ORDER ? (derivatives.shift() as Float32Array) : null;
      const d = derivative?.length === sample.length ? derivative : new Float32Array(sample.length);
      for (let k = 0; k < d.length; k++) {
        const x = sample[k];
        d[k] = f32(f32(x - denoised(predictionType, x, modelOutput[k], sigma, vScale, vDenom)) / sigma);
      }
      derivatives.push(d);
      const order = Math.min(i + 1, LMS_ORDER);
      // The coefficients multiply float32 tensors in diffusers, so they are float32 there too.
      const coeffs: number[] = [];
      for (let j = 0; j < order; j++) coeffs.push(f32(lmsCoefficient(sigmas, i, order, j)));
      const newest = derivatives.length - 1;
      // Started mid-schedule (img2img) there are fewer derivatives than the order; diffusers zips
      // the order-`order` coefficients with the derivatives it has, so only the first ones are used.
      const terms = Math.min(order, derivatives.length);
      const out = resultBuffer(options.out, sample.length);
      // Unrolled over the (at most four) derivatives; an unused term adds an exact 0.
      const zero = new Float32Array(0);
      const [c0, c1 = 0, c2 = 0, c3 = 0] = coeffs;
      const d0 = derivatives[newest];
      const d1 = terms > 1 ? derivatives[newest - 1] : zero;
      const d2 = terms > 2 ? derivatives[newest - 2] : zero;
      const d3 = terms > 3 ? derivatives[newest - 3] : zero;
      for (let k = 0; k < out.length; k++) {
        let sum = f32(c0 * d0[k]);
        if (terms > 1) sum = f32(sum + f32(c1 * d1[k]));
        if (terms > 2) sum = f32(sum + f32(c2 * d2[k]));
        if (terms > 3) sum = f32(sum + f32(c3 * d3[k]));
        out[k] = f32(sample[k] + sum);
      }
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseSigma(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });
}
