import type { ErrorCode } from './error-codes';

/**
 * Every public operation, once. The OpenAPI document is generated from this table and the zod
 * schemas (shared/scripts/generate-openapi.ts); names refer to schemas' `meta({ id })`.
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
    | 'System';
  auth: 'api_key' | 'admin' | 'worker' | 'none' | 'api_key_or_signature' | 'stripe_signature';
  body?: string;
  /** Success status and response schema id (or a media type for binary bodies). */
  response: { status: number; schema?: string; mediaType?: string };
  query?: Record<string, { type: 'string' | 'integer'; description: string }>;
  errors: ErrorCode[];
}

const AUTH_ERRORS: ErrorCode[] = ['unauthorized'];
const BODY_ERRORS: ErrorCode[] = [
  'invalid_json',
  'validation_error',
  'payload_too_large',
  'unsupported_media_type',
];

export const API_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/v1/generations',
    operationId: 'createGeneration',
    summary:
      'Create a generation. `Prefer: wait=N` waits up to N seconds for the result; `Idempotency-Key` makes retries safe.',
    tag: 'Generations',
    auth: 'api_key',
    body: 'GenerationRequest',
    response: { status: 201, schema: 'Generation' },
    errors: [
      ...AUTH_ERRORS,
      ...BODY_ERRORS,
      'insufficient_credits',
      'rate_limited',
      'concurrency_limited',
      'idempotency_conflict',
    ],
  },
  {
    method: 'get',
    path: '/v1/generations',
    operationId: 'listGenerations',
    summary: "List the account's generations, newest first.",
    tag: 'Generations',
    auth: 'api_key',
    query: {
      limit: { type: 'integer', description: 'Page size, 1-100 (default 20).' },
      cursor: { type: 'string', description: '`next_cursor` of the previous page.' },
    },
    response: { status: 200, schema: 'GenerationList' },
    errors: [...AUTH_ERRORS, 'validation_error', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/v1/generations/{id}',
    operationId: 'getGeneration',
    summary: 'Get one generation.',
    tag: 'Generations',
    auth: 'api_key',
    response: { status: 200, schema: 'Generation' },
    errors: [...AUTH_ERRORS, 'not_found', 'rate_limited'],
  },
  {
    method: 'post',
    path: '/v1/generations/{id}/cancel',
    operationId: 'cancelGeneration',
    summary: 'Cancel queued work at once, or running work at its next step.',
    tag: 'Generations',
    auth: 'api_key',
    response: { status: 200, schema: 'Generation' },
    errors: [...AUTH_ERRORS, 'not_found', 'invalid_state'],
  },
  {
    method: 'get',
    path: '/v1/generations/{id}/events',
    operationId: 'streamGenerationEvents',
    summary: 'Server-sent events: `status` and `progress` until the generation ends.',
    tag: 'Generations',
    auth: 'api_key',
    response: { status: 200, mediaType: 'text/event-stream' },
    errors: [...AUTH_ERRORS, 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/generations/{id}/webhooks',
    operationId: 'listWebhookDeliveries',
    summary: 'Delivery log of the webhooks of one generation.',
    tag: 'Webhooks',
    auth: 'api_key',
    response: { status: 200 },
    errors: [...AUTH_ERRORS, 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/outputs/{account}/{job}/{file}',
    operationId: 'getOutput',
    summary: "Image bytes, by the owner's API key or a signed URL (`expires`, `sig`).",
    tag: 'Outputs',
    auth: 'api_key_or_signature',
    response: { status: 200, mediaType: 'image/*' },
    errors: [...AUTH_ERRORS, 'not_found', 'url_expired', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'Models with their tasks, sizes, schedulers and prices.',
    tag: 'Models',
    auth: 'none',
    response: { status: 200, schema: 'ModelList' },
    errors: [],
  },
  {
    method: 'get',
    path: '/v1/account',
    operationId: 'getAccount',
    summary: 'Credits, plan and limits of the calling account.',
    tag: 'Account',
    auth: 'api_key',
    response: { status: 200, schema: 'Account' },
    errors: AUTH_ERRORS,
  },
  {
    method: 'get',
    path: '/v1/usage',
    operationId: 'getUsage',
    summary: 'Units used over a period, by day or by model.',
    tag: 'Account',
    auth: 'api_key',
    query: {
      from: { type: 'string', description: 'YYYY-MM-DD, inclusive.' },
      to: { type: 'string', description: 'YYYY-MM-DD, inclusive.' },
      group_by: { type: 'string', description: '`day` or `model`.' },
    },
    response: { status: 200, schema: 'Usage' },
    errors: [...AUTH_ERRORS, 'validation_error'],
  },
  {
    method: 'get',
    path: '/v1/webhooks/secret',
    operationId: 'getWebhookSecret',
    summary: "The account's webhook signing secret.",
    tag: 'Webhooks',
    auth: 'api_key',
    response: { status: 200, schema: 'WebhookSecret' },
    errors: AUTH_ERRORS,
  },
  {
    method: 'post',
    path: '/v1/webhooks/secret/rotate',
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret; the previous one keeps signing for 24 hours.',
    tag: 'Webhooks',
    auth: 'api_key',
    response: { status: 200, schema: 'WebhookSecret' },
    errors: AUTH_ERRORS,
  },
  {
    method: 'post',
    path: '/admin/v1/accounts',
    operationId: 'adminCreateAccount',
    summary: 'Create an account.',
    tag: 'Admin',
    auth: 'admin',
    body: 'CreateAccountRequest',
    response: { status: 201, schema: 'Account' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS],
  },
  {
    method: 'get',
    path: '/admin/v1/accounts/{id}',
    operationId: 'adminGetAccount',
    summary: 'Get an account.',
    tag: 'Admin',
    auth: 'admin',
    response: { status: 200, schema: 'Account' },
    errors: [...AUTH_ERRORS, 'not_found'],
  },
  {
    method: 'patch',
    path: '/admin/v1/accounts/{id}',
    operationId: 'adminUpdateAccount',
    summary: 'Set plan, name or Stripe customer.',
    tag: 'Admin',
    auth: 'admin',
    body: 'UpdateAccountRequest',
    response: { status: 200, schema: 'Account' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found'],
  },
  {
    method: 'post',
    path: '/admin/v1/accounts/{id}/keys',
    operationId: 'adminCreateKey',
    summary: 'Create an API key; the key is shown only in this response.',
    tag: 'Admin',
    auth: 'admin',
    body: 'CreateKeyRequest',
    response: { status: 201, schema: 'CreatedKey' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found'],
  },
  {
    method: 'delete',
    path: '/admin/v1/keys/{id}',
    operationId: 'adminRevokeKey',
    summary: 'Revoke an API key.',
    tag: 'Admin',
    auth: 'admin',
    response: { status: 204 },
    errors: [...AUTH_ERRORS, 'not_found'],
  },
  {
    method: 'post',
    path: '/admin/v1/accounts/{id}/credits',
    operationId: 'adminAddCredits',
    summary: 'Add (or, negative, remove) prepaid credits.',
    tag: 'Admin',
    auth: 'admin',
    body: 'AddCreditsRequest',
    response: { status: 200, schema: 'Account' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found'],
  },
  {
    method: 'post',
    path: '/worker/v1/lease',
    operationId: 'workerLease',
    summary: 'Long-poll for up to `max_jobs` compatible jobs with lease tokens.',
    tag: 'Worker',
    auth: 'worker',
    body: 'LeaseRequest',
    response: { status: 200, schema: 'LeaseResponse' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS],
  },
  {
    method: 'post',
    path: '/worker/v1/jobs/{id}/heartbeat',
    operationId: 'workerHeartbeat',
    summary: 'Extend the lease, report progress; answers `cancel: true` when the job was canceled.',
    tag: 'Worker',
    auth: 'worker',
    body: 'HeartbeatRequest',
    response: { status: 200, schema: 'HeartbeatResponse' },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found', 'lease_lost'],
  },
  {
    method: 'put',
    path: '/worker/v1/jobs/{id}/outputs/{index}',
    operationId: 'workerUploadOutput',
    summary: 'Upload one output image (header `X-Lease-Token`).',
    tag: 'Worker',
    auth: 'worker',
    response: { status: 200, schema: 'UploadedOutput' },
    errors: [...AUTH_ERRORS, 'payload_too_large', 'unsupported_media_type', 'not_found', 'lease_lost'],
  },
  {
    method: 'post',
    path: '/worker/v1/jobs/{id}/complete',
    operationId: 'workerComplete',
    summary: 'Finish a job whose outputs were uploaded.',
    tag: 'Worker',
    auth: 'worker',
    body: 'CompleteRequest',
    response: { status: 200 },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found', 'lease_lost'],
  },
  {
    method: 'post',
    path: '/worker/v1/jobs/{id}/fail',
    operationId: 'workerFail',
    summary: 'Fail a job; `retryable` re-queues it until its attempts run out.',
    tag: 'Worker',
    auth: 'worker',
    body: 'FailRequest',
    response: { status: 200 },
    errors: [...AUTH_ERRORS, ...BODY_ERRORS, 'not_found', 'lease_lost'],
  },
  {
    method: 'get',
    path: '/worker/v1/queue',
    operationId: 'workerQueueStats',
    summary: 'Queue depth, oldest age and leased jobs per model (autoscaling input).',
    tag: 'Worker',
    auth: 'worker',
    response: { status: 200, schema: 'QueueStats' },
    errors: AUTH_ERRORS,
  },
  {
    method: 'post',
    path: '/stripe/webhook',
    operationId: 'stripeWebhook',
    summary: 'Stripe events (checkout.session.completed, invoice.paid), verified by signature.',
    tag: 'Billing',
    auth: 'stripe_signature',
    response: { status: 200 },
    errors: ['signature_invalid', 'invalid_json'],
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness and Redis reachability.',
    tag: 'System',
    auth: 'none',
    response: { status: 200 },
    errors: ['service_unavailable'],
  },
];
