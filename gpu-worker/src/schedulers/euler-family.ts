import { PREDICTION_TYPES, type PredictionType, readBoolean, readChoice } from './config';
import { eulerAlphasCumprod, eulerSchedule, readEulerScheduleOptions } from './euler-schedule';
import { noiseScheduleFromConfig } from './noise-schedule';
import { schedulerShell } from './scheduler-shell';
import { sigmaInitNoise } from './sigma-scheduler-config';
import { StepIndex } from './step-index';
import { addNoiseSigma, scaleBySigma } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput, SchedulerName } from './types';

/** What a step of the Euler family reads: the current sigmas and where the loop stands. */
export interface EulerStepContext {
  predictionType: PredictionType;
  /** The sigmas of the last setTimesteps, one more than the timesteps (the final 0). */
  sigmas(): Float32Array;
  /** Index into timesteps/sigmas of timestep `t`. */
  indexFor(t: number): number;
  /** Moves the step index on; each step calls it once. */
  advance(): void;
}

export interface EulerFamilySpec {
  name: SchedulerName;
  /** Whether `use_karras_sigmas` and the other sigma spacings are accepted (Euler: yes). */
  sigmaSpacings: boolean;
  step: (ctx: EulerStepContext) => Scheduler['step'];
}

/**
 * Euler and Euler-ancestral differ only in their step: the config (diffusers' defaults of
 * EulerDiscreteScheduler / EulerAncestralDiscreteScheduler, which agree), the sigma schedule,
 * the step index, input scaling and forward noising are this one implementation.
 */
export function createEulerFamily(config: SchedulerConfigInput, spec: EulerFamilySpec): Scheduler {
  const schedule = noiseScheduleFromConfig(config, {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  const predictionType = readChoice(config, 'prediction_type', PREDICTION_TYPES, 'epsilon');
  const alphasCumprod = eulerAlphasCumprod(schedule, readBoolean(config, 'rescale_betas_zero_snr', false));
  const scheduleOptions = readEulerScheduleOptions(config, {
    sigmaSpacings: spec.sigmaSpacings,
    predictionType,
  });
  const { numTrainTimesteps } = schedule;

  let timesteps: number[] = [];
  let sigmas: Float32Array = new Float32Array(0);
  const index = new StepIndex();
  const indexFor = (t: number) => index.at(t, timesteps);

  return schedulerShell({
    name: spec.name,
    order: 1,
    numTrainTimesteps,
    index,
    initNoiseSigma: () => sigmaInitNoise(sigmas, scheduleOptions.spacing),
    schedule(n) {
      ({ timesteps, sigmas } = eulerSchedule(alphasCumprod, n, scheduleOptions));
      return timesteps;
    },
    scaleModelInput: (sample, t) => scaleBySigma(sample, sigmas[indexFor(t)]),
    step: spec.step({ predictionType, sigmas: () => sigmas, indexFor, advance: () => index.advance() }),
    addNoise: (original, noise, t) => addNoiseSigma(original, noise, sigmas[index.forAddNoise(t, timesteps)]),
  });
}
