import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EdgeRuntime, startEdgeRuntime } from '@ldm/infra/local/edge-runtime';
import { getFreePort } from '@ldm/infra/local/free-port';
import { startRedisServer } from '@ldm/infra/local/redis-server';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { ensureEdgeBundle } from '../scripts/ensure-bundle';

const secret = () => randomBytes(24).toString('base64url');

/**
 * BENCH_STRIP_CF_CONNECTING_IP=1 runs the edge and the calibration Worker with Miniflare's default
 * outbound shim (infra/local/edge-runtime.ts says why the local stack turns it off), to measure it.
 */
export const STRIP_CF_CONNECTING_IP = process.env.BENCH_STRIP_CF_CONNECTING_IP === '1';

export interface BenchStack {
  redisPort: number;
  redisPid: number;
  bridgePid: number;
  bridgeUrl: string;
  adminToken: string;
  workerToken: string;
  /** Another edge runtime on the same Redis, talking REST to `redisRestUrl` (the bridge or a proxy). */
  startEdge(redisRestUrl: string, options?: { inspectorPort?: number }): Promise<EdgeRuntime>;
  bareUrl: string;
  /** rest-floor.ts: the bare handler plus `?trips=N` sequential REST round trips to the bridge (unless started with calibration: false). */
  floorUrl: string | undefined;
  stop(): Promise<void>;
}

/** Waits for the bridge's one stdout line with its URL. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code}: ${out}`)));
  });
}

/** A baseline Worker (bare-hono.ts, rest-floor.ts) bundled by esbuild, run by Miniflare like the edge. */
async function startBaseline(
  dir: string,
  entry: string,
  bindings: Record<string, string> = {},
  stripCfConnectingIp = false,
): Promise<Miniflare> {
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    outfile: join(dir, 'index.js'),
    logLevel: 'silent',
  });
  return new Miniflare({
    modules: true,
    scriptPath: join(dir, 'index.js'),
    modulesRoot: dir,
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: await getFreePort(),
    bindings,
    stripCfConnectingIp,
  });
}

/**
 * The stack as `npm start` runs it: redis-server with AOF, the Upstash bridge (its own process
 * here, so the load generator does not share its event loop), the wrangler bundle in Miniflare;
 * plus a bare Hono Worker in the same runtime as the baseline. Whatever started is stopped if a
 * later part fails.
 */
export async function startBenchStack(
  options: { bridgeProfileDir?: string; calibration?: boolean } = {},
): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ldm-bench-'));
  const stops: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const redis = await startRedisServer({ dir: join(dir, 'redis') });
    stops.push(() => redis.stop());
    const token = secret();
    const bridgeMain = fileURLToPath(new URL('../../infra/local/upstash-bridge/main.ts', import.meta.url));
    // With bridgeProfileDir the bridge writes a V8 CPU profile there when it stops.
    const profiling = options.bridgeProfileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.bridgeProfileDir}`]
      : [];
    const bridge = spawn(
      process.execPath,
      [...profiling, '--import', import.meta.resolve('tsx'), bridgeMain],
      {
        env: { ...process.env, REDIS_URL: redis.url, UPSTASH_TOKEN: token, PORT: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const bridgeExited = new Promise((resolve) => bridge.once('exit', resolve));
    stops.push(async () => {
      bridge.kill('SIGTERM');
      await bridgeExited; // its profile, if any, is written by then
    });
    const bridgeUrl = await listeningUrl(bridge);
    const bare = await startBaseline(join(dir, 'bare'), './bare-hono.ts');
    stops.push(() => bare.dispose());
    const bareUrl = (await bare.ready).origin;
    let floorUrl: string | undefined;
    if (options.calibration !== false) {
      const floor = await startBaseline(
        join(dir, 'floor'),
        './rest-floor.ts',
        {
          UPSTASH_REDIS_REST_URL: bridgeUrl,
          UPSTASH_REDIS_REST_TOKEN: token,
        },
        STRIP_CF_CONNECTING_IP,
      );
      stops.push(() => floor.dispose());
      floorUrl = (await floor.ready).origin;
    }
    const bundlePath = await ensureEdgeBundle();
    const adminToken = secret();
    const workerToken = secret();
    const urlSigningSecret = secret();
    let edges = 0;
    return {
      redisPort: redis.port,
      redisPid: redis.process.pid as number,
      bridgePid: bridge.pid as number,
      bridgeUrl,
      adminToken,
      workerToken,
      bareUrl,
      floorUrl,
      async startEdge(redisRestUrl: string, options = {}) {
        const runtime = await startEdgeRuntime({
          ...options,
          stripCfConnectingIp: STRIP_CF_CONNECTING_IP,
          bundlePath,
          persistDir: join(dir, `edge-${edges++}`),
          bindings: {
            UPSTASH_REDIS_REST_URL: redisRestUrl,
            UPSTASH_REDIS_REST_TOKEN: token,
            ADMIN_TOKEN: adminToken,
            WORKER_TOKEN: workerToken,
            URL_SIGNING_SECRET: urlSigningSecret,
            DEPLOY_MODE: 'local',
          },
        });
        stops.push(() => runtime.stop());
        return runtime;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
