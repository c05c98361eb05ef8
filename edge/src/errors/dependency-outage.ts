/**
 * Whether an error means a dependency (Redis over REST, R2) could not be reached, as opposed to a
 * bug: the client surfaces workerd's network failures and the REST endpoint's HTTP errors as plain
 * Errors, so they are recognised by message. Such failures are answered 503 with Retry-After,
 * which tells a well-behaved client to back off and try again.
 */
const OUTAGE = [
  /network connection lost/i,
  /fetch failed/i,
  /connection (refused|reset|closed)/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT/,
  /^Unauthorized/, // the REST endpoint refused our token: misconfiguration, not the caller's fault
  /\b(502|503|504)\b.*(bad gateway|unavailable|timeout)/i,
];

export function isDependencyOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}`;
  return OUTAGE.some((pattern) => pattern.test(text));
}
