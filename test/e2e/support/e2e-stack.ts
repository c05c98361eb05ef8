import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEdgeBundle } from '@ldm/edge/scripts/ensure-bundle';
import { writeTinyUpscaler } from '@ldm/gpu-worker/test-fixtures/tiny-upscaler-folder';
import { type EdgeRuntime, startEdgeRuntime } from '@ldm/infra/local/edge-runtime';
import type { Generation, GenerationRequestInput } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '../../support/edge-stack';
import { DEMO_MODEL_DIR, demoModelAvailable, writeSlowFixtureModel } from './fixture-model';
import { type SpawnWorkerOptions, spawnWorker, type WorkerProcess } from './worker-process';

/** The edge's built-in default model; the fixture is served under this name. */
export const MODEL = 'demo-shapes';

export interface E2eStack {
  stack: EdgeStack;
  account: TestAccount;
  /** Edge origin; stays the same across restartEdge(). */
  baseUrl: string;
  modelDir: string;
  tmp: string;
  startWorker(
    name: string,
    options?: { env?: Record<string, string>; spoolDir?: string; extraModelDirs?: Record<string, string> },
  ): WorkerProcess;
  submit(body: Partial<GenerationRequestInput>): Promise<Generation>;
  get(id: string): Promise<Generation>;
  cancel(id: string): Promise<Response>;
  waitFor(id: string, done: (g: Generation) => boolean, timeoutMs?: number): Promise<Generation>;
  download(url: string): Promise<Response>;
  /** The job's Redis hash as field -> value (behind the API: attempt, worker_id, ...). */
  jobRecord(id: string): Promise<Record<string, string>>;
  /** Stops the edge (workerd), waits `downMs`, starts it again on the same port with the same state. */
  restartEdge(downMs: number, whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** A long job on the fixture model: about 0.1 s of real UNet work per step on an idle core (5 s). */
export const LONG_JOB = {
  width: 256,
  height: 256,
  steps: 50,
  guidance_scale: 5,
  scheduler: 'ddim',
} as const;

// Each submit gets its own seed unless the test fixes one: a seeded repeat of an earlier request
// would be answered from the edge's result cache without any worker.
let nextSeed = 10_000;

export interface E2eStackOptions {
  vars?: Record<string, string>;
  verbose?: boolean;
  /**
   * `demo`: the shipped demo model when it has been built (else the fixture). `fixture` (default):
   * the slow fixture, whose step cost the timing-sensitive tests rely on.
   */
  model?: 'demo' | 'fixture';
  /** Also serve `demo-upscaler` on every worker: the tiny hand-computable x4 fixture (fast). */
  upscaler?: boolean;
}

/** The catalog's built-in upscaler; the fixture is served under this name. */
export const UPSCALER = 'demo-upscaler';

export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  // E2E_VERBOSE=1 echoes the edge's and the workers' logs while debugging a test.
  const verbose = options.verbose ?? process.env.E2E_VERBOSE === '1';
  const tmp = mkdtempSync(join(tmpdir(), 'ldm-e2e-'));
  const persistDir = join(tmp, 'edge-state');
  const modelDir =
    options.model === 'demo' && demoModelAvailable()
      ? DEMO_MODEL_DIR
      : await writeSlowFixtureModel(join(tmp, 'models', MODEL));
  const upscalerDir = options.upscaler ? await writeTinyUpscaler(join(tmp, 'models', UPSCALER)) : undefined;
  const vars = { LEASE_TTL_MS: '3000', ...options.vars };
  const stack = await startEdgeStack({ vars, persistDir, verbose });
  let runtime: EdgeRuntime = stack.runtime;
  const account = await stack.createAccount({ limits: { concurrent_jobs: 50, requests_per_minute: 1000 } });
  const workers: WorkerProcess[] = [];
  const baseUrl = stack.baseUrl;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { ...account.headers, 'content-type': 'application/json', ...init.headers },
    });

  const get = async (id: string) => {
    const res = await api(`/v1/generations/${id}`);
    if (!res.ok) throw new Error(`GET generation ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Generation;
  };

  return {
    stack,
    account,
    baseUrl,
    modelDir,
    tmp,
    startWorker(name, o = {}) {
      const spawnOptions: SpawnWorkerOptions = {
        name,
        edgeUrl: baseUrl,
        workerToken: stack.workerToken,
        modelDirs: {
          [MODEL]: modelDir,
          ...(upscalerDir ? { [UPSCALER]: upscalerDir } : {}),
          ...o.extraModelDirs,
        },
        spoolDir: o.spoolDir ?? join(tmp, `spool-${name}`),
        env: o.env,
        verbose,
      };
      const worker = spawnWorker(spawnOptions);
      workers.push(worker);
      return worker;
    },
    async submit(body) {
      const res = await api('/v1/generations', {
        method: 'POST',
        body: JSON.stringify({
          model: MODEL,
          prompt: 'a red circle in the top left',
          seed: nextSeed++,
          ...body,
        }),
      });
      if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
      return (await res.json()) as Generation;
    },
    get,
    cancel: (id) => api(`/v1/generations/${id}/cancel`, { method: 'POST' }),
    async waitFor(id, done, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Generation | undefined;
      while (Date.now() < deadline) {
        try {
          last = await get(id);
          if (done(last)) return last;
        } catch {
          // the edge may be restarting
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(
        `generation ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    },
    async jobRecord(id) {
      const flat = (await stack.redis.hgetall(`job:${id}`)) as unknown;
      if (!Array.isArray(flat)) return (flat ?? {}) as Record<string, string>;
      const record: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
      return record;
    },
    download: (url) => fetch(url.startsWith('http') ? url : `${baseUrl}${url}`, { headers: account.headers }),
    async restartEdge(downMs, whileDown) {
      const port = runtime.port;
      await runtime.stop();
      const upAt = Date.now() + downMs;
      let failure: unknown;
      // The edge comes back even when a check made while it was down fails.
      await whileDown?.().catch((error) => {
        failure = error;
      });
      await new Promise((r) => setTimeout(r, Math.max(0, upAt - Date.now())));
      runtime = await startEdgeRuntime({
        bundlePath: await ensureEdgeBundle(),
        port,
        persistDir,
        bindings: {
          UPSTASH_REDIS_REST_URL: stack.bridge.bridgeUrl,
          UPSTASH_REDIS_REST_TOKEN: stack.bridge.token,
          ADMIN_TOKEN: stack.adminToken,
          WORKER_TOKEN: stack.workerToken,
          URL_SIGNING_SECRET: stack.urlSigningSecret,
          STRIPE_SECRET_KEY: '',
          STRIPE_WEBHOOK_SECRET: '',
          DEPLOY_MODE: 'local',
          DEFAULT_MODEL: MODEL,
          MODELS_JSON: '[]',
          ...vars,
        },
      });
      if (failure) throw failure;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.dispose()));
      await runtime.stop().catch(() => {});
      await stack.bridge.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
