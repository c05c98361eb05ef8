import type { TimestepSpacing } from './config';
import {
  exponentialSigmas,
  interpOnIndexGrid,
  karrasSigmas,
  logFloat32,
  sigmaToTimestep,
  trainingSigmas,
} from './sigmas';
import { npArange, npLinspace, roundHalfEven } from './timestep-spacing';

/**
 * Timesteps and sigmas of diffusers' DPMSolverMultistepScheduler: integer timesteps (N + 1
 * grid points with the last dropped for linspace/leading), optionally re-spaced in sigma
 * (Karras et al. 2022 eq. 5, exponential, or uniform in log-SNR "Lu lambdas" as in the
 * DPM-Solver++ paper), then mapped back to the nearest training timestep.
 */

const f32 = Math.fround;

export interface DpmScheduleOptions {
  spacing: TimestepSpacing;
  stepsOffset: number;
  sigmaSpacing: 'interpolated' | 'karras' | 'exponential' | 'lu';
  finalSigma: 'zero' | 'sigma_min';
  lambdaMinClipped: number;
  /** diffusers keeps fractional timesteps (truncated) for the cosine schedule instead of rounding. */
  roundTimesteps: boolean;
  /** Ends of the Karras / exponential spacing where a class has sigma_min / sigma_max keys (UniPC); default the table's. */
  sigmaMin?: number | null;
  sigmaMax?: number | null;
}

/** Index of the first training timestep whose log-SNR is clipped (searchsorted on the flipped lambdas). */
function clippedCount(alphasCumprod: Float32Array, lambdaMin: number): number {
  if (lambdaMin === Number.NEGATIVE_INFINITY) return 0;
  let count = 0;
  for (let t = alphasCumprod.length - 1; t >= 0; t--) {
    const a = alphasCumprod[t];
    const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
    if (lambda < lambdaMin) count++;
    else break;
  }
  return count;
}

export function dpmSchedule(
  alphasCumprod: Float32Array,
  n: number,
  options: DpmScheduleOptions,
): { timesteps: number[]; sigmas: Float32Array } {
  const numTrain = alphasCumprod.length;
  const last = numTrain - clippedCount(alphasCumprod, options.lambdaMinClipped);
  let timesteps: number[];
  if (options.spacing === 'linspace') {
    timesteps = npLinspace(0, last - 1, n + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, -1);
  } else if (options.spacing === 'leading') {
    const ratio = Math.floor(last / (n + 1));
    timesteps = [];
    for (let i = n; i >= 1; i--) timesteps.push(i * ratio + options.stepsOffset);
  } else {
    timesteps = npArange(last, 0, -numTrain / n).map((t) => roundHalfEven(t) - 1);
  }
  const table = trainingSigmas(alphasCumprod);
  const logSigmas = logFloat32(table);
  let sigmas: number[];
  if (options.sigmaSpacing === 'interpolated') {
    sigmas = timesteps.map((t) => interpOnIndexGrid(t, table));
  } else {
    if (options.sigmaSpacing === 'lu') {
      // Uniform steps in lambda = -log(sigma) between the table's ends (rho = 1).
      const lambdaMax = logSigmas[logSigmas.length - 1];
      const lambdaMin = logSigmas[0];
      sigmas = npLinspace(0, 1, n).map((r) => Math.exp(lambdaMax + r * (lambdaMin - lambdaMax)));
    } else {
      // DPMSolverMultistepScheduler has no sigma_min/sigma_max keys: the table's ends.
      const sigmaMin = options.sigmaMin ?? table[0];
      const sigmaMax = options.sigmaMax ?? table[table.length - 1];
      sigmas =
        options.sigmaSpacing === 'karras'
          ? karrasSigmas(sigmaMin, sigmaMax, n)
          : exponentialSigmas(sigmaMin, sigmaMax, n);
    }
    timesteps = sigmas.map((s) => {
      const t = sigmaToTimestep(s, logSigmas);
      // Karras and Lu are rounded (unless cosine); exponential is only truncated, as in diffusers.
      return options.sigmaSpacing !== 'exponential' && options.roundTimesteps
        ? roundHalfEven(t)
        : Math.trunc(t);
    });
  }
  const final = options.finalSigma === 'zero' ? 0 : table[0];
  return { timesteps, sigmas: Float32Array.from([...sigmas, final]) };
}
