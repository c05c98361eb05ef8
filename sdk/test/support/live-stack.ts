import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeTinyUpscaler } from '@ldm/gpu-worker/test-fixtures/tiny-upscaler-folder';
import { type LocalStack, startLocalStack } from '@ldm/infra/local/local-stack';
import { writeSlowFixtureModel } from '@ldm/test/e2e/support/fixture-model';
import { LdmClient } from '../../src/index';

export const DEMO_MODEL_DIR = resolve(import.meta.dirname, '../../../models/demo-shapes');
export const DEMO_UPSCALER_DIR = resolve(import.meta.dirname, '../../../models/demo-upscaler');

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
 * fixture model whose steps cost real CPU. Before returning it runs a few short calibration
 * jobs to size `slowJob` (so the account starts with those generations).
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
      // As npm start: both demo models (the upscaler's tiny fixture until it is built).
      upscalerDir: existsSync(join(DEMO_UPSCALER_DIR, 'unet/model.onnx'))
        ? DEMO_UPSCALER_DIR
        : await writeTinyUpscaler(join(dir, 'models', 'demo-upscaler')),
      quiet: process.env.LDM_TEST_VERBOSE !== '1',
      edgeVars: { LEASE_TTL_MS: '3000', POLL_INTERVAL_MS: '100' },
    });
  } catch (error) {
    // startLocalStack stops what it started; the directory is ours to remove.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let slowJob: LiveStack['slowJob'];
  try {
    slowJob = await calibrateSlowJob(stack.info.base_url, stack.info.api_key);
  } catch (error) {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    stack,
    dir,
    model: demo ? 'demo' : 'fixture',
    slowJob,
    async stop() {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Seconds a "slow" job should run: several 200 ms heartbeats, yet quick enough for a test. */
const SLOW_JOB_MS = 4_000;

/**
 * Picks the size and steps of a job that runs for about SLOW_JOB_MS on this model and machine,
 * from the measured time per step of a short job, so progress tests neither flake on a fast
 * model nor crawl on a slow machine.
 */
async function calibrateSlowJob(baseUrl: string, apiKey: string): Promise<LiveStack['slowJob']> {
  const client = new LdmClient({ baseUrl, apiKey });
  const probeSteps = 10;
  let job = { width: 512, height: 512, steps: 150 };
  for (const size of [128, 256, 512]) {
    const probe = await client.run(
      { prompt: 'calibration', width: size, height: size, steps: probeSteps, seed: 1 },
      { timeoutMs: 120_000 },
    );
    const msPerStep = (probe.metrics.inference_ms ?? 0) / probeSteps;
    const steps = Math.ceil(SLOW_JOB_MS / Math.max(msPerStep, 0.1));
    job = { width: size, height: size, steps: Math.min(150, Math.max(30, steps)) };
    if (steps <= 150) break;
  }
  return job;
}
