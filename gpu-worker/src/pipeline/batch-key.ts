import type { ResolvedRequest } from './request';

/** Requests with equal keys share timesteps and latent size, so they can go through the UNet together. */
export function batchKey(request: ResolvedRequest): string {
  const start = request.task === 'txt2img' ? 'full' : `strength=${request.strength}`;
  return `${request.width}x${request.height}|${request.scheduler}|${request.steps}|${start}`;
}
