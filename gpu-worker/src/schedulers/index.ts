import { createDdim } from './ddim';
import { createDeis } from './deis';
import { createDpmpp2m } from './dpmpp-2m';
import { SchedulerConfigError } from './errors';
import { createEuler } from './euler';
import { createEulerAncestral } from './euler-ancestral';
import { createHeun } from './heun';
import { createKdpm2 } from './kdpm2';
import { createLcm } from './lcm';
import { createLms } from './lms';
import { createPndm } from './pndm';
import type { Scheduler, SchedulerConfigInput, SchedulerName } from './types';
import { SCHEDULER_NAMES } from './types';
import { createUnipc } from './unipc';

export { SchedulerConfigError } from './errors';
export type { StrengthTimesteps } from './strength';
export { timestepsForStrength } from './strength';
export type { NoiseSource, Scheduler, SchedulerConfigInput, SchedulerName, StepOptions } from './types';
export { SCHEDULER_NAMES } from './types';

type Factory = (config: SchedulerConfigInput) => Scheduler;

const FACTORIES: Record<SchedulerName, Factory> = {
  ddim: createDdim,
  euler: createEuler,
  pndm: createPndm,
  euler_ancestral: createEulerAncestral,
  dpmpp_2m: (config) => createDpmpp2m(config),
  dpmpp_2m_karras: (config) => createDpmpp2m(config, 'dpmpp_2m_karras'),
  dpmpp_2m_sde: (config) => createDpmpp2m(config, 'dpmpp_2m_sde'),
  lcm: createLcm,
  lms: createLms,
  heun: createHeun,
  kdpm2: createKdpm2,
  deis: createDeis,
  unipc: createUnipc,
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
  return FACTORIES[name](config);
}
