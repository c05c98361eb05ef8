import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
}

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: WorkerMetrics;
  status: OpsStatus;
  log: Logger;
  /** How old the last edge answer may be for /readyz (long-polls hold a call up to LEASE_WAIT_MS). */
  edgeStaleMs: number;
}

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** /metrics, /healthz, /readyz, /models and /drain on one small HTTP server (never the worker token: nothing here is secret). */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { status, metrics } = options;
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET') return send(405, { error: 'method_not_allowed' });
      switch (path) {
        case OPS_PATHS.metrics:
          return send(200, await metrics.registry.metrics(), metrics.registry.contentType);
        case OPS_PATHS.health:
          return send(200, { status: 'ok' });
        case OPS_PATHS.ready: {
          const edgeAgeMs = Date.now() - status.lastEdgeContact();
          const checks = {
            models_loaded: status.modelsReady(),
            edge_reachable: edgeAgeMs <= options.edgeStaleMs,
            accepting_work: !status.draining(),
          };
          const ready = Object.values(checks).every(Boolean);
          return send(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
        }
        case OPS_PATHS.models:
          return send(200, { data: status.models?.() ?? [] });
        case OPS_PATHS.drain:
          options.log.info('drain requested over HTTP (preStop)');
          await status.drain();
          return send(200, { status: 'drained' });
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
