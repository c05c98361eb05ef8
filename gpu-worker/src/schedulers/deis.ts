import { PREDICTION_TYPES, readBoolean, readChoice, readNumber, readTimestepPlacement } from './config';
import { dpmSchedule } from './dpm-solver-schedule';
import { applyDynamicThresholding, readDynamicThresholding } from './dynamic-thresholding';
import { MultistepHistory } from './multistep-history';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { readSigmaSpacingFlags } from './sigma-spacing-config';
import { StepIndex } from './step-index';
import { resultBuffer } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput } from './types';
import { addNoiseVp, vpCoefficients, vpDataPrediction } from './vp-coefficients';

const f32 = Math.fround;

/**
 * DEIS multistep (Zhang & Chen 2023, "Fast Sampling of Diffusion Models with Exponential
 * Integrator", the "logrho" variant): the exponential integrator in rho = sigma_t / alpha_t
 * with the noise predictions of the last 1-3 steps extrapolated by a Lagrange polynomial in
 * log rho, whose integrals have closed forms (the `ind_fn`s below). Schedule and order
 * fall-back follow diffusers' DEISMultistepScheduler, whose defaults these are.
 */
export function createDeis(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(
    config,
    { beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' },
    { hasZeroSnrKey: false },
  );
  const solverOrder = readNumber(config, 'solver_order', 2, { min: 1, max: 3, integer: true });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  // A DPM-Solver or UniPC config loaded into DEIS keeps working, as in diffusers' from_config.
  readChoice(config, 'algorithm_type', ['deis', 'dpmsolver', 'dpmsolver++'] as const, 'deis');
  readChoice(config, 'solver_type', ['logrho', 'midpoint', 'heun', 'bh1', 'bh2'] as const, 'logrho');
  const lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
  const { karras, exponential } = readSigmaSpacingFlags(config, { rejectFlowSigmas: true });
  const thresholding = readDynamicThresholding(config);
  const scheduleOptions = {
    ...readTimestepPlacement(config, 'linspace'),
    sigmaSpacing: karras ? 'karras' : exponential ? 'exponential' : 'interpolated',
    finalSigma: 'sigma_min',
    lambdaMinClipped: Number.NEGATIVE_INFINITY,
    roundTimesteps: true,
  } as const;
  const { numTrainTimesteps, alphasCumprod } = schedule;

  let timesteps: number[] = [];
  let sigmas: Float32Array = new Float32Array(0);
  const index = new StepIndex('last');
  // Noise predictions of the previous steps.
  const history = new MultistepHistory(solverOrder);

  return schedulerShell({
    name: 'deis',
    order: 1,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => 1,
    schedule(n) {
      ({ timesteps, sigmas } = dpmSchedule(alphasCumprod, n, scheduleOptions));
      // Re-spaced sigmas end by repeating their own last value rather than the table's minimum.
      if (scheduleOptions.sigmaSpacing !== 'interpolated') sigmas[n] = sigmas[n - 1];
      history.reset();
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const count = timesteps.length;
      const finalLower = i === count - 1 && lowerOrderFinal && count < 15;
      const secondLower = i === count - 2 && lowerOrderFinal && count < 15;
      const s0 = vpCoefficients(sigmas[i]);
      // The model output as a noise prediction, through x0 (where thresholding applies).
      const eps = vpDataPrediction(predictionType, modelOutput, sample, s0, history.recycle());
      if (thresholding) applyDynamicThresholding(eps, options.batchSize, thresholding);
      for (let k = 0; k < eps.length; k++) eps[k] = f32(f32(sample[k] - f32(s0.alpha * eps[k])) / s0.sigma);
      history.push(eps);
      const order = history.order(finalLower, secondLower);
      const out = resultBuffer(options.out, sample.length);
      update(order, i, sample, out);
      history.stepped();
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseVp(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });

  function update(order: number, i: number, sample: Float32Array, out: Float32Array): void {
    const t = vpCoefficients(sigmas[i + 1]);
    const s0 = vpCoefficients(sigmas[i]);
    const m0 = history.newest();
    if (order === 1) {
      const h = f32(t.lambda - s0.lambda);
      const sampleCoeff = f32(t.alpha / s0.alpha);
      const epsCoeff = f32(t.sigma * f32(f32(Math.exp(h)) - 1));
      for (let k = 0; k < out.length; k++) out[k] = f32(f32(sampleCoeff * sample[k]) - f32(epsCoeff * m0[k]));
      return;
    }
    const rho = (c: { alpha: number; sigma: number }) => f32(c.sigma / c.alpha);
    const rhoT = rho(t);
    const rho0 = rho(s0);
    const rho1 = rho(vpCoefficients(sigmas[i - 1]));
    const m1 = history.newest(1);
    if (order === 2) {
      const coef1 = f32(deisSecond(rhoT, rho0, rho1) - deisSecond(rho0, rho0, rho1));
      const coef2 = f32(deisSecond(rhoT, rho1, rho0) - deisSecond(rho0, rho1, rho0));
      for (let k = 0; k < out.length; k++) {
        const inner = f32(f32(f32(sample[k] / s0.alpha) + f32(coef1 * m0[k])) + f32(coef2 * m1[k]));
        out[k] = f32(t.alpha * inner);
      }
      return;
    }
    const rho2 = rho(vpCoefficients(sigmas[i - 2]));
    const m2 = history.newest(2);
    const coef1 = f32(deisThird(rhoT, rho0, rho1, rho2) - deisThird(rho0, rho0, rho1, rho2));
    const coef2 = f32(deisThird(rhoT, rho1, rho2, rho0) - deisThird(rho0, rho1, rho2, rho0));
    const coef3 = f32(deisThird(rhoT, rho2, rho0, rho1) - deisThird(rho0, rho2, rho0, rho1));
    for (let k = 0; k < out.length; k++) {
      const inner = f32(
        f32(f32(f32(sample[k] / s0.alpha) + f32(coef1 * m0[k])) + f32(coef2 * m1[k])) + f32(coef3 * m2[k]),
      );
      out[k] = f32(t.alpha * inner);
    }
  }
}

/** Antiderivative of the linear Lagrange basis through log b, log c (in log rho), times rho. */
function deisSecond(t: number, b: number, c: number): number {
  return (t * (-Math.log(c) + Math.log(t) - 1)) / (Math.log(b) - Math.log(c));
}

/** The same for the quadratic basis through log b, log c, log d. */
function deisThird(t: number, b: number, c: number, d: number): number {
  const lt = Math.log(t);
  const lc = Math.log(c);
  const ld = Math.log(d);
  const numerator = t * (lc * (ld - lt + 1) - ld * lt + ld + lt * lt - 2 * lt + 2);
  return numerator / ((Math.log(b) - lc) * (Math.log(b) - ld));
}
