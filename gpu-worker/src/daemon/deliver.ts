import type { EdgeClient } from './edge-client';
import { EdgeRequestError, isLeaseLost } from './edge-errors';
import type { Logger } from './logger';
import type { Spool, SpooledResult } from './spool';

export type DeliveryOutcome = 'accepted' | 'lease_lost';

/**
 * Sends one spooled result: every output (PUT, idempotent), then complete (idempotent for the
 * same lease token). Network errors and 5xx are retried inside the client until `signal` aborts;
 * a complete refused with invalid_state (outputs not found) sends the outputs again. The spool
 * entry goes only once the edge accepted it or answered that the lease is gone.
 */
export async function deliverResult(
  result: SpooledResult,
  deps: { client: EdgeClient; spool: Spool; log: Logger; signal?: AbortSignal },
): Promise<DeliveryOutcome> {
  const { spool } = deps;
  try {
    for (let pass = 1; ; pass++) {
      try {
        await uploadAndComplete(result, deps);
        break;
      } catch (error) {
        // 409 invalid_state on complete: the edge does not find every output stored under this
        // lease (an upload lost on the way). The uploads are idempotent: send them all again.
        const refusedOutputs =
          error instanceof EdgeRequestError && error.status === 409 && error.code === 'invalid_state';
        if (!refusedOutputs || pass >= UPLOAD_PASSES) throw error;
        deps.log.warn('edge did not find every output: uploading again', { job_id: result.job_id, error });
      }
    }
  } catch (error) {
    if (!isLeaseLost(error)) throw error;
    deps.log.warn('edge refused the result: lease no longer held', { job_id: result.job_id, error });
    // Another worker owns the job now (or it was canceled): ours must not be the result.
    await spool.remove(result.job_id);
    return 'lease_lost';
  }
  await spool.remove(result.job_id);
  return 'accepted';
}

/** Upload-and-complete passes before an `invalid_state` refusal is taken as final. */
const UPLOAD_PASSES = 3;

async function uploadAndComplete(
  result: SpooledResult,
  deps: { client: EdgeClient; spool: Spool; signal?: AbortSignal },
): Promise<void> {
  const { client, spool, signal } = deps;
  for (const output of result.outputs) {
    const bytes = await spool.readOutput(result.job_id, output);
    await client.uploadOutput(
      result.job_id,
      output.index,
      result.lease_token,
      bytes,
      output.content_type,
      signal,
    );
  }
  await client.complete(
    result.job_id,
    {
      lease_token: result.lease_token,
      outputs: result.outputs.map(({ index, width, height, seed, content_type, nsfw }) => ({
        index,
        width,
        height,
        seed,
        content_type,
        ...(nsfw === undefined ? {} : { nsfw }),
      })),
      metrics: { inference_ms: result.inference_ms },
    },
    signal,
  );
}
