import { LIMITS } from '@ldm/shared';
import type { Config } from '../env';
import { ApiError, fieldError } from '../errors/api-error';
import { checkTarget, targetProblem } from '../webhooks/target-guard';
import { base64Of } from './output-bytes';

const FETCH_TIMEOUT_MS = 15_000;

/**
 * An input image given as a URL (Replicate's usual way): fetched by the edge under the same SSRF
 * guard as webhook targets (https only, public addresses only, outside local mode), no redirects
 * followed (a redirect could point anywhere), at most LIMITS.imageMaxBytes, and returned as base64 so the engine checks the bytes like any uploaded image. Data URLs pass through unchanged.
 */
export async function imageInputAsDataUrl(field: string, value: string, config: Config): Promise<string> {
  if (value.startsWith('data:')) return value;
  const check = await checkTarget(value, { mode: config.mode, resolverUrl: config.webhookDnsResolverUrl });
  if (!check.ok && check.retryable) {
    // Our resolver is down, not the caller's URL wrong: a 503 they may retry.
    const message = 'could not be fetched: its host could not be resolved right now; retry later';
    throw new ApiError('service_unavailable', `${field}: ${message}`, [{ field, message }]);
  }
  if (!check.ok) {
    // What the URL's own text says is the caller's to read; what DNS answered (which private
    // address a name resolves to) is not, so that case gets one generic sentence.
    const problem =
      targetProblem(value, config.mode) ??
      'could not be fetched: its host does not resolve to a public address';
    throw fieldError(field, problem, 'a public https URL or a data URL');
  }
  let response: Response;
  try {
    response = await fetch(value, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    // The runtime's own text (addresses, socket errors) stays out of the answer.
    throw fieldError(field, 'could not be fetched (no answer from its host)');
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw fieldError(field, `could not be fetched: HTTP ${response.status}`);
  }
  const max = LIMITS.imageMaxBytes;
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) {
    await response.body.cancel();
    throw fieldError(field, `image must be at most ${max} bytes`, max);
  }
  // Counted as it streams: a missing or false Content-Length cannot make the edge buffer more.
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    size += chunk.byteLength;
    if (size > max) {
      await reader.cancel();
      throw fieldError(field, `image must be at most ${max} bytes`, max);
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (size === 0)
    throw new ApiError('validation_error', `${field}: the URL returned no bytes`, [
      { field, message: 'the URL returned no bytes' },
    ]);
  // Bare base64: the engine sniffs the format from the bytes; the header is not trusted.
  return base64Of(bytes);
}
