/** diffusers scheduler classes -> our scheduler names, to default to what the model was exported with. */
const BY_CLASS: Record<string, string> = {
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'pndm',
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler_ancestral',
  DPMSolverMultistepScheduler: 'dpmpp_2m',
  LCMScheduler: 'lcm',
};

export function schedulerForClass(className: string | undefined, config: Record<string, unknown>): string {
  const name = className ? BY_CLASS[className] : undefined;
  if (name === 'dpmpp_2m' && config.use_karras_sigmas === true) return 'dpmpp_2m_karras';
  return name ?? 'ddim';
}
