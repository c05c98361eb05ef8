import { checkInferenceSteps } from './config';
import { SchedulerConfigError } from './errors';
import type { StepIndex } from './step-index';
import { checkSameLength } from './tensor-ops';
import type { Scheduler, SchedulerName, StepOptions } from './types';

/**
 * What every scheduler repeats around its maths: the read-only fields, the schedule
 * bookkeeping of `setTimesteps` (step count check, reset of the step index and of the
 * scheduler's own multistep state), `setBeginIndex`, and the "call setTimesteps first" and
 * length guards of `step` / `addNoise`. A scheduler file supplies only the schedule and
 * the update; this shell turns them into the `Scheduler` interface.
 */
export interface ShellSpec {
  name: SchedulerName;
  /** diffusers' `order`: model evaluations per user step (Heun, KDPM2: 2). */
  order: number;
  numTrainTimesteps: number;
  /** Read after setTimesteps (some depend on the sigmas of the schedule). */
  initNoiseSigma: () => number;
  /** Build the schedule for n (checked) steps and clear any state of the previous run; returns the timesteps. */
  schedule: (n: number, options: { strength?: number }) => number[];
  /** The step-count check; default: 1 to num_train_timesteps (LCM bounds it by its own table). */
  checkSteps?: (n: number) => void;
  /**
   * scaleModelInput and addNoise depend on t alone (DDIM, PNDM, LCM), so they work before
   * setTimesteps as in diffusers; the sigma and multistep schedulers need the schedule. Default false.
   */
  tOnlyInputs?: boolean;
  /** The step index the shell resets; omitted by schedulers that derive everything from t. */
  index?: StepIndex;
  scaleModelInput: (sample: Float32Array, t: number) => Float32Array;
  /** Called only after setTimesteps, with modelOutput and sample of equal length. */
  step: (modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions) => Float32Array;
  /** Called only after setTimesteps, with noise of the sample's length. */
  addNoise: (original: Float32Array, noise: Float32Array, t: number) => Float32Array;
}

export function schedulerShell(spec: ShellSpec): Scheduler {
  let timesteps: number[] = [];
  let numInferenceSteps: number | null = null;
  const requireSchedule = (what: string) => {
    if (numInferenceSteps === null)
      throw new SchedulerConfigError('timesteps', `call setTimesteps before ${what}`);
  };
  return {
    name: spec.name,
    order: spec.order,
    numTrainTimesteps: spec.numTrainTimesteps,
    get initNoiseSigma() {
      return spec.initNoiseSigma();
    },
    get timesteps() {
      return timesteps;
    },
    get numInferenceSteps() {
      return numInferenceSteps;
    },
    setTimesteps(n, options = {}) {
      if (spec.checkSteps) spec.checkSteps(n);
      else checkInferenceSteps(n, spec.numTrainTimesteps);
      timesteps = spec.schedule(n, options);
      numInferenceSteps = n;
      spec.index?.reset();
    },
    setBeginIndex(i) {
      spec.index?.setBegin(i, timesteps.length);
    },
    scaleModelInput(sample, t) {
      if (!spec.tOnlyInputs) requireSchedule('scaleModelInput');
      return spec.scaleModelInput(sample, t);
    },
    step(modelOutput, t, sample, options: StepOptions = {}) {
      requireSchedule('step');
      checkSameLength(sample, modelOutput, 'model_output');
      return spec.step(modelOutput, t, sample, options);
    },
    addNoise(original, noise, t) {
      if (!spec.tOnlyInputs) requireSchedule('addNoise');
      checkSameLength(original, noise, 'noise');
      return spec.addNoise(original, noise, t);
    },
  };
}
