import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEdgeBundle } from '@ldm/edge/scripts/ensure-bundle';
import { ensureAccountAndKey } from './bootstrap-account';
import { startEdgeRuntime } from './edge-runtime';
import { getFreePort } from './free-port';
import { type RedisServerHandle, startRedisServer } from './redis-server';
import { loadOrCreateSecrets, readStackInfo, type StackInfo, writeStackInfo } from './stack-files';
import { type SupervisedChild, spawnSupervised } from './supervised-child';
import { startUpstashBridge } from './upstash-bridge/server';
import { waitHealthy } from './wait-healthy';

export interface LocalStackOptions {
  dataDir: string;
  /** Edge port on 127.0.0.1; 0 picks a free one. */
  port: number;
  workers: number;
  modelDir: string;
  /** The x4 upscaler every worker also loads (task upscale, txt2img with upscale); none when unset. */
  upscalerDir?: string;
  /** Use this Redis instead of starting redis-server. */
  redisUrl?: string;
  /** Extra edge vars (e.g. short lease TTLs in tests). */
  edgeVars?: Record<string, string>;
  /** Silence the children's log lines (tests). */
  quiet?: boolean;
}

export interface LocalStack {
  info: StackInfo;
  workers: SupervisedChild[];
  stop(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = join(REPO_ROOT, 'gpu-worker/src/main.ts');

/**
 * Starts every part in dependency order and stops what already started if a later part fails,
 * so a failed start leaves no process or bound port behind.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    mkdirSync(options.dataDir, { recursive: true });
    const secrets = loadOrCreateSecrets(options.dataDir);

    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis: RedisServerHandle = await startRedisServer({ dir: join(options.dataDir, 'redis') });
      stops.push(() => redis.stop());
      redisUrl = redis.url;
    }

    const bridge = await startUpstashBridge({ redisUrl, token: secrets.upstash_token, host: '127.0.0.1' });
    stops.push(() => bridge.close());

    const bundlePath = await ensureEdgeBundle();
    const edge = await startEdgeRuntime({
      bundlePath,
      port: options.port || (await getFreePort()),
      persistDir: join(options.dataDir, 'edge'),
      bindings: {
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: secrets.upstash_token,
        ADMIN_TOKEN: secrets.admin_token,
        WORKER_TOKEN: secrets.worker_token,
        URL_SIGNING_SECRET: secrets.url_signing_secret,
        DEPLOY_MODE: 'local',
        ...options.edgeVars,
      },
    });
    stops.push(() => edge.stop());
    const baseUrl = edge.url.replace(/\/$/, '');
    await waitHealthy('edge', `${baseUrl}/healthz`);

    const previous = readStackInfo(options.dataDir);
    const { accountId, apiKey } = await ensureAccountAndKey({
      baseUrl,
      adminToken: secrets.admin_token,
      previous: previous && { account_id: previous.account_id, api_key: previous.api_key },
    });

    const workers: SupervisedChild[] = [];
    for (let i = 0; i < options.workers; i++) {
      const metricsPort = await getFreePort();
      const worker = spawnSupervised(`worker-${i + 1}`, process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
        cwd: REPO_ROOT,
        quiet: options.quiet,
        env: {
          EDGE_URL: baseUrl,
          WORKER_TOKEN: secrets.worker_token,
          WORKER_ID: `local-${i + 1}`,
          MODEL_DIRS: [
            `demo-shapes=${options.modelDir}`,
            ...(options.upscalerDir ? [`demo-upscaler=${options.upscalerDir}`] : []),
          ].join(','),
          EXECUTION_PROVIDER: 'cpu',
          // A draining worker waits for its parked lease call; keep that short so Ctrl-C is quick.
          LEASE_WAIT_MS: '5000',
          METRICS_PORT: String(metricsPort),
          SPOOL_DIR: join(options.dataDir, `worker-${i + 1}-spool`),
        },
      });
      workers.push(worker);
      stops.push(() => worker.stop(30_000));
      await waitHealthy(`worker-${i + 1}`, `http://127.0.0.1:${metricsPort}/readyz`, 120_000);
    }

    const info: StackInfo = {
      base_url: baseUrl,
      api_key: apiKey,
      admin_token: secrets.admin_token,
      worker_token: secrets.worker_token,
      account_id: accountId,
      started_at: new Date().toISOString(),
    };
    writeStackInfo(options.dataDir, info);
    return { info, workers, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
