import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LocalStack, startLocalStack } from '@ldm/infra/local/local-stack';
import { writeSlowFixtureModel } from '../../../test/e2e/support/fixture-model';

export const DEMO_MODEL_DIR = resolve(import.meta.dirname, '../../../models/demo-shapes');

export interface LiveStack {
  stack: LocalStack;
  /** A directory whose `.data/stack.json` is the stack's, for running the CLI from. */
  dir: string;
  /** `demo` when the shipped model is built, else the pipeline's slow test fixture. */
  model: 'demo' | 'fixture';
  /** Size and steps of a job that runs for seconds on this model, so several heartbeats report steps. */
  slowJob: { width: number; height: number; steps: number };
  stop(): Promise<void>;
}

/**
 * `npm start` in a temporary directory: redis-server, the Upstash bridge, the edge bundle in
 * workerd and one real gpu-worker process. Uses models/demo-shapes when it exists, else a tiny
 * fixture model whose steps cost real CPU (so step progress is observable).
 */
export async function startLiveStack(): Promise<LiveStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ldm-sdk-'));
  const demo =
    existsSync(join(DEMO_MODEL_DIR, 'model_index.json')) &&
    existsSync(join(DEMO_MODEL_DIR, 'unet/model.onnx'));
  const modelDir = demo ? DEMO_MODEL_DIR : await writeSlowFixtureModel(join(dir, 'models', 'demo-shapes'));
  // Workers inherit this environment; heartbeats carry the step progress the tests watch.
  process.env.HEARTBEAT_INTERVAL_MS ??= '200';
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir: join(dir, '.data'),
      port: 0,
      workers: 1,
      modelDir,
      quiet: process.env.LDM_TEST_VERBOSE !== '1',
      edgeVars: { LEASE_TTL_MS: '3000', POLL_INTERVAL_MS: '100' },
    });
  } catch (error) {
    // startLocalStack stops what it started; the directory is ours to remove.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    stack,
    dir,
    model: demo ? 'demo' : 'fixture',
    // The demo UNet works on 8x8 latents at its native 64x64; 128x128 quadruples the work per step.
    slowJob: demo ? { width: 128, height: 128, steps: 150 } : { width: 256, height: 256, steps: 120 },
    async stop() {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
