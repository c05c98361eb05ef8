import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEdgeBundle } from '@ldm/edge/scripts/ensure-bundle';
import { type BootStep, silentBootStep } from './boot-steps';
import { ensureAccountAndKey } from './bootstrap-account';
import { startEdgeRuntime } from './edge-runtime';
import { getFreePort } from './free-port';
import { chooseRedis, describeRedisChoice } from './redis-choice';
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
  /** Use this Redis instead of starting redis-server (else chooseRedis: PATH, then a managed build). */
  redisUrl?: string;
  /** Reports each start-up step and its time (`npm start` prints them). Default: silent. */
  step?: BootStep;
  /** Progress lines while a managed Redis is downloaded and built. */
  progress?: (line: string) => void;
  /** Extra edge vars (e.g. short lease TTLs in tests). */
  edgeVars?: Record<string, string>;
  /** Silence the children's log lines (tests). */
  quiet?: boolean;
  /** Extra worker settings (e.g. a short HEARTBEAT_INTERVAL_MS so a short test job reports progress). */
  workerEnv?: Record<string, string>;
  /** How often the edge's cron triggers fire (production: every minute). Default 5,000 ms. */
  cronIntervalMs?: number;
}

export interface LocalStack {
  info: StackInfo;
  workers: SupervisedChild[];
  /** Cron triggers fired so far by the local timer. */
  cronFired(): number;
  stop(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = join(REPO_ROOT, 'gpu-worker/src/main.ts');
/**
 * Cloudflare fires the cron triggers every minute; locally every 5 s, so a failed webhook's first
 * retry (due 5 s later) goes out within seconds, and the meter flush and lease reaper run too.
 */
export const LOCAL_CRON_INTERVAL_MS = 5_000;

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

    const step = options.step ?? silentBootStep;
    // REDIS_URL comes only through options.redisUrl (start.ts passes the env's), so a test that
    // asks for a private redis-server never lands on a shared Redis named in its environment.
    const choice = await chooseRedis({
      env: { ...process.env, REDIS_URL: options.redisUrl },
      progress: options.progress,
    });
    const redisUrl = await step(
      'redis',
      async () => {
        if (choice.source === 'REDIS_URL') return choice.url;
        const redis: RedisServerHandle = await startRedisServer({
          dir: join(options.dataDir, 'redis'),
          binary: choice.binary,
        });
        stops.push(() => redis.stop());
        return redis.url;
      },
      describeRedisChoice(choice),
    );

    const bridge = await step('upstash bridge', () =>
      startUpstashBridge({ redisUrl, token: secrets.upstash_token, host: '127.0.0.1' }),
    );
    stops.push(() => bridge.close());

    const bundlePath = await step('edge bundle', () => ensureEdgeBundle());
    const edgeUp = await step('edge in workerd', async () => {
      const edge = await startEdgeRuntime({
        bundlePath,
        port: options.port || (await getFreePort()),
        persistDir: join(options.dataDir, 'edge'),
        cronIntervalMs: options.cronIntervalMs ?? LOCAL_CRON_INTERVAL_MS,
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
      return { edge, baseUrl };
    });
    const { edge, baseUrl } = edgeUp;

    const previous = readStackInfo(options.dataDir);
    const { accountId, apiKey } = await step('account and API key', () =>
      ensureAccountAndKey({
        baseUrl,
        adminToken: secrets.admin_token,
        previous: previous && { account_id: previous.account_id, api_key: previous.api_key },
      }),
    );

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
          PROVIDER: 'cpu',
          // A draining worker waits for its parked lease call; keep that short so Ctrl-C is quick.
          LEASE_WAIT_MS: '5000',
          METRICS_PORT: String(metricsPort),
          SPOOL_DIR: join(options.dataDir, `worker-${i + 1}-spool`),
          ...options.workerEnv,
        },
      });
      workers.push(worker);
      stops.push(() => worker.stop(30_000));
      await step(`worker-${i + 1}: loading ${basename(options.modelDir)}`, () =>
        waitHealthy(`worker-${i + 1}`, `http://127.0.0.1:${metricsPort}/readyz`, 120_000),
      );
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
    return { info, workers, cronFired: () => edge.cron?.fired ?? 0, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
