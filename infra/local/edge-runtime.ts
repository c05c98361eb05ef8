import { join } from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { type CronTimer, startCronTimer } from './cron-timer';
import { getFreePort } from './free-port';
import { readWranglerToml } from './wrangler-config';

export interface EdgeRuntimeOptions {
  /** `dist/edge/index.js` from `npm run build:edge` (wrangler's own bundle). */
  bundlePath: string;
  /** Port on 127.0.0.1; a free one when omitted or 0. */
  port?: number;
  /** Secrets, and vars that override wrangler.toml's [vars], by their wrangler.toml names. */
  bindings: Record<string, string>;
  /** R2 and Durable Object state live here (survives restarts); in memory when omitted. */
  persistDir?: string;
  /** Log lines from the Worker (console.*) go here; default: inherited stdout. */
  verbose?: boolean;
  /** Opens workerd's DevTools inspector on this loopback port (CPU profiles of the Worker). */
  inspectorPort?: number;
  /**
   * Routes every outbound fetch through Miniflare's `strip-cf-connecting-ip` Worker (Miniflare's
   * default; see `edgeMiniflareOptions`). Off unless asked: `npm run bench:edge` asks for it with
   * BENCH_STRIP_CF_CONNECTING_IP=1 to measure what the shim costs.
   */
  stripCfConnectingIp?: boolean;
  /**
   * Restricts where the Worker's fetches may connect, checked by workerd on the address it
   * actually connects to (after its own DNS lookup): e.g. `['public', '10.0.0.5/32']` for a
   * self-hosted production edge whose Redis REST bridge is at 10.0.0.5. A webhook name re-pointed
   * at a private address after the SSRF check (DNS rebinding) is then refused at connect time.
   * Omitted: anything the host can reach (the local stack's receivers live on loopback).
   */
  egressAllow?: string[];
  /**
   * Fires every cron trigger of wrangler.toml this often (cron-timer.ts), as Cloudflare does every
   * minute. Off when omitted: tests drive `scheduled()` themselves.
   */
  cronIntervalMs?: number;
}

export interface EdgeRuntime {
  url: string;
  port: number;
  mf: Miniflare;
  /** Present when `cronIntervalMs` was given. */
  cron?: CronTimer;
  stop(): Promise<void>;
}

/**
 * The Miniflare options that run the edge bundle as `wrangler deploy` would deploy it: name,
 * compatibility, module rules, vars, R2 buckets and Durable Objects all from wrangler.toml.
 */
export function edgeMiniflareOptions(options: EdgeRuntimeOptions & { port: number }): MiniflareOptions {
  const toml = readWranglerToml();
  return {
    name: toml.name,
    modules: true,
    scriptPath: options.bundlePath,
    modulesRoot: join(options.bundlePath, '..'),
    modulesRules: toml.rules.map((r) => ({
      type: r.type as 'Text',
      include: r.globs,
      fallthrough: r.fallthrough,
    })),
    compatibilityDate: toml.compatibility_date,
    compatibilityFlags: toml.compatibility_flags,
    host: '127.0.0.1',
    port: options.port,
    bindings: { ...toml.vars, ...options.bindings },
    r2Buckets: toml.r2_buckets.map((b) => b.binding),
    // binding -> class exported by the bundle (the queue waker parks long-polling lease calls).
    durableObjects: Object.fromEntries(toml.durable_objects.bindings.map((b) => [b.name, b.class_name])),
    ...(options.persistDir
      ? {
          r2Persist: join(options.persistDir, 'r2'),
          durableObjectsPersist: join(options.persistDir, 'do'),
        }
      : {}),
    verbose: options.verbose ?? false,
    // Miniflare's default (true) sends each outbound fetch through a second JavaScript Worker that
    // copies the request to drop CF-Connecting-IP and add CF-Worker (workers-sdk#7924: a Worker
    // forwarding its incoming request would leak the client's IP). The edge never forwards an
    // incoming request: its subrequests (Upstash REST, webhooks, DNS, Stripe) are built from a URL
    // and its own headers, so the shim changes nothing it relies on (receivers only lose the
    // informational CF-Worker header) but costs a whole Worker invocation per subrequest: about
    // 0.15-0.2 ms of workerd CPU each on the 2-core bench machine, two per submit (edge/README.md).
    stripCfConnectingIp: options.stripCfConnectingIp ?? false,
    ...(options.egressAllow ? { outboundService: { network: { allow: options.egressAllow } } } : {}),
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
  };
}

/** Starts the edge in workerd through Miniflare's API and resolves once it listens. */
export async function startEdgeRuntime(options: EdgeRuntimeOptions): Promise<EdgeRuntime> {
  const port = options.port || (await getFreePort());
  const mf = new Miniflare(edgeMiniflareOptions({ ...options, port }));
  const ready = await mf.ready;
  const cron = options.cronIntervalMs
    ? startCronTimer(mf, { intervalMs: options.cronIntervalMs })
    : undefined;
  return {
    url: ready.origin,
    port,
    mf,
    cron,
    async stop() {
      await cron?.stop();
      await mf.dispose();
    },
  };
}
