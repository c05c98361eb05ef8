import type * as ort from 'onnxruntime-node';
import type { ProviderName } from './provider-names';

export interface ProviderTuning {
  deviceId?: number;
  /** onnxruntime intra-op threads (CPU work: the CPU provider, and ops a GPU provider leaves to the CPU). */
  threads?: number;
  /** Let onnxruntime's pool threads busy-wait between ops. See below for why it is off by default. */
  allowSpinning?: boolean;
  /** WebGPU's layout for layout-sensitive ops (Conv, pooling); the EP's own kernels are written for NHWC. */
  webgpuLayout?: 'NHWC' | 'NCHW';
  /**
   * Ask onnxruntime for deterministic kernels (`session.use_deterministic_compute`; on CUDA
   * e.g. reductions without the atomics-based fast path). CPU kernels of one build are
   * already deterministic for a given batch size; see the pipeline README for what this
   * does and does not make equal on CUDA.
   */
  deterministic?: boolean;
}

/**
 * The session options of each provider, stated explicitly rather than left to onnxruntime's defaults:
 *
 * - every provider: graph optimisation level `all` (constant folding, fusions, layout transforms).
 * - cpu: pool threads do not spin. On a shared or small CPU the spinning threads steal the cores
 *   that the JS thread, sharp and the next run() need (measured: a 64x64 PNG encode went from
 *   ~1 ms to ~15 ms).
 * - cuda: the device id. onnxruntime-node 1.30 passes nothing else to the CUDA provider (its
 *   binding calls OrtSessionOptionsAppendExecutionProvider_CUDA(device_id)), so cuDNN's
 *   convolution algorithm search stays at onnxruntime's default, EXHAUSTIVE: the first run of
 *   each input shape benchmarks the candidates (the worker's warm-up pays it), later runs reuse
 *   the winner.
 * - webgpu: the preferred layout (NHWC unless asked otherwise) and Dawn's 'basic' validation
 *   (onnxruntime's default, kept explicit: 'disabled' can crash the process on a WebGPU error).
 */
export function providerSessionOptions(
  provider: ProviderName,
  tuning: ProviderTuning = {},
): ort.InferenceSession.SessionOptions {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(tuning.threads ? { intraOpNumThreads: tuning.threads } : {}),
    extra: { session: sessionConfig(tuning) },
  };
  switch (provider) {
    case 'cuda':
      return { ...base, executionProviders: [{ name: 'cuda', deviceId: tuning.deviceId ?? 0 }] };
    case 'webgpu':
      return {
        ...base,
        executionProviders: [
          { name: 'webgpu', preferredLayout: tuning.webgpuLayout ?? 'NHWC', validationMode: 'basic' },
        ],
      };
    case 'cpu':
      return { ...base, executionProviders: ['cpu'] };
  }
}

/** Session config entries (onnxruntime_session_options_config_keys.h), nested as the Node binding joins them with dots. */
function sessionConfig(tuning: ProviderTuning): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (!tuning.allowSpinning) {
    config.intra_op = { allow_spinning: '0' };
    config.inter_op = { allow_spinning: '0' };
  }
  // onnxruntime >= 1.2x maps this key onto SessionOptions.use_deterministic_compute (it
  // rejects a non-boolean value, which the tests use to show the key is read).
  if (tuning.deterministic) config.use_deterministic_compute = '1';
  return config;
}
