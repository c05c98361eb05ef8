/**
 * A bad scheduler name, config value or call argument. Carries the offending field and
 * the limit so the worker can turn it into a `validation_error` naming both.
 */
export class SchedulerConfigError extends Error {
  readonly code = 'validation_error' as const;
  readonly status = 422;
  constructor(
    readonly field: string,
    message: string,
    readonly limit?: number | string,
  ) {
    super(`${field}: ${message}${limit === undefined ? '' : ` (limit: ${limit})`}`);
    this.name = 'SchedulerConfigError';
  }
}
