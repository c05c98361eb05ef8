import { relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-folder-error';
import type { ProviderName } from './providers/provider-names';
import { type ProviderTuning, providerSessionOptions } from './providers/provider-session-options';

export type { ProviderName } from './providers/provider-names';

export interface SessionOptions extends ProviderTuning {
  /**
   * The execution provider, chosen once at start by `selectProvider` (providers/). A session
   * that cannot start on it is an error: falling back here, per network, would leave a GPU pod
   * running its UNet on the CPU while it reports ready.
   */
  provider?: ProviderName;
  /** Receives the provider in use per network. Default: silent. */
  log?: (message: string, level: 'info' | 'warn') => void;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
}

/** Seam for tests: the real factory is onnxruntime's. */
export type SessionFactory = (
  path: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

const ortFactory: SessionFactory = (path, options) => ort.InferenceSession.create(path, options);

export async function createSession(
  modelPath: string,
  modelDir: string,
  options: SessionOptions = {},
  factory: SessionFactory = ortFactory,
): Promise<CreatedSession> {
  const provider = options.provider ?? 'cpu';
  const file = relative(modelDir, modelPath);
  try {
    const session = await factory(modelPath, providerSessionOptions(provider, options));
    const device = provider === 'cpu' ? '' : ` (device ${options.deviceId ?? 0})`;
    options.log?.(`${file}: execution provider ${provider}${device}`, 'info');
    return { session, provider };
  } catch (error) {
    throw new ModelFolderError(file, `onnxruntime cannot load it on ${provider}: ${firstLine(error)}`);
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
