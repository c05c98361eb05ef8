/**
 * A request the pipeline cannot run as given. Same shape as the schedulers'
 * SchedulerConfigError (`field`, `limit`, 422 validation_error) so the worker maps both alike.
 */
export class PipelineInputError extends Error {
  override readonly name = 'PipelineInputError';
  readonly code = 'validation_error' as const;
  readonly status = 422;

  constructor(
    readonly field: string,
    message: string,
    readonly limit?: number | string,
  ) {
    super(`${field}: ${message}${limit === undefined ? '' : ` (limit: ${limit})`}`);
  }
}

/** Thrown between denoising steps when the caller's AbortSignal fired. */
export class GenerationCanceledError extends Error {
  override readonly name = 'GenerationCanceledError';
  readonly code = 'canceled' as const;

  constructor(readonly step: number) {
    super(`generation canceled before step ${step + 1}`);
  }
}
