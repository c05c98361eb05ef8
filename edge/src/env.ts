import { ModelInfo } from '@ldm/shared';
import { z } from 'zod';
import { BUILTIN_MODELS } from './config/models';
import { mergePlanLimits, PlanLimitsOverride } from './config/plans';
import { objectRetentionFor } from './storage/object-retention-period';

/** A JSON-valued var: parsed, then checked by `schema`; a parse failure is reported on that var. */
export const jsonVar = <T extends z.ZodType>(schema: T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const seconds = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/**
 * Every var and secret the edge reads, with its default: wrangler.toml names them
 * (worker-configuration.d.ts types them); a test keeps its [vars] and secrets equal to this.
 */
export const EnvSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  WORKER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  URL_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters'),
  // Billing is optional for a local stack; the billing code checks for presence itself.
  STRIPE_SECRET_KEY: z.string().default(''),
  STRIPE_WEBHOOK_SECRET: z.string().default(''),
  /** Where the Stripe SDK sends calls, e.g. `http://127.0.0.1:4010` for a local recorder; '' = api.stripe.com. */
  STRIPE_API_BASE: z.union([z.literal(''), z.url()]).default(''),
  /** The `event_name` of the Stripe Billing Meter that usage events are reported to. */
  STRIPE_METER_EVENT_NAME: z.string().min(1).max(100).default('ldm_units'),
  /** How usage reaches Stripe: `stream` (v2 meter event stream, 100 per call) or `events` (v1, one call each). */
  STRIPE_METER_API: z.enum(['stream', 'events']).default('stream'),
  /** Per-call timeout of Stripe API calls, ms. */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Backoff after a failed meter flush: base doubles per consecutive failure, up to the max (ms). */
  BILLING_RETRY_BASE_MS: z.coerce.number().int().min(1).default(60_000),
  BILLING_RETRY_MAX_MS: z.coerce.number().int().min(1).default(3_600_000),
  DEPLOY_MODE: z.enum(['local', 'production']).default('production'),
  DEFAULT_MODEL: z.string().min(1).default('demo-shapes'),
  MODELS_JSON: jsonVar(z.array(ModelInfo), '[]'),
  PLAN_LIMITS_JSON: jsonVar(PlanLimitsOverride, '{}'),
  JOB_RETENTION_SECONDS: seconds(7 * 24 * 3600),
  /**
   * Stored images (R2 outputs/ and inputs/) are deleted this long after upload; 0 = derived:
   * 2 x JOB_RETENTION_SECONDS + 1 day (storage/object-retention.ts says why).
   */
  OBJECT_RETENTION_SECONDS: z.coerce.number().int().min(0).default(0),
  OUTPUT_URL_TTL_SECONDS: seconds(3600),
  IDEMPOTENCY_TTL_SECONDS: seconds(24 * 3600),
  /** Lease length handed to workers; a lease not renewed by a heartbeat within it is reclaimed. */
  LEASE_TTL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Attempts (leases) before a job fails for good. */
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /**
   * How long a job may wait in its queue for a worker before it ends failed (`queue_timeout`),
   * releasing its credits and concurrency slot; also what ends jobs of models no worker serves.
   */
  QUEUE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(30 * 60_000),
  /**
   * A model's queue drives scaling (GET /worker/v1/queue desired_workers) while a worker asked to
   * lease it within this window; queued jobs of other models end `no_capacity` at the queue timeout.
   */
  MODEL_SEEN_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(7 * 24 * 3600_000),
  /** Times workers may give a job back (release); the next release ends it failed (`too_many_releases`). */
  MAX_RELEASES: z.coerce.number().int().min(0).max(100).default(5),
  /**
   * Safety poll of a watched job (`/events`, `Prefer: wait`), in ms: watchers are woken by every
   * change of the job (its Durable Object wake point) and re-read it only then or after this long.
   */
  POLL_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(10_000),
  /** Open `/events` streams plus `Prefer: wait` requests one account may hold at once (429 beyond). */
  MAX_WATCHES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000).default(10),
  /** Origin put in links that leave the request context (webhook payloads); '' = the submit request's origin. */
  PUBLIC_BASE_URL: z.union([z.literal(''), z.url()]).default(''),
  /** DNS-over-HTTPS (JSON) endpoint that webhook targets are resolved with outside local mode (SSRF check). */
  WEBHOOK_DNS_RESOLVER_URL: z.union([z.literal(''), z.url()]).default('https://cloudflare-dns.com/dns-query'),
});

/** The edge's settings, read from the env by EnvSchema: its type is what `configOf` builds. */
export type Config = ReturnType<typeof configOf>;

export class ConfigError extends Error {
  constructor(issues: string[]) {
    // Names the variable and the rule only: values may be secrets and are never echoed.
    super(`edge configuration is invalid: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return configOf(parsed.data);
}

/** Settings from a parsed env: grouped, renamed, JSON vars merged over the built-in tables. */
function configOf(e: z.output<typeof EnvSchema>) {
  const byName = new Map<string, ModelInfo>();
  for (const model of [...BUILTIN_MODELS, ...e.MODELS_JSON]) byName.set(model.name, model);
  if (!byName.has(e.DEFAULT_MODEL))
    throw new ConfigError([`DEFAULT_MODEL: unknown model ${e.DEFAULT_MODEL}`]);
  const models: ReadonlyMap<string, ModelInfo> = byName;
  return {
    mode: e.DEPLOY_MODE,
    redis: { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN },
    adminToken: e.ADMIN_TOKEN,
    workerToken: e.WORKER_TOKEN,
    urlSigningSecret: e.URL_SIGNING_SECRET,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiBase: e.STRIPE_API_BASE,
      meterEventName: e.STRIPE_METER_EVENT_NAME,
      meterApi: e.STRIPE_METER_API,
      timeoutMs: e.STRIPE_TIMEOUT_MS,
      retryBaseMs: e.BILLING_RETRY_BASE_MS,
      retryMaxMs: e.BILLING_RETRY_MAX_MS,
    },
    defaultModel: e.DEFAULT_MODEL,
    models,
    plans: mergePlanLimits(e.PLAN_LIMITS_JSON),
    jobRetentionSeconds: e.JOB_RETENTION_SECONDS,
    objectRetentionSeconds: e.OBJECT_RETENTION_SECONDS || objectRetentionFor(e.JOB_RETENTION_SECONDS),
    outputUrlTtlSeconds: e.OUTPUT_URL_TTL_SECONDS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    leaseTtlMs: e.LEASE_TTL_MS,
    maxAttempts: e.MAX_ATTEMPTS,
    queueTimeoutMs: e.QUEUE_TIMEOUT_MS,
    modelSeenWindowMs: e.MODEL_SEEN_WINDOW_MS,
    maxReleases: e.MAX_RELEASES,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    maxWatchesPerAccount: e.MAX_WATCHES_PER_ACCOUNT,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    webhookDnsResolverUrl: e.WEBHOOK_DNS_RESOLVER_URL,
  };
}

// The Worker runtime hands the same env object to every request of an isolate, so parsing
// once per env object is parsing once at start.
const parsedByEnv = new WeakMap<object, Config>();

export function configFor(env: object): Config {
  let config = parsedByEnv.get(env);
  if (!config) {
    config = parseConfig(env as Record<string, unknown>);
    parsedByEnv.set(env, config);
  }
  return config;
}
