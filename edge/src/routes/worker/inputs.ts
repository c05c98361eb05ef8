import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError, fieldError } from '../../errors/api-error';
import { jobIdParam, leaseTokenHeader, readLeasedJob } from './leased-job';

/**
 * GET /jobs/{id}/inputs/{image|mask}: the lease holder downloads the input image submit stored
 * (the worker holds no R2 credentials, DESIGN decision 1).
 */
export const inputsRoute = new Hono<AppEnv>().get('/:id/inputs/:kind', async (c) => {
  const jobId = jobIdParam(c);
  const kind = c.req.param('kind');
  if (kind !== 'image' && kind !== 'mask') throw fieldError('kind', 'must be image or mask');
  const job = await readLeasedJob(c, jobId, leaseTokenHeader(c));
  const key = kind === 'image' ? job.input.image_key : job.input.mask_key;
  if (!key) throw new ApiError('not_found', `Job ${jobId} has no input ${kind}.`);
  const object = await c.env.OUTPUTS.get(key);
  if (!object) throw new ApiError('not_found', `The input ${kind} of ${jobId} is no longer stored.`);
  return new Response(object.body, {
    headers: {
      'content-type': object.httpMetadata?.contentType ?? 'application/octet-stream',
      'content-length': String(object.size),
      'cache-control': 'private, no-store',
    },
  });
});
