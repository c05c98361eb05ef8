import { CONTENT_TYPES, type UploadedOutput, WORKER_LIMITS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError, fieldError } from '../../errors/api-error';
import { jobIdParam, leaseTokenHeader, readLeasedJob } from './leased-job';
import {
  formatOfContentType,
  leaseSegment,
  looksLike,
  MAGIC_BYTES,
  type OutputFormat,
  outputKey,
} from './output-object';

const LIMIT = WORKER_LIMITS.outputMaxBytes;

/**
 * PUT /jobs/{id}/outputs/{index}: streams one image to R2 without buffering it. The lease is
 * checked before a byte moves, but a slow body can outlive the lease: so the object goes under
 * the lease's own folder (output-object.ts), where no other attempt's complete ever looks, and
 * records the lease token it was written under.
 */
export const outputsRoute = new Hono<AppEnv>().put('/:id/outputs/:index', async (c) => {
  const jobId = jobIdParam(c);
  const indexText = c.req.param('index');
  const index = Number(indexText);
  if (!/^\d{1,2}$/.test(indexText)) throw fieldError('index', 'must be an output index (0, 1, ...)');
  const leaseToken = leaseTokenHeader(c);

  const format = formatOfContentType(c.req.header('content-type'));
  if (!format) {
    throw new ApiError('unsupported_media_type', 'Upload outputs as image/png, image/webp or image/jpeg.', [
      { field: 'Content-Type', message: 'must be image/png, image/webp or image/jpeg' },
    ]);
  }
  const length = Number(c.req.header('content-length') ?? Number.NaN);
  if (!Number.isInteger(length) || length <= 0) {
    throw fieldError('Content-Length', 'required: the exact byte size of the image (no chunked uploads)');
  }
  if (length > LIMIT) {
    throw new ApiError('payload_too_large', `An output may be at most ${LIMIT} bytes.`, [
      { field: '(body)', message: `must be at most ${LIMIT} bytes`, limit: LIMIT },
    ]);
  }

  const job = await readLeasedJob(c, jobId, leaseToken);
  if (index >= job.input.num_outputs) {
    throw fieldError(
      'index',
      `must be below num_outputs (${job.input.num_outputs})`,
      job.input.num_outputs - 1,
    );
  }
  if (format !== job.input.output_format) {
    const expected = CONTENT_TYPES[job.input.output_format];
    throw new ApiError('unsupported_media_type', `This job's outputs are ${expected}.`, [
      { field: 'Content-Type', message: `must be ${expected}`, limit: expected },
    ]);
  }
  const body = c.req.raw.body;
  if (!body) throw fieldError('(body)', 'required: the image bytes');

  const key = outputKey(job.accountId, jobId, await leaseSegment(leaseToken), index, format);
  const checked = checkMagic(body, format, length);
  try {
    await c.env.OUTPUTS.put(key, checked.stream, {
      httpMetadata: { contentType: CONTENT_TYPES[format] },
      customMetadata: { job_id: jobId, lease_token: leaseToken },
    });
  } catch (error) {
    if (checked.refused()) {
      throw new ApiError('unsupported_media_type', `The body is not a ${format.toUpperCase()} image.`, [
        { field: '(body)', message: `must start with the ${format} signature` },
      ]);
    }
    throw error;
  }
  const reply: UploadedOutput = { index, key, content_type: CONTENT_TYPES[format], bytes: length };
  return c.json(reply);
});

/**
 * Passes the body through, refusing it at the first chunks unless they carry the format's
 * signature. The declared length is kept (R2 needs it to accept a stream).
 */
function checkMagic(body: ReadableStream<Uint8Array>, format: OutputFormat, length: number) {
  let head = new Uint8Array(0);
  let decided = false;
  let refused = false;
  const checker = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (!decided) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        head = joined;
        if (head.length >= MAGIC_BYTES || head.length >= length) {
          decided = true;
          if (!looksLike(format, head.subarray(0, MAGIC_BYTES))) {
            refused = true;
            controller.error(new Error('signature mismatch'));
            return;
          }
        }
      }
      controller.enqueue(chunk);
    },
  });
  const fixed = new FixedLengthStream(length);
  body
    .pipeThrough(checker)
    .pipeTo(fixed.writable)
    .catch(() => {});
  return { stream: fixed.readable, refused: () => refused };
}
