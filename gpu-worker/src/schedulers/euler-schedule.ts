import type { TimestepSpacing } from './config';
import { readChoice, readOptionalNumber, readTimestepPlacement, rejectUnsupported } from './config';
import type { NoiseSchedule } from './noise-schedule';
import { readSigmaSpacingFlags } from './sigma-spacing-config';
import {
  exponentialSigmas,
  interpOnIndexGrid,
  karrasSigmas,
  logFloat32,
  sigmaToTimestep,
  trainingSigmas,
} from './sigmas';
import { leadingTimesteps, npLinspace, trailingTimesteps } from './timestep-spacing';
import type { SchedulerConfigInput } from './types';

/**
 * The timestep/sigma schedule of diffusers' Euler discrete schedulers: float timesteps,
 * sigmas interpolated from the training table (or Karras / exponential spacing), and a
 * final sigma of 0 or sigma_min.
 */

const f32 = Math.fround;

export interface EulerScheduleOptions {
  spacing: TimestepSpacing;
  stepsOffset: number;
  sigmaSpacing: 'interpolated' | 'karras' | 'exponential';
  sigmaMin: number | null;
  sigmaMax: number | null;
  finalSigma: 'zero' | 'sigma_min';
  /** timestep_type 'continuous' with v_prediction: feed 0.25 * log(sigma) as the timestep. */
  continuousTimesteps: boolean;
}

export function readEulerScheduleOptions(
  config: SchedulerConfigInput,
  features: {
    sigmaSpacings: boolean;
    /**
     * Whether the class declares sigma_min / sigma_max / final_sigmas_type / timestep_type
     * (EulerDiscreteScheduler does; LMS, Heun and KDPM2 take the schedule's own ends and a final 0).
     */
    sigmaBounds?: boolean;
    predictionType: string;
  },
): EulerScheduleOptions {
  const bounds = features.sigmaSpacings && features.sigmaBounds !== false;
  const { spacing, stepsOffset } = readTimestepPlacement(config, 'linspace');
  let sigmaSpacing: EulerScheduleOptions['sigmaSpacing'] = 'interpolated';
  let finalSigma: EulerScheduleOptions['finalSigma'] = 'zero';
  let continuousTimesteps = false;
  if (features.sigmaSpacings) {
    const { karras, exponential } = readSigmaSpacingFlags(config);
    sigmaSpacing = karras ? 'karras' : exponential ? 'exponential' : 'interpolated';
  }
  if (bounds) {
    rejectUnsupported(
      config,
      'interpolation_type',
      'linear',
      'only linear sigma interpolation is implemented',
    );
    finalSigma = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero');
    const timestepType = readChoice(config, 'timestep_type', ['discrete', 'continuous'] as const, 'discrete');
    continuousTimesteps = timestepType === 'continuous' && features.predictionType === 'v_prediction';
  }
  return {
    spacing,
    stepsOffset,
    sigmaSpacing,
    sigmaMin: bounds ? readOptionalNumber(config, 'sigma_min') : null,
    sigmaMax: bounds ? readOptionalNumber(config, 'sigma_max') : null,
    finalSigma,
    continuousTimesteps,
  };
}

/** Training alphas_cumprod with diffusers' zero-SNR fix-up (a_T = 2^-24 so sigma_T is finite). */
export function eulerAlphasCumprod(schedule: NoiseSchedule, zeroSnr: boolean): Float32Array {
  if (!zeroSnr) return schedule.alphasCumprod;
  const copy = schedule.alphasCumprod.slice();
  copy[copy.length - 1] = 2 ** -24;
  return copy;
}

export interface EulerSchedule {
  timesteps: number[];
  /** n + 1 sigmas, float32; the last is the target of the final step. */
  sigmas: Float32Array;
}

export function eulerSchedule(
  alphasCumprod: Float32Array,
  n: number,
  options: EulerScheduleOptions,
): EulerSchedule {
  const numTrain = alphasCumprod.length;
  let timesteps: number[];
  if (options.spacing === 'linspace') {
    timesteps = npLinspace(0, numTrain - 1, n)
      .map(f32)
      .reverse();
  } else if (options.spacing === 'leading') {
    timesteps = leadingTimesteps(numTrain, n, options.stepsOffset);
  } else {
    timesteps = trailingTimesteps(numTrain, n);
  }
  const table = trainingSigmas(alphasCumprod);
  let sigmas = timesteps.map((t) => interpOnIndexGrid(t, table));
  if (options.sigmaSpacing !== 'interpolated') {
    const logSigmas = logFloat32(table);
    const sigmaMin = options.sigmaMin ?? sigmas[sigmas.length - 1];
    const sigmaMax = options.sigmaMax ?? sigmas[0];
    sigmas =
      options.sigmaSpacing === 'karras'
        ? karrasSigmas(sigmaMin, sigmaMax, n)
        : exponentialSigmas(sigmaMin, sigmaMax, n);
    timesteps = sigmas.map((s) => f32(sigmaToTimestep(s, logSigmas)));
  }
  const last = options.finalSigma === 'zero' ? 0 : table[0];
  const sigmas32 = Float32Array.from([...sigmas, last]);
  if (options.continuousTimesteps) {
    timesteps = Array.from(sigmas32.subarray(0, n), (s) => f32(0.25 * f32(Math.log(s))));
  }
  return { timesteps, sigmas: sigmas32 };
}
