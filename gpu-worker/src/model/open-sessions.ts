import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { type CreatedSession, createSession, type ProviderName, type SessionOptions } from './create-session';

/** Opens one network of the model folder by its path inside the folder. */
export type OpenSession = (file: string) => Promise<ort.InferenceSession>;

/**
 * Runs `build` with an `open` that keeps every session it creates, and adds the `provider` they
 * all run on and a `release` that frees them all. If `build` throws, the sessions it had already
 * opened are released (their own errors ignored, so the first error is the one reported) before
 * the error goes on: a model that fails half-way through loading never keeps its networks in memory.
 */
export async function openSessions<T extends object>(
  dir: string,
  options: SessionOptions,
  build: (open: OpenSession) => Promise<T>,
): Promise<T & { provider: ProviderName; release(): Promise<void> }> {
  const sessions: CreatedSession[] = [];
  const open: OpenSession = async (file) => {
    const created = await createSession(join(dir, file), dir, options);
    sessions.push(created);
    return created.session;
  };
  try {
    const built = await build(open);
    return {
      ...built,
      provider: options.provider ?? 'cpu',
      release: async () => {
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.session.release().catch(() => {})));
    throw error;
  }
}
