import {
  PREDICTION_TYPES,
  readBoolean,
  readChoice,
  readNumber,
  readTimestepPlacement,
  rejectUnsupported,
} from './config';
import type { DpmScheduleOptions } from './dpm-solver-schedule';
import { dpmSchedule } from './dpm-solver-schedule';
import { applyDynamicThresholding, readDynamicThresholding } from './dynamic-thresholding';
import { SchedulerConfigError } from './errors';
import { eulerAlphasCumprod } from './euler-schedule';
import { MultistepHistory } from './multistep-history';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { readSigmaSpacingFlags } from './sigma-spacing-config';
import { StepIndex } from './step-index';
import { requireNoise, resultBuffer } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput } from './types';
import { addNoiseVp, vpCoefficients, vpDataPrediction } from './vp-coefficients';

const f32 = Math.fround;

/**
 * DPM-Solver++ multistep, Lu et al. 2022 ("DPM-Solver++: Fast Solver for Guided Sampling of
 * Diffusion Probabilistic Models"), Algorithm 2 ("2M"). In data-prediction form with
 * lambda = log(alpha / sigma), h = lambda_t - lambda_s:
 *   1st order (eq. 8):  x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) x0_s
 *   2M (midpoint):      x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) (D0 + D1 / 2),
 *                       D0 = x0_s, D1 = (x0_s - x0_{s-1}) h / h_{s-1}
 * `solver_type: heun` and `solver_order: 3` follow diffusers' variants; `sde-dpmsolver++`
 * is the SDE form (section 5 of the paper) and needs a noise source.
 * `use_karras_sigmas` (or the name dpmpp_2m_karras) uses Karras et al. 2022's sigmas.
 * Defaults are diffusers' DPMSolverMultistepScheduler's.
 */
export function createDpmpp2m(
  config: SchedulerConfigInput,
  variant: 'dpmpp_2m' | 'dpmpp_2m_karras' | 'dpmpp_2m_sde' = 'dpmpp_2m',
): Scheduler {
  const forceKarras = variant === 'dpmpp_2m_karras';
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  const solverOrder = readNumber(config, 'solver_order', 2, { min: 1, max: 3, integer: true });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  // A DEIS or UniPC config loaded into this scheduler keeps working, as in diffusers' from_config:
  // algorithm 'deis' becomes dpmsolver++ and solver types logrho/bh1/bh2 become midpoint.
  const algorithmType = readChoice(
    config,
    'algorithm_type',
    ['dpmsolver++', 'sde-dpmsolver++', 'deis'] as const,
    'dpmsolver++',
  );
  // The name dpmpp_2m_sde is DPM-Solver++(2M) SDE whatever the config's algorithm_type says.
  const algorithm =
    variant === 'dpmpp_2m_sde' ? 'sde-dpmsolver++' : algorithmType === 'deis' ? 'dpmsolver++' : algorithmType;
  const solverTypeKey = readChoice(
    config,
    'solver_type',
    ['midpoint', 'heun', 'logrho', 'bh1', 'bh2'] as const,
    'midpoint',
  );
  const solverType = solverTypeKey === 'heun' ? 'heun' : 'midpoint';
  const lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
  const eulerAtFinal = readBoolean(config, 'euler_at_final', false);
  const { karras, exponential } = readSigmaSpacingFlags(config, { forceKarras, rejectFlowSigmas: true });
  const lu = readBoolean(config, 'use_lu_lambdas', false);
  const thresholding = readDynamicThresholding(config);
  rejectUnsupported(config, 'variance_type', null, 'learned-variance UNets are not supported');
  if (algorithm === 'sde-dpmsolver++' && solverOrder === 3) {
    throw new SchedulerConfigError('solver_order', 'sde-dpmsolver++ supports orders 1 and 2', 2);
  }
  const alphasCumprod = eulerAlphasCumprod(schedule, readBoolean(config, 'rescale_betas_zero_snr', false));
  const scheduleOptions: DpmScheduleOptions = {
    ...readTimestepPlacement(config, 'linspace'),
    // diffusers' precedence: Karras, then Lu lambdas, then exponential.
    sigmaSpacing: karras ? 'karras' : lu ? 'lu' : exponential ? 'exponential' : 'interpolated',
    finalSigma: readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero'),
    lambdaMinClipped: readNumber(config, 'lambda_min_clipped', Number.NEGATIVE_INFINITY),
    roundTimesteps:
      readChoice(
        config,
        'beta_schedule',
        ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const,
        'linear',
      ) !== 'squaredcos_cap_v2',
  };
  const { numTrainTimesteps } = schedule;

  let timesteps: number[] = [];
  let sigmas: Float32Array = new Float32Array(0);
  const index = new StepIndex('last');
  // Data predictions x0 of the previous steps.
  const history = new MultistepHistory(solverOrder);

  return schedulerShell({
    name: variant,
    order: 1,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => 1,
    schedule(n) {
      ({ timesteps, sigmas } = dpmSchedule(alphasCumprod, n, scheduleOptions));
      history.reset();
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const count = timesteps.length;
      // Fall back to lower orders at the very end: few steps make high-order extrapolation unstable,
      // and a final sigma of 0 has lambda = inf where only the first-order update is defined.
      const finalLower =
        i === count - 1 &&
        (eulerAtFinal || (lowerOrderFinal && count < 15) || scheduleOptions.finalSigma === 'zero');
      const secondLower = i === count - 2 && lowerOrderFinal && count < 15;
      // Once the history is full, the oldest prediction's buffer is reused for the newest.
      const x0 = vpDataPrediction(
        predictionType,
        modelOutput,
        sample,
        vpCoefficients(sigmas[i]),
        history.recycle(),
      );
      if (thresholding) applyDynamicThresholding(x0, options.batchSize, thresholding);
      history.push(x0);
      const noise =
        algorithm === 'sde-dpmsolver++'
          ? requireNoise(options.generator, 'sde-dpmsolver++', sample.length)
          : null;
      const out = resultBuffer(options.out, sample.length);
      update(history.order(finalLower, secondLower), i, sample, noise, out);
      history.stepped();
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseVp(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });

  function update(
    order: number,
    i: number,
    sample: Float32Array,
    noise: Float32Array | null,
    out: Float32Array,
  ) {
    const t = vpCoefficients(sigmas[i + 1]);
    const s0 = vpCoefficients(sigmas[i]);
    const h = f32(t.lambda - s0.lambda);
    const expNegH = f32(Math.exp(-h));
    const m0 = history.newest();
    const sde = noise !== null;
    // Coefficient of x_s and of D0; the SDE form damps x_s by e^{-h} and injects sigma_t sqrt(1 - e^{-2h}) z.
    const expNeg2H = f32(Math.exp(f32(-2 * h)));
    const sampleCoeff = sde ? f32(f32(t.sigma / s0.sigma) * expNegH) : f32(t.sigma / s0.sigma);
    const d0Coeff = sde ? f32(t.alpha * f32(1 - expNeg2H)) : f32(-f32(t.alpha * f32(expNegH - 1)));
    const noiseCoeff = sde ? f32(t.sigma * f32(Math.sqrt(f32(1 - expNeg2H)))) : 0;
    if (order === 1) {
      for (let k = 0; k < out.length; k++) {
        let v = f32(f32(sampleCoeff * sample[k]) + f32(d0Coeff * m0[k]));
        if (noise) v = f32(v + f32(noiseCoeff * noise[k]));
        out[k] = v;
      }
      return;
    }
    const m1 = history.newest(1);
    const s1 = vpCoefficients(sigmas[i - 1]);
    const h0 = f32(s0.lambda - s1.lambda);
    const r0 = f32(h0 / h);
    const invR0 = f32(1 / r0);
    if (order === 2) {
      let d1Coeff: number;
      if (solverType === 'midpoint') d1Coeff = f32(0.5 * d0Coeff);
      else if (sde) d1Coeff = f32(t.alpha * f32(f32(f32(1 - expNeg2H) / f32(-2 * h)) + 1));
      else d1Coeff = f32(t.alpha * f32(f32(f32(expNegH - 1) / h) + 1));
      for (let k = 0; k < out.length; k++) {
        const d1 = f32(invR0 * f32(m0[k] - m1[k]));
        let v = f32(f32(f32(sampleCoeff * sample[k]) + f32(d0Coeff * m0[k])) + f32(d1Coeff * d1));
        if (noise) v = f32(v + f32(noiseCoeff * noise[k]));
        out[k] = v;
      }
      return;
    }
    // Third order (deterministic dpmsolver++ only): D1, D2 from three data predictions.
    const m2 = history.newest(2);
    const s2 = vpCoefficients(sigmas[i - 2]);
    const h1 = f32(s1.lambda - s2.lambda);
    const r1 = f32(h1 / h);
    const invR1 = f32(1 / r1);
    const d1Mix = f32(r0 / f32(r0 + r1));
    const d2Scale = f32(1 / f32(r0 + r1));
    const d1Coeff = f32(t.alpha * f32(f32(f32(expNegH - 1) / h) + 1));
    const d2Coeff = f32(-f32(t.alpha * f32(f32(f32(f32(expNegH - 1) + h) / f32(h * h)) - 0.5)));
    for (let k = 0; k < out.length; k++) {
      const d10 = f32(invR0 * f32(m0[k] - m1[k]));
      const d11 = f32(invR1 * f32(m1[k] - m2[k]));
      const d1 = f32(d10 + f32(d1Mix * f32(d10 - d11)));
      const d2 = f32(d2Scale * f32(d10 - d11));
      out[k] =
        f32(f32(f32(sampleCoeff * sample[k]) + f32(d0Coeff * m0[k])) + f32(d1Coeff * d1)) + f32(d2Coeff * d2);
    }
  }
}
