import type { ErrorCode } from './error-codes';

/**
 * One public operation, as API_ROUTES (api-routes.ts) and the compatibility surfaces' tables
 * (compat/compat-routes.ts) list it. In a file of its own so those tables need not import each other.
 */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  tag:
    | 'Generations'
    | 'Outputs'
    | 'Models'
    | 'Account'
    | 'Webhooks'
    | 'Admin'
    | 'Worker'
    | 'Billing'
    | 'System'
    | 'OpenAI Images'
    | 'Replicate';
  auth: 'api_key' | 'admin' | 'worker' | 'none' | 'api_key_or_signature' | 'stripe_signature';
  body?: string;
  /** Media type of the body; JSON when omitted. */
  bodyMediaType?: 'multipart/form-data';
  /** Schema of error bodies; the platform's `Error` when omitted (compatibility surfaces differ). */
  errorSchema?: string;
  /** Success status and response schema id (or a media type for binary bodies). */
  response: { status: number; schema?: string; mediaType?: string };
  query?: Record<string, { type: 'string' | 'integer'; description: string }>;
  errors: ErrorCode[];
}
