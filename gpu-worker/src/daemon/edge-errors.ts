/**
 * Typed control-flow errors of the edge client, checked with `instanceof` (or by `name` across
 * module copies), in the manner of BullMQ's UnrecoverableError.
 */

/** The edge answered 409 lease_lost (or 404: the job is gone): this worker must stop and discard. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly jobId: string,
    readonly reason: 'lease_lost' | 'not_found' = 'lease_lost',
    detail = '',
  ) {
    super(`lease on job ${jobId} is no longer held (${reason})${detail ? `: ${detail}` : ''}`);
  }
}

/** A 4xx other than lease loss: retrying the same request cannot succeed. */
export class EdgeRequestError extends Error {
  override readonly name = 'EdgeRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${status} ${code}: ${message}`);
  }
}

/** The edge could not be reached (or kept answering 5xx) and retrying was stopped by a signal. */
export class EdgeUnavailableError extends Error {
  override readonly name = 'EdgeUnavailableError';
}

export const isLeaseLost = (error: unknown): error is LeaseLostError =>
  (error as Error | undefined)?.name === 'LeaseLostError';
