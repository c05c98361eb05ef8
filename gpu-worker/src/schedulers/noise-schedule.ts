import { readBoolean, readChoice, readNumber } from './config';
import { SchedulerConfigError } from './errors';
import type { SchedulerConfigInput } from './types';

/**
 * The training noise schedule shared by every scheduler: betas_t and
 * alphas_cumprod_t = prod_{s<=t} (1 - beta_s) (Ho et al. 2020, eq. 4).
 *
 * diffusers builds these as float32 torch tensors, so each value here is rounded to float32
 * exactly where torch rounds (fround after each float32 op); cumprod accumulates in double
 * as torch's CPU kernel does. That keeps the tables bit-identical to diffusers', which the
 * full-loop tests rely on.
 */

const f32 = Math.fround;

export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

export interface NoiseSchedule {
  readonly numTrainTimesteps: number;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
}

export interface NoiseScheduleDefaults {
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
}

/**
 * torch.linspace(start, end, steps, dtype=float32) as torch's x86 CPU kernel computes it:
 * float32 arithmetic, the first half counted up from `start` and the second half down from
 * `end`, in AVX2 vectors of 8 (two per loop turn) whose first lane is fma(step, idx, base)
 * and whose other lanes add lane * step; the tail that does not fill two vectors is scalar.
 * Matching this bit for bit (checked against torch's own output) keeps every beta, and so
 * every alphas_cumprod and sigma, identical to diffusers' tables.
 */
export function linspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const LANES = 8;
  const vectorEnd = Math.floor(steps / (2 * LANES)) * 2 * LANES;
  // step * idx is exact in double for float step and idx < 2^29, so f32(a + step * idx) is the FMA.
  for (let idx = 0; idx < vectorEnd; idx += LANES) {
    const base = idx < halfway ? f32(s + step * idx) : f32(e - step * (steps - idx - 1));
    out[idx] = base;
    for (let lane = 1; lane < LANES; lane++) out[idx + lane] = f32(base + f32(lane * step));
  }
  for (let i = vectorEnd; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/**
 * Cosine schedule, Nichol & Dhariwal 2021 eq. 17: alpha_bar(t) = cos^2(((t + s)/(1 + s)) pi/2)
 * with s = 0.008, betas clipped at 0.999. Computed in double then stored as float32.
 */
export function cosineBetas(numTrainTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float32Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t1 = i / numTrainTimesteps;
    const t2 = (i + 1) / numTrainTimesteps;
    out[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return out;
}

/** Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are Flawed"), Algorithm 1. */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const n = betas.length;
  const sqrtBar = new Float32Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc *= f32(1 - betas[i]);
    sqrtBar[i] = Math.sqrt(f32(acc));
  }
  const first = sqrtBar[0];
  const last = sqrtBar[n - 1];
  const scale = f32(first / f32(first - last));
  const bar = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const shifted = f32(sqrtBar[i] - last);
    const scaled = f32(shifted * scale);
    bar[i] = f32(scaled * scaled);
  }
  const out = new Float32Array(n);
  out[0] = f32(1 - bar[0]);
  for (let i = 1; i < n; i++) out[i] = f32(1 - f32(bar[i] / bar[i - 1]));
  return out;
}

function trainedBetas(raw: unknown): Float32Array {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    raw.some((b) => typeof b !== 'number' || !(b > 0 && b < 1))
  ) {
    throw new SchedulerConfigError('trained_betas', 'must be a non-empty array of numbers in (0, 1)');
  }
  return Float32Array.from(raw as number[]);
}

/** Read num_train_timesteps, beta_* and rescale_betas_zero_snr and build the tables. */
export function noiseScheduleFromConfig(
  config: SchedulerConfigInput,
  defaults: NoiseScheduleDefaults,
  options: { hasZeroSnrKey: boolean } = { hasZeroSnrKey: true },
): NoiseSchedule {
  let betas: Float32Array;
  if (config.trained_betas !== undefined && config.trained_betas !== null) {
    betas = trainedBetas(config.trained_betas);
  } else {
    const numTrainTimesteps = readNumber(config, 'num_train_timesteps', 1000, {
      min: 2,
      max: 100_000,
      integer: true,
    });
    const betaStart = readNumber(config, 'beta_start', defaults.beta_start, { min: 0, max: 1 });
    const betaEnd = readNumber(config, 'beta_end', defaults.beta_end, { min: 0, max: 1 });
    const schedule = readChoice(config, 'beta_schedule', BETA_SCHEDULES, defaults.beta_schedule);
    if (schedule === 'linear') {
      betas = linspaceFloat32(betaStart, betaEnd, numTrainTimesteps);
    } else if (schedule === 'scaled_linear') {
      // Stable Diffusion's schedule: linear in sqrt(beta), then squared.
      betas = linspaceFloat32(betaStart ** 0.5, betaEnd ** 0.5, numTrainTimesteps);
      for (let i = 0; i < betas.length; i++) betas[i] = f32(betas[i] * betas[i]);
    } else {
      betas = cosineBetas(numTrainTimesteps);
    }
  }
  // A class without the key (PNDM) ignores it, as diffusers ignores keys a class does not declare.
  if (options.hasZeroSnrKey && readBoolean(config, 'rescale_betas_zero_snr', false)) {
    betas = rescaleZeroTerminalSnr(betas);
  }
  const alphasCumprod = new Float32Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f32(1 - betas[i]);
    alphasCumprod[i] = acc;
  }
  return { numTrainTimesteps: betas.length, betas, alphasCumprod };
}
