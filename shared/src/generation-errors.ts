/**
 * What a customer reads when a generation fails: a code and a fixed message per code. The worker's
 * own text (an exception message, a stack line, a path on the GPU host) stays in the job record, in
 * the edge's logs and in the admin API (`GET /admin/v1/generations/{id}`), never in a customer's
 * Generation object or webhook body.
 */
export const GENERATION_ERROR_MESSAGES: Record<string, string> = {
  invalid_input_image: 'The input image could not be decoded or does not fit the model.',
  out_of_memory: 'The GPU worker ran out of memory for this request; try a smaller size or fewer outputs.',
  model_error: 'The model failed while generating this image.',
  model_not_loaded: 'The model could not be loaded on a GPU worker.',
  internal_error: 'The GPU worker failed unexpectedly.',
  canceled: 'The generation was canceled.',
  lease_expired: 'No GPU worker finished the job within its attempts.',
  queue_timeout: 'No GPU worker took the job before it timed out in the queue.',
};

export const GENERATION_ERROR_FALLBACK = 'The generation failed.';

/** The customer-facing form of a stored job error: its code, and the table's message for it. */
export function safeGenerationError(error: { code: string; message?: string }): {
  code: string;
  message: string;
} {
  return { code: error.code, message: GENERATION_ERROR_MESSAGES[error.code] ?? GENERATION_ERROR_FALLBACK };
}
