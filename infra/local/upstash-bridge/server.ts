import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBearerCheck } from './bearer-auth';
import { CommandRunner } from './command-runner';
import { RedisUnavailableError } from './redis-connection';
import { RedisPool } from './redis-pool';
import { parseRedisUrl, type RedisTarget } from './redis-url';
import { entryJson } from './reply-json';
import { BadRequest, parseCommand, parseCommandList, parseJson, readBody } from './request-body';
import { RespError, RespStatus, type RespValue } from './resp-value';
import { ScriptRegistry } from './script-flags';

export interface UpstashBridgeOptions {
  /** `redis://[[user]:password@]host[:port][/db]`; or give `redisPort` for 127.0.0.1. */
  redisUrl?: string;
  redisPort?: number;
  /** The bearer token clients must send (the Upstash "REST token"). */
  token: string;
  /** Port to listen on; a free one when omitted or 0. */
  port?: number;
  host?: string;
  /** Pipelined Redis connections shared by all requests. Default 4. */
  poolSize?: number;
  /** Largest request body accepted, in bytes. Default 10 MiB. */
  maxRequestBytes?: number;
  /** Most commands in one `/pipeline` or `/multi-exec` body. Default 100,000. */
  maxCommands?: number;
  /**
   * Refuse keys a script flagged `allow-key-locking` did not declare in KEYS, as Upstash does
   * (script-flags.ts). Default true.
   */
  checkDeclaredKeys?: boolean;
}

export interface UpstashBridgeHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** A health check that hangs is worse than one that says no. */
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * An HTTP server speaking the REST protocol of Upstash Redis (`POST /`, `/pipeline`,
 * `/multi-exec`, bearer token, base64 replies) in front of a real Redis, so `@upstash/redis` and
 * `@upstash/ratelimit` run locally and in tests on the code path they use in production.
 */
export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridgeHandle> {
  const target = resolveTarget(options);
  const isAuthorized = createBearerCheck(options.token);
  const maxRequestBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
  const maxCommands = options.maxCommands ?? 100_000;
  const pool = new RedisPool(target, options.poolSize ?? 4);
  const runner = new CommandRunner(
    pool,
    new ScriptRegistry({ checkDeclaredKeys: options.checkDeclaredKeys ?? true }),
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const pong = await Promise.race([
        pool.send([['PING']]).then(
          ([reply]) => reply,
          () => null,
        ),
        new Promise<null>((resolve) => setTimeout(resolve, HEALTH_TIMEOUT_MS, null)),
      ]);
      const healthy = pong instanceof RespStatus && pong.text === 'PONG';
      send(res, healthy ? 200 : 503, healthy ? '{"status":"ok"}' : '{"status":"redis unavailable"}');
      return;
    }
    if (!isAuthorized(req.headers.authorization)) {
      send(res, 401, '{"error":"Unauthorized"}');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, JSON.stringify({ error: `ERR method ${req.method} not allowed: use POST` }));
      return;
    }
    if (path !== '/' && path !== '/pipeline' && path !== '/multi-exec') {
      send(
        res,
        404,
        JSON.stringify({ error: `ERR unknown endpoint ${path}: use POST /, /pipeline or /multi-exec` }),
      );
      return;
    }
    if (
      req.headers['upstash-response-format'] !== undefined &&
      req.headers['upstash-response-format'] !== 'json'
    ) {
      // Better a clear refusal than JSON to a caller that asked for raw RESP2.
      send(res, 400, '{"error":"ERR only Upstash-Response-Format: json is supported by this bridge"}');
      return;
    }
    const base64 = String(req.headers['upstash-encoding']).toLowerCase() === 'base64';
    const body = parseJson(await readBody(req, maxRequestBytes));

    if (path === '/') {
      const [reply] = await runner.pipeline([parseCommand(body)]);
      // Upstash answers a failed single command with HTTP 400 and the Redis error text.
      send(res, reply instanceof RespError ? 400 : 200, entryJson(reply, base64));
      return;
    }
    const commands = parseCommandList(body, maxCommands);
    if (path === '/pipeline') {
      send(res, 200, listJson(await runner.pipeline(commands), base64));
      return;
    }
    const outcome = await runner.transaction(commands);
    if (outcome.ok) send(res, 200, listJson(outcome.replies, base64));
    else send(res, 400, JSON.stringify({ error: outcome.error }));
  }

  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (req, res) => {
    handle(req, res).catch((error: Error) => {
      if (error instanceof BadRequest) {
        // After a refused oversized body the rest of it is not read, so the socket cannot be reused.
        if (error.status === 413) res.setHeader('connection', 'close');
        send(res, error.status, JSON.stringify({ error: error.message }));
      } else if (error instanceof RedisUnavailableError) {
        send(res, 502, JSON.stringify({ error: `ERR the bridge could not reach Redis: ${error.message}` }));
      } else {
        console.error('upstash-bridge: request failed:', error);
        send(res, 500, JSON.stringify({ error: `ERR internal bridge error: ${error.message}` }));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        pool.close();
      }),
  };
}

function resolveTarget(options: UpstashBridgeOptions): RedisTarget {
  if (options.redisUrl !== undefined) return parseRedisUrl(options.redisUrl);
  const port = options.redisPort;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error('startUpstashBridge needs redisUrl, or redisPort as an integer from 1 to 65535');
  }
  return { host: '127.0.0.1', port, db: 0 };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  const path = query === -1 ? raw : raw.slice(0, query);
  // Tolerate a trailing slash (`/pipeline/`), as URL-joining callers sometimes add one.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function listJson(replies: readonly RespValue[], base64: boolean): string {
  let out = '[';
  for (let i = 0; i < replies.length; i++) {
    if (i > 0) out += ',';
    out += entryJson(replies[i], base64);
  }
  return out + ']';
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
