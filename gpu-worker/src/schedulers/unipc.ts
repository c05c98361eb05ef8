import {
  PREDICTION_TYPES,
  readBoolean,
  readChoice,
  readNumber,
  readOptionalNumber,
  readTimestepPlacement,
  rejectUnsupported,
} from './config';
import { dpmSchedule } from './dpm-solver-schedule';
import { applyDynamicThresholding, readDynamicThresholding } from './dynamic-thresholding';
import { SchedulerConfigError } from './errors';
import { eulerAlphasCumprod } from './euler-schedule';
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
 * UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling
 * of Diffusion Models"): each step first corrects the previous step's result with the new
 * model output (UniC, Algorithm 2), then predicts the next sample from the last `solver_order`
 * outputs (UniP, Algorithm 1), in data-prediction form (`predict_x0`) by default. `bh2` (the
 * default, B(h) = e^h - 1) and `bh1` (B(h) = h) are the paper's two B(h) choices.
 * Schedule, warm-up and final-order fall-back follow diffusers' UniPCMultistepScheduler,
 * whose defaults these are.
 */
export function createUnipc(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  const solverOrder = readNumber(config, 'solver_order', 2, { min: 1, max: 3, integer: true });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const predictX0 = readBoolean(config, 'predict_x0', true);
  // A DPM-Solver or DEIS config loaded into UniPC keeps working: their solver types become bh2.
  const solverType = readChoice(
    config,
    'solver_type',
    ['bh1', 'bh2', 'midpoint', 'heun', 'logrho'] as const,
    'bh2',
  );
  const bh1 = solverType === 'bh1';
  const lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
  const disableCorrector = readStepList(config, 'disable_corrector');
  const { karras, exponential } = readSigmaSpacingFlags(config, { rejectFlowSigmas: true });
  rejectUnsupported(config, 'solver_p', null, 'an external predictor scheduler is not supported');
  const thresholding = readDynamicThresholding(config);
  const finalSigma = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero');
  const scheduleOptions = {
    ...readTimestepPlacement(config, 'linspace'),
    sigmaSpacing: karras ? 'karras' : exponential ? 'exponential' : 'interpolated',
    finalSigma,
    lambdaMinClipped: Number.NEGATIVE_INFINITY,
    roundTimesteps: true,
    sigmaMin: readOptionalNumber(config, 'sigma_min'),
    sigmaMax: readOptionalNumber(config, 'sigma_max'),
  } as const;
  const alphasCumprod = eulerAlphasCumprod(schedule, readBoolean(config, 'rescale_betas_zero_snr', false));
  const { numTrainTimesteps } = schedule;

  let timesteps: number[] = [];
  let sigmas: Float32Array = new Float32Array(0);
  const index = new StepIndex('last');
  // Converted model outputs (x0 or eps) of the previous steps.
  const history = new MultistepHistory(solverOrder);
  // The sample the last prediction started from, and its order: what UniC corrects.
  let lastSample: Float32Array | null = null;
  let lastOrder = 1;
  let spare: Float32Array | undefined;

  return schedulerShell({
    name: 'unipc',
    order: 1,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => 1,
    schedule(n) {
      ({ timesteps, sigmas } = dpmSchedule(alphasCumprod, n, scheduleOptions));
      // Re-spaced sigmas end on their own last value when final_sigmas_type is sigma_min.
      if (scheduleOptions.sigmaSpacing !== 'interpolated' && finalSigma === 'sigma_min')
        sigmas[n] = sigmas[n - 1];
      history.reset();
      lastSample = null;
      spare = undefined;
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      const i = index.at(t, timesteps);
      const converted = convert(modelOutput, sample, i, options.batchSize, spare);
      spare = undefined;
      let x = sample;
      if (i > 0 && !disableCorrector.has(i - 1) && lastSample !== null) {
        x = new Float32Array(sample.length);
        biasUpdate(lastOrder, { from: i - 1, to: i, lastSample, model: converted }, x);
      }
      // The corrector has used the oldest output; its buffer takes the next step's output.
      spare = history.recycle();
      history.push(converted);
      const wanted = lowerOrderFinal ? Math.min(solverOrder, timesteps.length - i) : solverOrder;
      lastOrder = Math.min(wanted, history.warmSteps + 1);
      // Kept by value: the caller may write the result over `sample`.
      lastSample = x === sample ? sample.slice() : x;
      const out = resultBuffer(options.out, sample.length);
      biasUpdate(lastOrder, { from: i, to: i + 1, lastSample, model: null }, out);
      history.stepped();
      index.advance();
      return out;
    },
    addNoise: (original, noise, t) => addNoiseVp(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });

  /** diffusers' convert_model_output: x0 (thresholded if asked) for predict_x0, else eps. */
  function convert(
    modelOutput: Float32Array,
    sample: Float32Array,
    i: number,
    batchSize: number | undefined,
    recycled: Float32Array | undefined,
  ) {
    const c = vpCoefficients(sigmas[i]);
    if (predictX0) {
      const x0 = vpDataPrediction(predictionType, modelOutput, sample, c, recycled);
      if (thresholding) applyDynamicThresholding(x0, batchSize, thresholding);
      return x0;
    }
    const { alpha, sigma } = c;
    const eps = recycled?.length === sample.length ? recycled : new Float32Array(sample.length);
    for (let k = 0; k < eps.length; k++) {
      const m = modelOutput[k];
      const x = sample[k];
      if (predictionType === 'epsilon') eps[k] = m;
      else if (predictionType === 'v_prediction') eps[k] = f32(f32(alpha * m) + f32(sigma * x));
      else eps[k] = f32(f32(x - f32(alpha * m)) / sigma);
    }
    return eps;
  }

  /**
   * One B(h) update from sigma[from] to sigma[to] (Zhao et al. 2023, eqs. 8 and 11 in diffusers'
   * form). Predictor (UniP, `model` null): from the newest output m0 = history[-1] and the
   * differences to the older ones. Corrector (UniC): m0 is the previous output, and the new
   * output `model` at sigma[to] adds the term weighted by the last coefficient.
   */
  function biasUpdate(
    order: number,
    step: { from: number; to: number; lastSample: Float32Array; model: Float32Array | null },
    out: Float32Array,
  ): void {
    const corrector = step.model !== null;
    const t = vpCoefficients(sigmas[step.to]);
    const s0 = vpCoefficients(sigmas[step.from]);
    const h = f32(t.lambda - s0.lambda);
    // The newest stored output and the older ones, history[-(k+1)] at sigma[from - k]: the
    // corrector runs before the new output is pushed, so for it these are one step further back.
    const m0 = history.newest();
    const ratios: number[] = [];
    const older: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const lambdaK = vpCoefficients(sigmas[step.from - k]).lambda;
      ratios.push(f32(f32(lambdaK - s0.lambda) / h));
      older.push(history.newest(k));
    }
    const hh = predictX0 ? -h : h;
    const hPhi1 = f32(Math.expm1(hh));
    const bH = bh1 ? hh : hPhi1;
    // b_i = h phi_{i+1}(h) i! / B(h) and the Vandermonde rows r_k^(i-1) (diffusers' R, b).
    const rks = [...ratios, 1];
    const rows: number[][] = [];
    const b: number[] = [];
    let hPhiK = f32(f32(hPhi1 / hh) - 1);
    let factorial = 1;
    for (let i = 1; i <= order; i++) {
      rows.push(rks.map((r) => f32(r ** (i - 1))));
      b.push(f32(f32(hPhiK * factorial) / bH));
      factorial *= i + 1;
      hPhiK = f32(f32(hPhiK / hh) - f32(1 / factorial));
    }
    let rhos: number[];
    if (corrector) {
      rhos = order === 1 ? [0.5] : solve(rows, b);
    } else {
      rhos =
        order === 2
          ? [0.5]
          : order === 1
            ? []
            : solve(
                rows.slice(0, -1).map((r) => r.slice(0, -1)),
                b.slice(0, -1),
              );
    }
    rhos = rhos.map(f32);
    const sampleCoeff = predictX0 ? f32(t.sigma / s0.sigma) : f32(t.alpha / s0.alpha);
    const m0Coeff = predictX0 ? f32(t.alpha * hPhi1) : f32(t.sigma * hPhi1);
    const resCoeff = predictX0 ? f32(t.alpha * bH) : f32(t.sigma * bH);
    const x = step.lastSample;
    const model = step.model;
    // Unrolled over the (at most two) older outputs; the model term only for the corrector.
    const n = older.length;
    const zero = new Float32Array(0);
    const o1 = n > 0 ? older[0] : zero;
    const o2 = n > 1 ? older[1] : zero;
    const [rho1 = 0, rho2 = 0] = rhos;
    const [r1 = 1, r2 = 1] = ratios;
    const rhoModel = rhos[rhos.length - 1];
    for (let k = 0; k < out.length; k++) {
      const m = m0[k];
      let res = 0;
      if (n > 0) res = f32(rho1 * f32(f32(o1[k] - m) / r1));
      if (n > 1) res = f32(res + f32(rho2 * f32(f32(o2[k] - m) / r2)));
      if (model) res = f32(res + f32(rhoModel * f32(model[k] - m)));
      out[k] = f32(f32(f32(sampleCoeff * x[k]) - f32(m0Coeff * m)) - f32(resCoeff * res));
    }
  }
}

/** Gaussian elimination with partial pivoting for the small (<= 3x3) systems of UniPC. */
function solve(rows: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = rows.map((r, i) => [...r, rhs[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

/** A list of step indices (diffusers' disable_corrector). */
function readStepList(config: SchedulerConfigInput, key: string): Set<number> {
  const raw = config[key];
  if (raw === undefined || raw === null) return new Set();
  if (!Array.isArray(raw) || !raw.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new SchedulerConfigError(key, `must be a list of step indices, got ${JSON.stringify(raw)}`);
  }
  return new Set(raw as number[]);
}
