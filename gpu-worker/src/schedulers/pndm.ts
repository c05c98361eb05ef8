import { readBoolean, readChoice, readTimestepPlacement } from './config';
import { SchedulerConfigError } from './errors';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { addNoiseAlphaBar, resultBuffer } from './tensor-ops';
import { npArange, npLinspace, roundHalfEven } from './timestep-spacing';
import type { Scheduler, SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * PNDM, Liu et al. 2022 ("Pseudo Numerical Methods for Diffusion Models on Manifolds").
 * The transfer part phi(x_t, eps, t, t - delta) is eq. 11 (the DDIM step written as one
 * linear map); the gradient part combines past epsilons:
 *  - PLMS, eq. 12 (linear multistep, Adams-Bashforth 4):
 *      eps' = (55 e_t - 59 e_{t-d} + 37 e_{t-2d} - 9 e_{t-3d}) / 24,
 *    warmed up with lower-order AB formulas; this is what Stable Diffusion uses
 *    (`skip_prk_steps: true` in its scheduler_config.json).
 *  - PRK, eq. 13 (Runge-Kutta 4) for the first three steps when skip_prk_steps is false
 *    (diffusers' default), costing 4 model evaluations per step.
 * Defaults are diffusers' PNDMScheduler's.
 */
export function createPndm(config: SchedulerConfigInput): Scheduler {
  const schedule = noiseScheduleFromConfig(
    config,
    { beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' },
    { hasZeroSnrKey: false },
  );
  const { alphasCumprod, numTrainTimesteps } = schedule;
  const skipPrkSteps = readBoolean(config, 'skip_prk_steps', false);
  const setAlphaToOne = readBoolean(config, 'set_alpha_to_one', false);
  const predictionType = readChoice(
    config,
    'prediction_type',
    ['epsilon', 'v_prediction'] as const,
    'epsilon',
  );
  const { spacing, stepsOffset } = readTimestepPlacement(config, 'leading');
  const finalAlphaCumprod = setAlphaToOne ? 1 : alphasCumprod[0];
  const alphaAt = (t: number) => (t >= 0 ? alphasCumprod[t] : finalAlphaCumprod);

  let numInferenceSteps = 0;
  let prkTimesteps: number[] = [];
  let timesteps: number[] = [];
  // Multistep state: past epsilons (newest last), the RK accumulator and the sample it started from.
  let ets: Float32Array[] = [];
  let counter = 0;
  let curModelOutput: Float32Array | null = null;
  let curSample: Float32Array | null = null;
  // The combined epsilon of a PLMS step; only read within the step, so one buffer is reused.
  let epsScratch = new Float32Array(0);

  /** eq. 11: x_{t-d} = sqrt(a'/a) x_t - (a' - a) eps / (a sqrt(1-a') + sqrt(a (1-a) a')). */
  function prevSample(sample: Float32Array, t: number, prevT: number, eps: Float32Array, out: Float32Array) {
    const a = alphaAt(t);
    const aPrev = alphaAt(prevT);
    const b = f32(1 - a);
    const bPrev = f32(1 - aPrev);
    const sampleCoeff = f32(Math.sqrt(f32(aPrev / a)));
    const denom = f32(f32(a * f32(Math.sqrt(bPrev))) + f32(Math.sqrt(f32(f32(a * b) * aPrev))));
    const diff = f32(aPrev - a);
    const sqrtA = f32(Math.sqrt(a));
    const sqrtB = f32(Math.sqrt(b));
    for (let i = 0; i < out.length; i++) {
      let e = eps[i];
      // v-prediction (Salimans & Ho 2022): eps = sqrt(a) v + sqrt(1-a) x_t.
      if (predictionType === 'v_prediction') e = f32(f32(sqrtA * e) + f32(sqrtB * sample[i]));
      out[i] = f32(sampleCoeff * sample[i]) - f32(f32(diff * e) / denom);
    }
    return out;
  }

  function stepPrk(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    out: Float32Array,
  ): Float32Array {
    const n = numInferenceSteps;
    const half = Math.floor(Math.floor(numTrainTimesteps / n) / 2);
    const prevT = t - (counter % 2 ? 0 : half);
    const baseT = prkTimesteps[Math.floor(counter / 4) * 4];
    let eps: Float32Array = modelOutput;
    // RK4 weights 1/6, 1/3, 1/3, 1/6 over the four evaluations of one step.
    const phase = counter % 4;
    if (phase === 0) {
      curModelOutput = new Float32Array(modelOutput.length);
      accumulate(curModelOutput, modelOutput, 1 / 6);
      ets.push(modelOutput.slice());
      curSample = sample.slice();
    } else if (phase === 1 || phase === 2) {
      accumulate(curModelOutput as Float32Array, modelOutput, 1 / 3);
    } else {
      eps = curModelOutput as Float32Array;
      accumulate(eps, modelOutput, 1 / 6);
      curModelOutput = null;
    }
    const result = prevSample(curSample ?? sample, baseT, prevT, eps, out);
    counter++;
    return result;
  }

  function stepPlms(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    out: Float32Array,
  ): Float32Array {
    if (!skipPrkSteps && ets.length < 3) {
      throw new SchedulerConfigError('timestep', 'PLMS steps need the three Runge-Kutta warm-up steps first');
    }
    const n = numInferenceSteps;
    const stride = Math.floor(numTrainTimesteps / n);
    let prevT = t - stride;
    let curT = t;
    if (counter !== 1) {
      // Keep the last four epsilons; the dropped one's buffer takes the new copy.
      const recycled = ets.length > 3 ? ets.splice(0, ets.length - 3)[0] : undefined;
      ets.push(copyInto(recycled, modelOutput));
    } else {
      // Second call of the pseudo-improved-Euler warm-up: redo the first step from its start.
      prevT = t;
      curT = t + stride;
    }
    const len = modelOutput.length;
    if (epsScratch.length !== len) epsScratch = new Float32Array(len);
    const eps = epsScratch;
    let x = sample;
    const k = ets.length;
    if (k === 1 && counter === 0) {
      eps.set(modelOutput);
      curSample = sample.slice();
    } else if (k === 1 && counter === 1) {
      const e1 = ets[0];
      for (let i = 0; i < len; i++) eps[i] = f32(modelOutput[i] + e1[i]) / 2;
      x = curSample as Float32Array;
      curSample = null;
    } else if (k === 2) {
      const [e2, e1] = ets;
      for (let i = 0; i < len; i++) eps[i] = f32(f32(3 * e1[i]) - e2[i]) / 2;
    } else if (k === 3) {
      const [e3, e2, e1] = ets;
      for (let i = 0; i < len; i++)
        eps[i] = f32(f32(f32(23 * e1[i]) - f32(16 * e2[i])) + f32(5 * e3[i])) / 12;
    } else {
      const [e4, e3, e2, e1] = ets;
      const c = f32(1 / 24);
      for (let i = 0; i < len; i++) {
        eps[i] = c * f32(f32(f32(f32(55 * e1[i]) - f32(59 * e2[i])) + f32(37 * e3[i])) - f32(9 * e4[i]));
      }
    }
    const result = prevSample(x, curT, prevT, eps, out);
    counter++;
    return result;
  }

  return schedulerShell({
    name: 'pndm',
    order: 1,
    initNoiseSigma: () => 1,
    numTrainTimesteps,
    tOnlyInputs: true,
    // PNDM's multistep state is positional (counter), like diffusers' PNDM which has no begin index.
    schedule(n) {
      numInferenceSteps = n;
      // Ascending base grid, as diffusers builds it before splitting into PRK and PLMS parts.
      let base: number[];
      if (spacing === 'linspace') {
        base = npLinspace(0, numTrainTimesteps - 1, n).map(roundHalfEven);
      } else if (spacing === 'leading') {
        const ratio = Math.floor(numTrainTimesteps / n);
        base = Array.from({ length: n }, (_, i) => i * ratio + stepsOffset);
      } else {
        base = npArange(numTrainTimesteps, 0, -numTrainTimesteps / n)
          .map((t) => roundHalfEven(t) - 1)
          .reverse();
      }
      let plms: number[];
      if (skipPrkSteps) {
        // PLMS's warm-up evaluates the first timestep twice: [..., t1, t1, t0] reversed.
        prkTimesteps = [];
        plms = [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse();
      } else {
        // Each of the last 4 base timesteps and its midpoint t + (T/N)/2, as RK4 stages.
        const half = Math.floor(Math.floor(numTrainTimesteps / n) / 2);
        const stages: number[] = [];
        for (const t of base.slice(-4)) stages.push(t, t + half);
        const repeated = stages.slice(0, -1).flatMap((t) => [t, t]);
        prkTimesteps = repeated.slice(1, -1).reverse();
        plms = base.slice(0, -3).reverse();
      }
      timesteps = [...prkTimesteps, ...plms];
      ets = [];
      counter = 0;
      curModelOutput = null;
      curSample = null;
      return timesteps;
    },
    scaleModelInput: (sample) => sample,
    step(modelOutput, t, sample, options) {
      const out = resultBuffer(options.out, sample.length);
      if (counter < prkTimesteps.length && !skipPrkSteps) return stepPrk(modelOutput, t, sample, out);
      return stepPlms(modelOutput, t, sample, out);
    },
    addNoise(original, noise, t) {
      return addNoiseAlphaBar(original, noise, alphaAt(t));
    },
  });
}

/** target += weight * values, with the weight rounded to float32 as torch does for a Python scalar. */
function accumulate(target: Float32Array, values: Float32Array, weight: number): void {
  const w = f32(weight);
  for (let i = 0; i < target.length; i++) target[i] = target[i] + f32(w * values[i]);
}

function copyInto(target: Float32Array | undefined, source: Float32Array): Float32Array {
  if (target?.length !== source.length) return source.slice();
  target.set(source);
  return target;
}
