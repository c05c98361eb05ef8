import { createDdim } from './ddim';
import { SchedulerConfigError } from './errors';
import { createEuler } from './euler';
import { createEulerAncestral } from './euler-ancestral';
import { createPndm } from './pndm';
import type { Scheduler, SchedulerConfigInput, SchedulerName } from './types';
import { SCHEDULER_NAMES } from './types';

export { SchedulerConfigError } from './errors';
export { timestepsForStrength } from './strength';
export type { NoiseSource, Scheduler, SchedulerConfigInput, SchedulerName, StepOptions } from './types';
export { SCHEDULER_NAMES } from './types';

type Factory = (config: SchedulerConfigInput) => Scheduler;

const FACTORIES: Partial<Record<SchedulerName, Factory>> = {
  ddim: createDdim,
  euler: createEuler,
  pndm: createPndm,
  euler_ancestral: createEulerAncestral,
};

export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/**
 * Build a scheduler from a diffusers `scheduler_config.json` (snake_case keys; missing keys
 * take the diffusers class's defaults; keys other schedulers use are ignored).
 */
export function createScheduler(name: string, config: SchedulerConfigInput = {}): Scheduler {
  if (!isSchedulerName(name)) {
    throw new SchedulerConfigError(
      'scheduler',
      `unknown scheduler ${JSON.stringify(name)}`,
      SCHEDULER_NAMES.join('|'),
    );
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new SchedulerConfigError('scheduler_config', 'must be a JSON object');
  }
  const factory = FACTORIES[name];
  if (!factory) throw new SchedulerConfigError('scheduler', `${name} is not available yet`);
  return factory(config);
}
