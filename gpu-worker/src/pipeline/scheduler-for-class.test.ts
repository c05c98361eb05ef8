import { describe, expect, it } from 'vitest';
import { FALLBACK_SCHEDULER, schedulerForClass } from './scheduler-for-class';

describe('schedulerForClass', () => {
  it.each([
    ['PNDMScheduler', {}, 'pndm'],
    ['DDIMScheduler', {}, 'ddim'],
    ['EulerDiscreteScheduler', {}, 'euler'],
    ['EulerDiscreteScheduler', { use_karras_sigmas: true }, 'euler'],
    ['EulerAncestralDiscreteScheduler', {}, 'euler_ancestral'],
    ['DPMSolverMultistepScheduler', {}, 'dpmpp_2m'],
    ['DPMSolverMultistepScheduler', { use_karras_sigmas: true }, 'dpmpp_2m_karras'],
    [
      'DPMSolverMultistepScheduler',
      { algorithm_type: 'sde-dpmsolver++', use_karras_sigmas: true },
      'dpmpp_2m_sde',
    ],
    ['LCMScheduler', {}, 'lcm'],
    ['LMSDiscreteScheduler', {}, 'lms'],
    ['HeunDiscreteScheduler', {}, 'heun'],
    ['KDPM2DiscreteScheduler', {}, 'kdpm2'],
    ['DEISMultistepScheduler', {}, 'deis'],
    ['UniPCMultistepScheduler', {}, 'unipc'],
  ])('%s %j -> %s, equivalent', (className, config, name) => {
    expect(schedulerForClass(className, config)).toEqual({ scheduler: name, className, equivalent: true });
  });

  it.each([
    ['DDPMScheduler', {}, /DDPMScheduler is not implemented/],
    ['KDPM2AncestralDiscreteScheduler', {}, /not implemented/],
    ['DPMSolverSinglestepScheduler', {}, /not implemented/],
    // A class we have with an option we lack is not that class either.
    ['DPMSolverMultistepScheduler', { algorithm_type: 'dpmsolver' }, /algorithm_type/],
    ['EulerDiscreteScheduler', { interpolation_type: 'log_linear' }, /interpolation_type/],
  ])('%s %j is not silently another scheduler: it says so', (className, config, reason) => {
    const choice = schedulerForClass(className, config);
    expect(choice).toMatchObject({ scheduler: FALLBACK_SCHEDULER, className, equivalent: false });
    expect(choice.reason).toMatch(reason);
  });

  it('no class at all', () => {
    expect(schedulerForClass(undefined, {})).toMatchObject({ equivalent: false, reason: 'no _class_name' });
  });
});
