import type { WORKER_FAILURE_CODES } from '@ldm/shared';

export type FailureCode = (typeof WORKER_FAILURE_CODES)[number];

export interface Failure {
  code: FailureCode;
  message: string;
  /** true: the edge re-queues the job (until its attempts run out); false: it fails for good. */
  retryable: boolean;
}

const OOM =
  /out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|bad_alloc|Failed to allocate memory/i;

/**
 * Maps what went wrong to the worker protocol's failure codes. The rule for `retryable`: would
 * the same job on another worker (or this one a moment later) plausibly succeed?
 */
export function classifyFailure(error: unknown): Failure {
  const e = error as Error & { field?: string; code?: string };
  const message = String(e?.message ?? error).slice(0, 2_000);
  // The pipeline names the request field it rejected (PipelineInputError).
  if (e?.name === 'PipelineInputError') {
    if (e.field === 'image' || e.field === 'mask')
      return { code: 'invalid_input_image', message, retryable: false };
    // The edge validated the request against this model already; another worker would refuse it too.
    return { code: 'model_error', message, retryable: false };
  }
  if (e?.name === 'InputImageError') return { code: 'invalid_input_image', message, retryable: false };
  if (OOM.test(message)) return { code: 'out_of_memory', message, retryable: true };
  if (e?.name === 'ModelNotLoadedError') return { code: 'model_not_loaded', message, retryable: true };
  // onnxruntime reports failures of a run as plain Errors; a transient device fault is possible.
  if (/onnxruntime|ORT|\[ONNXRuntimeError\]|Non-zero status code/i.test(message)) {
    return { code: 'model_error', message, retryable: true };
  }
  return { code: 'internal_error', message, retryable: true };
}

/** The job's input image could not be fetched or is unusable. */
export class InputImageError extends Error {
  override readonly name = 'InputImageError';
}

export class ModelNotLoadedError extends Error {
  override readonly name = 'ModelNotLoadedError';
  constructor(readonly model: string) {
    super(`model ${model} is not loaded on this worker`);
  }
}

/**
 * A failure's text with the jobs' prompts cut out. An exception message can quote its input (a
 * tokenizer error, a JSON error over the request), and the text goes to the logs, to the edge's
 * logs and to the admin API: prompts are customer content and stay out of all three.
 */
export function redactPrompts(text: string, prompts: readonly (string | undefined)[]): string {
  let out = text;
  for (const prompt of prompts) {
    // Very short prompts ("a") would cut ordinary words out of the message for nothing.
    if (prompt && prompt.trim().length >= 4) out = out.split(prompt).join('[prompt]');
  }
  return out;
}
