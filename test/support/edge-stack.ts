import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCountingProxy } from '@ldm/edge/bench/counting-proxy';
import { ensureEdgeBundle } from '@ldm/edge/scripts/ensure-bundle';
import { type EdgeRuntime, startEdgeRuntime } from '@ldm/infra/local/edge-runtime';
import { type RedisWithBridge, startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';
import type { Miniflare } from 'miniflare';

export interface EdgeStackOptions {
  /** Extra or overriding vars (wrangler.toml names), e.g. `{ PLAN_LIMITS_JSON: '{"free":{"requests_per_minute":5}}' }`. */
  vars?: Record<string, string>;
  /** Keep R2/DO state here instead of a temporary directory removed on stop. */
  persistDir?: string;
  /** Print the Worker's console output. */
  verbose?: boolean;
  /** Put a counting pass-through between the edge and the bridge (see `restRequests`). */
  countRestRequests?: boolean;
  /** Where the Worker's fetches may connect (workerd's network allow list); see EdgeRuntimeOptions. */
  egressAllow?: string[];
}

export interface TestAccount {
  id: string;
  apiKey: string;
  keyId: string;
  /** `{ authorization: 'Bearer <apiKey>' }` */
  headers: Record<string, string>;
}

export interface CreateAccountOptions {
  name?: string;
  credits?: number;
  plan?: 'free' | 'pro' | 'enterprise';
  limits?: { requests_per_minute?: number; concurrent_jobs?: number };
  /** The key's mode; default live (test keys are free and quota-limited, DESIGN decision 4). */
  mode?: 'live' | 'test';
}

export interface EdgeStack {
  /** `http://127.0.0.1:<port>` of the edge. */
  baseUrl: string;
  adminToken: string;
  workerToken: string;
  urlSigningSecret: string;
  /** A client on the same Redis (through the bridge), for checking state behind the API. */
  redis: Redis;
  bridge: RedisWithBridge;
  mf: Miniflare;
  runtime: EdgeRuntime;
  /** Creates an account through the admin API and gives it one API key. */
  createAccount(options?: CreateAccountOptions): Promise<TestAccount>;
  /** REST requests the edge sent to Redis so far (only with `countRestRequests`). */
  restRequests(): number;
  /** fetch against baseUrl; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');

/**
 * The edge as the local stack runs it: a private redis-server, the Upstash REST bridge in front
 * of it, and the wrangler-built bundle in workerd (Miniflare's API) on a free loopback port,
 * with R2 persisted to a temporary directory. Every test file gets its own.
 */
export async function startEdgeStack(options: EdgeStackOptions = {}): Promise<EdgeStack> {
  const bundlePath = await ensureEdgeBundle();
  const bridge = await startRedisWithBridge();
  const proxy = options.countRestRequests ? await startCountingProxy(bridge.bridgeUrl) : undefined;
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), 'ldm-edge-'));
  const adminToken = secret();
  const workerToken = secret();
  const urlSigningSecret = secret();
  let runtime: EdgeRuntime;
  try {
    runtime = await startEdgeRuntime({
      bundlePath,
      persistDir,
      verbose: options.verbose,
      egressAllow: options.egressAllow,
      bindings: {
        UPSTASH_REDIS_REST_URL: proxy?.url ?? bridge.bridgeUrl,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        ADMIN_TOKEN: adminToken,
        WORKER_TOKEN: workerToken,
        URL_SIGNING_SECRET: urlSigningSecret,
        STRIPE_SECRET_KEY: '',
        STRIPE_WEBHOOK_SECRET: '',
        DEPLOY_MODE: 'local',
        DEFAULT_MODEL: 'demo-shapes',
        MODELS_JSON: '[]',
        ...options.vars,
      },
    });
  } catch (error) {
    await proxy?.close();
    await bridge.stop();
    throw error;
  }
  const baseUrl = runtime.url;
  const redis = new Redis({ url: bridge.bridgeUrl, token: bridge.token, automaticDeserialization: false });
  const stackFetch = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);

  async function admin(path: string, method: string, body?: unknown): Promise<unknown> {
    const res = await stackFetch(path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  return {
    baseUrl,
    adminToken,
    workerToken,
    urlSigningSecret,
    redis,
    bridge,
    mf: runtime.mf,
    runtime,
    fetch: stackFetch,
    restRequests: () => proxy?.total() ?? Number.NaN,
    async createAccount(o: CreateAccountOptions = {}) {
      const account = (await admin('/admin/v1/accounts', 'POST', {
        name: o.name ?? 'test account',
        credits: o.credits ?? 1_000_000,
        plan: o.plan ?? 'free',
      })) as { id: string };
      if (o.limits) await admin(`/admin/v1/accounts/${account.id}`, 'PATCH', { limits: o.limits });
      const key = (await admin(`/admin/v1/accounts/${account.id}/keys`, 'POST', {
        mode: o.mode ?? 'live',
      })) as {
        id: string;
        key: string;
      };
      return {
        id: account.id,
        apiKey: key.key,
        keyId: key.id,
        headers: { authorization: `Bearer ${key.key}` },
      };
    },
    async stop() {
      await runtime.mf.dispose();
      await proxy?.close();
      await bridge.stop();
      if (!options.persistDir) rmSync(persistDir, { recursive: true, force: true });
    },
  };
}
