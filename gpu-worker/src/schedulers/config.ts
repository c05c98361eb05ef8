import { SchedulerConfigError } from './errors';
import type { SchedulerConfigInput } from './types';

/**
 * Typed readers for `scheduler_config.json` keys. A key that is absent (or JSON null, as
 * diffusers writes for "unset") takes the scheduler class's diffusers default; a key with
 * the wrong type or out of range is rejected naming the key. Keys a scheduler does not use
 * are ignored, as diffusers does, because one config file is shared by every scheduler a
 * model can be switched to.
 */

export function readNumber(
  config: SchedulerConfigInput,
  key: string,
  fallback: number,
  limits: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = config[key];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'number' || Number.isNaN(raw)) {
    throw new SchedulerConfigError(key, `must be a number, got ${JSON.stringify(raw)}`);
  }
  if (limits.integer && !Number.isInteger(raw)) throw new SchedulerConfigError(key, 'must be an integer');
  if (limits.min !== undefined && raw < limits.min) {
    throw new SchedulerConfigError(key, `must be >= ${limits.min}, got ${raw}`, limits.min);
  }
  if (limits.max !== undefined && raw > limits.max) {
    throw new SchedulerConfigError(key, `must be <= ${limits.max}, got ${raw}`, limits.max);
  }
  return raw;
}

/** Like readNumber, but JSON null stays null (diffusers' "derive it" for e.g. sigma_min). */
export function readOptionalNumber(config: SchedulerConfigInput, key: string): number | null {
  const raw = config[key];
  if (raw === undefined || raw === null) return null;
  return readNumber(config, key, 0, { min: 0 });
}

export function readBoolean(config: SchedulerConfigInput, key: string, fallback: boolean): boolean {
  const raw = config[key];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'boolean')
    throw new SchedulerConfigError(key, `must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

export function readChoice<const T extends string>(
  config: SchedulerConfigInput,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = config[key];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new SchedulerConfigError(
      key,
      `must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`,
      choices.join('|'),
    );
  }
  return raw as T;
}

/** Reject an option diffusers has but this port deliberately does not implement. */
export function rejectUnsupported(
  config: SchedulerConfigInput,
  key: string,
  allowed: unknown,
  why: string,
): void {
  const raw = config[key];
  if (raw !== undefined && raw !== null && raw !== allowed) {
    throw new SchedulerConfigError(
      key,
      `${JSON.stringify(raw)} is not supported: ${why}`,
      JSON.stringify(allowed),
    );
  }
}

export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

export function checkInferenceSteps(numInferenceSteps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1) {
    throw new SchedulerConfigError('steps', `must be a positive integer, got ${numInferenceSteps}`, 1);
  }
  if (numInferenceSteps > numTrainTimesteps) {
    throw new SchedulerConfigError(
      'steps',
      `${numInferenceSteps} is more than the ${numTrainTimesteps} timesteps the model was trained with`,
      numTrainTimesteps,
    );
  }
}

/** Where the inference timesteps sit on the training grid: diffusers' timestep_spacing and steps_offset. */
export interface TimestepPlacement {
  spacing: TimestepSpacing;
  stepsOffset: number;
}

export function readTimestepPlacement(
  config: SchedulerConfigInput,
  defaultSpacing: TimestepSpacing,
): TimestepPlacement {
  return {
    spacing: readChoice(config, 'timestep_spacing', TIMESTEP_SPACINGS, defaultSpacing),
    stepsOffset: readNumber(config, 'steps_offset', 0, { min: 0, integer: true }),
  };
}
