import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from '../context';
import { ApiError } from '../errors/api-error';
import { fieldIssues } from '../errors/zod-issues';

export interface ParsedBody<T> {
  data: T;
  /** The body exactly as received (idempotency hashes it). */
  raw: string;
}

/**
 * Reads a JSON body (its size was already bounded by the body-limit middleware) and checks it
 * against a shared schema: 415 for another media type, 400 for broken JSON, 422 naming each bad field.
 */
export async function parseJsonBody<S extends z.ZodType>(
  c: Context<AppEnv>,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<ParsedBody<z.output<S>>> {
  const raw = await c.req.text();
  const type = c.req.header('content-type') ?? '';
  if (raw.trim() === '' && options.optional) return { data: schema.parse({}), raw };
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ApiError('unsupported_media_type', 'Send the body as Content-Type: application/json.', [
      { field: 'Content-Type', message: 'must be application/json', limit: 'application/json' },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ApiError('invalid_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  // Hono keeps the body text cached for the whole request; everything that needs it (the
  // idempotency hash) ran before this, so drop the cache: for an inpaint with two 10 MB images
  // that is 28 MB the isolate need not hold while it decodes them.
  delete (c.req as unknown as { bodyCache: { text?: string } }).bodyCache.text;
  const result = schema.safeParse(json);
  if (!result.success) {
    const details = fieldIssues(result.error);
    const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
    throw new ApiError('validation_error', `Invalid request: ${summary}`, details);
  }
  return { data: result.data, raw };
}
