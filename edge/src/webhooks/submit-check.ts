import type { Config } from '../env';
import { ApiError } from '../errors/api-error';
import { checkTarget } from './target-guard';

/**
 * The submit-time half of the SSRF check that needs the network: where the webhook's host name
 * resolves (resolve-request.ts already refused bad schemes, credentials and address literals).
 * Refused as a 422 naming `webhook`, like every other field problem.
 */
export async function assertPublicWebhook(url: string, config: Config): Promise<void> {
  const result = await checkTarget(url, { mode: config.mode, resolverUrl: config.webhookDnsResolverUrl });
  // DNS gave no answer: the URL may well be fine, and nothing is sent at submit. Every send checks
  // again and sends nothing until DNS answers with public addresses only (retrying meanwhile).
  if (!result.ok && result.retryable) return;
  if (!result.ok) {
    throw new ApiError('validation_error', `Invalid request: webhook: ${result.problem}`, [
      { field: 'webhook', message: result.problem, limit: 'a public https URL' },
    ]);
  }
}
