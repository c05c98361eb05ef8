export type {
  Account,
  Generation,
  GenerationList,
  GenerationOutput,
  GenerationRequestInput,
  ListedModel,
  ModelExport,
  ModelInfo,
  Usage,
} from '@ldm/shared';
export {
  type AddCreditsInput,
  type CreateAccountInput,
  type CreatedKeyOutput,
  type CreateKeyInput,
  LdmAdminClient,
  type LdmAdminClientOptions,
  type UpdateAccountInput,
} from './admin/admin-client';
export {
  type CallOptions,
  type CreateOptions,
  LdmClient,
  type LdmClientOptions,
  type ListOptions,
  type RunOptions,
  type UsageOptions,
} from './client';
export { LdmApiError, LdmConnectionError, LdmGenerationError, LdmTimeoutError } from './errors';
export { type GenerationEvent, interpretEvent, isTerminal } from './generation-events';
export type { FetchLike, RetryListener } from './http-client';
export { backoffDelay, DEFAULT_RETRY, parseRetryAfter, type RetryOptions } from './retry-policy';
export { readSse, type SseEvent, SseParser } from './sse-parser';
export { verifyWebhook, type WebhookHeaders, WebhookVerificationError } from './verify-webhook';
export type { ProgressUpdate, WaitOptions } from './wait-for-generation';
