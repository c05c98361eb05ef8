import { describe, expect, it } from 'vitest';
import { schedulerForClass } from './scheduler-for-class';

describe('schedulerForClass', () => {
  it.each([
    ['PNDMScheduler', {}, 'pndm'],
    ['DDIMScheduler', {}, 'ddim'],
    ['EulerDiscreteScheduler', {}, 'euler'],
    ['EulerAncestralDiscreteScheduler', {}, 'euler_ancestral'],
    ['DPMSolverMultistepScheduler', {}, 'dpmpp_2m'],
    ['DPMSolverMultistepScheduler', { use_karras_sigmas: true }, 'dpmpp_2m_karras'],
    ['LCMScheduler', {}, 'lcm'],
    ['HeunDiscreteScheduler', {}, 'ddim'],
    [undefined, {}, 'ddim'],
  ])('%s %j -> %s', (className, config, name) => {
    expect(schedulerForClass(className, config)).toBe(name);
  });
});
