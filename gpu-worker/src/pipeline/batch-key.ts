import type { ResolvedRequest } from './request';

/** Requests with equal keys share timesteps and latent size, so they can go through the UNet together. */
export function batchKey(request: ResolvedRequest): string {
  const start = request.task === 'txt2img' ? 'full' : `strength=${request.strength}`;
  // Karras sigmas change the timesteps; the rng does not (each image has its own stream).
  const scheduler = request.use_karras_sigmas ? `${request.scheduler}+karras` : request.scheduler;
  return `${request.width}x${request.height}|${scheduler}|${request.steps}|${start}`;
}
