import type { Generation, GenerationRequestInput, OpenAIImagesResponse } from '@ldm/shared';
import type { Context } from 'hono';
import { compatConfigFor } from '../../compat/compat-config';
import { engineCall } from '../../compat/engine-call';
import { base64Of, outputFiles } from '../../compat/output-bytes';
import type { AppEnv } from '../../context';
import { isTerminal } from '../../generations/load-generation';
import { waitForResult } from '../../generations/wait-for-result';
import { holdWatchSlot } from '../../generations/watch-slot';
import { failedGenerationStatus } from './failure-status';
import { markSubmitted, OpenAIApiError, openaiErrorResponse } from './openai-error';

/**
 * Runs one generation through the engine and answers in OpenAI's Images shape once the images
 * exist: signed URLs (`url`) or the bytes themselves (`b64_json`).
 */
export async function answerWithImages(
  c: Context<AppEnv>,
  request: GenerationRequestInput,
  responseFormat: 'url' | 'b64_json',
): Promise<Response> {
  // OPENAI_HOLD_SECONDS (540): under the `openai` client's 10-minute timeout, so it reads an
  // answer instead of timing out and re-POSTing (which would render the images twice).
  const hold = compatConfigFor(c.env).openaiHoldSeconds;
  // One watch slot for the whole hold, taken before anything is created (a 429 leaves nothing to
  // duplicate): the engine is called without Prefer, whose wait is capped at 60 s and would give
  // its slot back while this request goes on holding.
  const release = await holdWatchSlot(c, hold * 1000);
  let generation: Generation;
  try {
    const started = Date.now();
    const created = await engineCall(c, '', { method: 'POST', body: request });
    if (!created.ok) {
      const retryAfter = created.headers.get('retry-after');
      return openaiErrorResponse(
        c,
        created.status,
        created.body.error,
        retryAfter ? { 'Retry-After': retryAfter } : {},
      );
    }
    markSubmitted(c);
    generation = created.body;
    if (!isTerminal(generation.status)) {
      const leftSeconds = Math.max(0, hold * 1000 - (Date.now() - started)) / 1000;
      await waitForResult(c, generation.id, { status: generation.status }, leftSeconds);
      const again = await engineCall(c, `/${generation.id}`);
      if (!again.ok) return openaiErrorResponse(c, again.status, again.body.error);
      generation = again.body;
    }
  } finally {
    await release();
  }
  c.header('x-should-retry', 'false');
  c.header('x-ldm-generation-id', generation.id);
  if (generation.status === 'failed') {
    throw new OpenAIApiError(
      failedGenerationStatus(generation.error?.code),
      `Generation ${generation.id} failed: ${generation.error?.message ?? 'unknown error'}`,
      null,
      'generation_failed',
    );
  }
  if (generation.status === 'canceled') {
    throw new OpenAIApiError(409, `Generation ${generation.id} was canceled.`, null, 'generation_canceled');
  }
  if (generation.status !== 'succeeded') {
    throw new OpenAIApiError(
      504,
      `The images were not ready within ${hold} s; generation ${generation.id} goes on: GET /v1/generations/${generation.id} with the same key.`,
      null,
      'timeout',
    );
  }
  const data =
    responseFormat === 'b64_json'
      ? (await outputFiles(c, generation.id)).map((file) => ({ b64_json: base64Of(file.bytes) }))
      : generation.outputs.map((output) => ({ url: output.url }));
  const first = generation.outputs[0];
  const body: OpenAIImagesResponse = {
    created: Math.floor(Date.parse(generation.created_at) / 1000),
    data,
    ...(first ? { size: `${first.width}x${first.height}` } : {}),
    output_format: generation.input.output_format,
  };
  return c.json(body);
}
