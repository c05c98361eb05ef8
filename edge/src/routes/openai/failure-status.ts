/**
 * Generation failure codes that the caller's own input caused: OpenAI answers those 400
 * invalid_request_error (and the `openai` client does not retry a 4xx). Everything else
 * (out_of_memory, queue_timeout, internal_error, lease_expired, ...) is the platform's: 500.
 */
const CALLER_INPUT_CODES: ReadonlySet<string> = new Set(['invalid_input_image']);

/** OpenAI's HTTP status for a failed generation, by its error code. */
export function failedGenerationStatus(code: string | undefined): 400 | 500 {
  return code !== undefined && CALLER_INPUT_CODES.has(code) ? 400 : 500;
}
