import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderSelection } from '../model/providers';
import type { Logger } from './logger';
import type { WorkerMetrics } from './metrics';
import { OPS_PATHS } from './ops-paths';

export interface OpsStatus {
  /** Models loaded and warmed. */
  modelsReady(): boolean;
  /** Unix ms of the edge's last answer. */
  lastEdgeContact(): number;
  draining(): boolean;
  drain(): Promise<void>;
  /** The execution provider chosen at start (undefined until chosen), with every fallback and its reason. */
  provider?(): ProviderSelection | undefined;
  /** Set when the edge refused this worker (bad token, unknown models): readiness fails with it. */
  edgeRefusal?(): string | undefined;
  /** The loaded models as the worker reads them (empty until loaded). */
  models?(): OpsModelInfo[];
}

export interface OpsModelInfo {
  name: string;
  tasks: readonly string[];
  native_width: number;
  native_height: number;
  default_scheduler: string;
  /** scheduler_config.json's class, and whether it runs as itself here (false: default_scheduler is a fallback). */
  scheduler_class: string | null;
  scheduler_class_supported: boolean;
  /** sd, sdxl or sdxl-refiner. */
  family?: string;
  /** Bytes of weights per network and in all (model/memory-plan.ts). */
  weights?: { networks: Record<string, number>; total_bytes: number };
}

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: WorkerMetrics;
  status: OpsStatus;
  log: Logger;
  /** How old the last edge answer may be for /readyz (long-polls hold a call up to LEASE_WAIT_MS). */
  edgeStaleMs: number;
  /** The worker token: every POST /drain must carry it as a Bearer token (loopback too). */
  drainToken?: string;
  /** Called once a drain started over HTTP is over (main exits the process). */
  onHttpDrained?: () => void;
}

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * /metrics, /healthz, /startupz, /readyz, /models and POST /drain on one small HTTP server. Nothing
 * it answers is secret; the one thing it does, draining, is refused to strangers.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { status, metrics } = options;
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      if (path === OPS_PATHS.drain) {
        if (req.method !== 'POST') return send(405, { error: 'method_not_allowed', allow: 'POST' });
        if (!drainAllowed(req, options.drainToken)) return send(403, { error: 'forbidden' });
        options.log.info('drain requested over HTTP (preStop)');
        await status.drain();
        send(200, { status: 'drained' });
        options.onHttpDrained?.();
        return;
      }
      if (req.method !== 'GET') return send(405, { error: 'method_not_allowed' });
      switch (path) {
        case OPS_PATHS.metrics:
          return send(200, await metrics.registry.metrics(), metrics.registry.contentType);
        case OPS_PATHS.health:
          return send(200, { status: 'ok', provider: status.provider?.() ?? null });
        case OPS_PATHS.startup: {
          const started = status.modelsReady();
          return send(started ? 200 : 503, {
            status: started ? 'started' : 'starting',
            provider: status.provider?.() ?? null,
          });
        }
        case OPS_PATHS.ready: {
          const edgeAgeMs = Date.now() - status.lastEdgeContact();
          const refusal = status.edgeRefusal?.();
          const checks = {
            models_loaded: status.modelsReady(),
            edge_reachable: edgeAgeMs <= options.edgeStaleMs,
            edge_accepts_worker: refusal === undefined,
            accepting_work: !status.draining(),
          };
          const ready = Object.values(checks).every(Boolean);
          return send(ready ? 200 : 503, {
            status: ready ? 'ready' : 'not_ready',
            checks,
            provider: status.provider?.()?.provider ?? null,
            ...(refusal ? { edge_refusal: refusal } : {}),
          });
        }
        case OPS_PATHS.models:
          return send(200, { data: status.models?.() ?? [] });
        default:
          return send(404, { error: 'not_found' });
      }
    } catch (error) {
      options.log.error('ops request failed', { path, error });
      send(500, { error: 'internal_error' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Only a caller with the worker token may drain, loopback included: a browser on the node can POST
 * to 127.0.0.1 (a no-cors request needs no preflight) and a sidecar proxy forwards from loopback.
 * The preStop exec hook sends the token from the container's WORKER_TOKEN.
 */
export function drainAllowed(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return false;
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  // Equal-length digests so the comparison takes the same time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}
