import { relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-folder-error';

export type ProviderName = 'cpu' | 'cuda';

export interface SessionOptions {
  /** Requested execution provider; CUDA falls back to CPU (logged) when it cannot start. */
  provider?: ProviderName;
  deviceId?: number;
  /** onnxruntime intra-op threads; onnxruntime picks when omitted. */
  threads?: number;
  /**
   * Let onnxruntime's pool threads busy-wait between ops (its default). Off by default:
   * on a shared or small CPU the spinning threads steal the cores that the JS thread,
   * sharp and the next run() need (measured: a 64x64 PNG encode went from ~1 ms to ~15 ms).
   */
  allowSpinning?: boolean;
  /**
   * Ask onnxruntime for deterministic kernels (`session.use_deterministic_compute`; on CUDA
   * e.g. reductions without the atomics-based fast path). CPU kernels of one build are
   * already deterministic for a given batch size; see the pipeline README for what this
   * does and does not make equal on CUDA.
   */
  deterministic?: boolean;
  /** Receives the provider in use per network ('info') and CUDA fallbacks ('warn'). Default: warnings to stderr. */
  log?: (message: string, level: 'info' | 'warn') => void;
}

const warnOnly = (message: string, level: 'info' | 'warn') => {
  if (level === 'warn') console.warn(message);
};

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider actually in use. */
  provider: ProviderName;
}

/** Seam for tests: the real factory is onnxruntime's. */
export type SessionFactory = (
  path: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

const ortFactory: SessionFactory = (path, options) => ort.InferenceSession.create(path, options);

/**
 * onnxruntime-node throws when a requested provider is unavailable (it does not fall back
 * like the Python package does), so CUDA is tried alone and, on failure, the session is
 * created again explicitly for the CPU, and the switch is logged.
 */
export async function createSession(
  modelPath: string,
  modelDir: string,
  options: SessionOptions = {},
  factory: SessionFactory = ortFactory,
): Promise<CreatedSession> {
  const log = options.log ?? warnOnly;
  const file = relative(modelDir, modelPath);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    extra: { session: sessionConfig(options) },
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  if (options.provider === 'cuda') {
    try {
      const session = await factory(modelPath, {
        ...base,
        executionProviders: [{ name: 'cuda', deviceId: options.deviceId ?? 0 }],
      });
      log(`${file}: execution provider cuda (device ${options.deviceId ?? 0})`, 'info');
      return { session, provider: 'cuda' };
    } catch (error) {
      log(`${file}: CUDA unavailable (${firstLine(error)}); falling back to cpu`, 'warn');
    }
  }
  try {
    const session = await factory(modelPath, { ...base, executionProviders: ['cpu'] });
    log(`${file}: execution provider cpu`, 'info');
    return { session, provider: 'cpu' };
  } catch (error) {
    throw new ModelFolderError(file, `onnxruntime cannot load it: ${firstLine(error)}`);
  }
}

/** Session config entries (onnxruntime_session_options_config_keys.h), nested as the Node binding joins them with dots. */
function sessionConfig(options: SessionOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (!options.allowSpinning) {
    config.intra_op = { allow_spinning: '0' };
    config.inter_op = { allow_spinning: '0' };
  }
  // onnxruntime >= 1.2x maps this key onto SessionOptions.use_deterministic_compute (it
  // rejects a non-boolean value, which the tests use to show the key is read).
  if (options.deterministic) config.use_deterministic_compute = '1';
  return config;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
