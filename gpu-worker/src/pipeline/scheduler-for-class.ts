import { createScheduler } from '../schedulers';

/**
 * diffusers scheduler classes and the scheduler here that computes the same thing from the same
 * config. Only equivalent classes are listed: DDPMScheduler, DPMSolverSinglestepScheduler,
 * KDPM2AncestralDiscreteScheduler and the rest are not mapped to something that merely resembles them.
 */
const BY_CLASS: Record<string, string> = {
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'pndm',
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler_ancestral',
  DPMSolverMultistepScheduler: 'dpmpp_2m',
  LCMScheduler: 'lcm',
  LMSDiscreteScheduler: 'lms',
  HeunDiscreteScheduler: 'heun',
  KDPM2DiscreteScheduler: 'kdpm2',
  DEISMultistepScheduler: 'deis',
  UniPCMultistepScheduler: 'unipc',
};

/** Used when the export's class has no equivalent here (said in the log and in the model info). */
export const FALLBACK_SCHEDULER = 'ddim';

export interface SchedulerChoice {
  /** The default scheduler for requests that name none. */
  scheduler: string;
  /** The class scheduler_config.json names, if any. */
  className?: string;
  /**
   * Whether `scheduler` is that class: false when the class (or one of its config options) is
   * not implemented, and the default fell back to FALLBACK_SCHEDULER.
   */
  equivalent: boolean;
  /** Why not, for the log and the model info. */
  reason?: string;
}

/** The model's own scheduler, as diffusers would build it from scheduler/scheduler_config.json. */
export function schedulerForClass(
  className: string | undefined,
  config: Record<string, unknown>,
): SchedulerChoice {
  if (!className) return { scheduler: FALLBACK_SCHEDULER, equivalent: false, reason: 'no _class_name' };
  const mapped = BY_CLASS[className];
  if (!mapped) {
    return {
      scheduler: FALLBACK_SCHEDULER,
      className,
      equivalent: false,
      reason: `${className} is not implemented`,
    };
  }
  let scheduler = mapped;
  if (mapped === 'dpmpp_2m' && config.algorithm_type === 'sde-dpmsolver++') scheduler = 'dpmpp_2m_sde';
  else if (mapped === 'dpmpp_2m' && config.use_karras_sigmas === true) scheduler = 'dpmpp_2m_karras';
  try {
    // A class we have, with an option we do not (e.g. DPM-Solver's deprecated `dpmsolver`), is not equivalent.
    createScheduler(scheduler, config);
  } catch (error) {
    return { scheduler: FALLBACK_SCHEDULER, className, equivalent: false, reason: (error as Error).message };
  }
  return { scheduler, className, equivalent: true };
}
