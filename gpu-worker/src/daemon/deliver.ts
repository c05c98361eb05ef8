import type { EdgeClient } from './edge-client';
import { isLeaseLost } from './edge-errors';
import type { Logger } from './logger';
import type { Spool, SpooledResult } from './spool';

export type DeliveryOutcome = 'accepted' | 'lease_lost';

/**
 * Sends one spooled result: every output (PUT, idempotent), then complete (idempotent for the
 * same lease token). Network errors and 5xx are retried inside the client until `signal` aborts;
 * the spool entry goes only once the edge accepted it or answered that the lease is gone.
 */
export async function deliverResult(
  result: SpooledResult,
  deps: { client: EdgeClient; spool: Spool; log: Logger; signal?: AbortSignal },
): Promise<DeliveryOutcome> {
  const { client, spool, signal } = deps;
  try {
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
        outputs: result.outputs.map(({ index, width, height, seed, content_type }) => ({
          index,
          width,
          height,
          seed,
          content_type,
        })),
        metrics: { inference_ms: result.inference_ms },
      },
      signal,
    );
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
