import { readBoolean, rejectUnsupported } from './config';
import { SchedulerConfigError } from './errors';
import type { SchedulerConfigInput } from './types';

/** Which re-spacing of the sigmas a config asks for: Karras et al. 2022's, exponential, or neither. */
export interface SigmaSpacingFlags {
  karras: boolean;
  exponential: boolean;
}

/**
 * use_karras_sigmas / use_exponential_sigmas as diffusers' sigma schedulers read them: at most
 * one of the two, and beta-distribution sigmas (and, where `rejectFlowSigmas`, flow-matching
 * sigmas) refused by name. `forceKarras` is a scheduler name that implies Karras sigmas
 * (dpmpp_2m_karras), whatever the config says.
 */
export function readSigmaSpacingFlags(
  config: SchedulerConfigInput,
  options: { forceKarras?: boolean; rejectFlowSigmas?: boolean } = {},
): SigmaSpacingFlags {
  const karras = options.forceKarras === true || readBoolean(config, 'use_karras_sigmas', false);
  const exponential = readBoolean(config, 'use_exponential_sigmas', false);
  rejectUnsupported(config, 'use_beta_sigmas', false, 'beta-distribution sigmas are not implemented');
  if (options.rejectFlowSigmas) {
    rejectUnsupported(config, 'use_flow_sigmas', false, 'flow-matching sigmas are not implemented');
  }
  if (karras && exponential) {
    throw new SchedulerConfigError(
      'use_karras_sigmas',
      'only one of use_karras_sigmas, use_exponential_sigmas',
    );
  }
  return { karras, exponential };
}
