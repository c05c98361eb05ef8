import type { FieldIssue } from '@ldm/shared';
import { LdmApiError, LdmConnectionError, LdmGenerationError, LdmTimeoutError } from '../errors';

function issueText(issue: FieldIssue): string {
  const text = issue.field === '(body)' ? issue.message : `${issue.field} ${issue.message}`;
  const limit = issue.limit;
  if (limit === undefined || (typeof limit === 'string' && text.includes(limit))) return text;
  return `${text} (limit ${limit})`;
}

/** One line a person can act on: `validation_error: width must be a multiple of 8 (limit 8)`. */
export function formatError(error: unknown, baseUrl?: string): string {
  if (error instanceof LdmApiError) {
    const what = error.details.length ? error.details.map(issueText).join('; ') : error.message;
    const trace = error.status >= 500 && error.requestId ? ` (request ${error.requestId})` : '';
    const wait = error.retryAfterSeconds ? ` (retry after ${Math.ceil(error.retryAfterSeconds)} s)` : '';
    return `${error.code}: ${what}${wait}${trace}`;
  }
  if (error instanceof LdmConnectionError) {
    const hint =
      baseUrl && /\/\/(127\.0\.0\.1|localhost)[:/]/.test(baseUrl)
        ? ' (is the local stack running? npm start)'
        : '';
    return `cannot reach ${baseUrl ?? 'the API'}: ${error.message}${hint}`;
  }
  if (error instanceof LdmGenerationError || error instanceof LdmTimeoutError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
