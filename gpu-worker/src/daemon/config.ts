import { hostname } from 'node:os';
import { SAFETY_MODES, type SafetyMode } from '@ldm/shared';
import { z } from 'zod';
import { PROVIDER_CHOICES, type ProviderChoice } from '../model/providers/provider-names';

/**
 * Everything the worker daemon reads from its environment, parsed once at start and passed
 * down. The Kubernetes ConfigMap (infra/k8s) is checked against this schema by a test, so a
 * key renamed here fails there instead of in a cluster.
 */
const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** `name=path` pairs separated by commas, e.g. `demo-shapes=/models/demo-shapes`. */
const modelDirs = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const dirs: Record<string, string> = {};
    for (const pair of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) {
        ctx.addIssue({ code: 'custom', message: `expected name=path, got "${pair}"` });
        return z.NEVER;
      }
      dirs[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return dirs;
  });

export const WorkerConfigSchema = z
  .object({
    EDGE_URL: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    WORKER_TOKEN: z
      .string()
      .min(16, 'WORKER_TOKEN must be at least 16 characters (the edge refuses shorter ones)'),
    WORKER_ID: z.string().min(1).max(200).optional(),
    MODEL_DIRS: modelDirs.optional(),
    MODELS_ROOT: z.string().min(1).optional(),
    /** auto: CUDA, then WebGPU, then the CPU (each fallback logged with its reason); a named provider is required. */
    PROVIDER: z.enum(PROVIDER_CHOICES).optional(),
    /** The variable's name before PROVIDER existed; still read so older deployments keep working. */
    EXECUTION_PROVIDER: z.enum(PROVIDER_CHOICES).optional(),
    /** With PROVIDER=auto, fail at start instead of ending on the CPU (GPU pods). */
    REQUIRE_GPU: z
      .enum(['true', 'false', '1', '0'])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    /** WebGPU's preferred layout for convolutions. */
    WEBGPU_LAYOUT: z.enum(['NHWC', 'NCHW']).default('NHWC'),
    CUDA_DEVICE_ID: int(0, 64, 0),
    /** onnxruntime intra-op threads per session; unset lets onnxruntime use every core (one worker per host). */
    INTRA_OP_THREADS: z.coerce.number().int().min(1).max(256).optional(),
    /** Safety checker mode of every model on this worker when a job names none (the edge names the account's or the catalog's). */
    SAFETY_CHECKER: z.enum(SAFETY_MODES).default('block'),
    /** 1: onnxruntime's deterministic compute (see the pipeline README, "Determinism"). */
    DETERMINISTIC: z.enum(['0', '1']).default('0'),
    /** Batches run at once. One per GPU is right for a large model; CPU demos may use more. */
    CONCURRENCY: int(1, 8, 1),
    /** Jobs leased per lease call and run as one UNet batch when compatible (LeaseRequest max_jobs <= 16). */
    MAX_BATCH: int(1, 16, 4),
    LEASE_WAIT_MS: int(0, 30_000, 20_000),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_PORT: int(0, 65_535, 9464),
    DRAIN_GRACE_MS: int(0, 3_600_000, 120_000),
    SPOOL_DIR: z.string().min(1).default('.data/worker-spool'),
    /** Heartbeat period; by default a third of the lease TTL the edge announces. */
    HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).optional(),
    /** Upper bound of one backoff sleep when the edge is unreachable. */
    RETRY_MAX_DELAY_MS: int(100, 300_000, 15_000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (!env.MODEL_DIRS && !env.MODELS_ROOT) {
      ctx.addIssue({
        code: 'custom',
        path: ['MODEL_DIRS'],
        message: 'set MODEL_DIRS (name=path,...) or MODELS_ROOT',
      });
    }
  });

export interface WorkerConfig {
  edgeUrl: string;
  workerToken: string;
  workerId: string;
  /** Explicit model folders; merged over the subfolders of `modelsRoot`. */
  modelDirs: Record<string, string>;
  modelsRoot?: string;
  provider: ProviderChoice;
  requireGpu: boolean;
  webgpuLayout: 'NHWC' | 'NCHW';
  cudaDeviceId: number;
  intraOpThreads?: number;
  deterministic: boolean;
  safetyChecker: SafetyMode;
  concurrency: number;
  maxBatch: number;
  leaseWaitMs: number;
  metricsHost: string;
  metricsPort: number;
  drainGraceMs: number;
  spoolDir: string;
  heartbeatIntervalMs?: number;
  retryMaxDelayMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad variable is named with its limit and nothing else (no values: they may be secrets). */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  // Empty strings mean "unset": that is how a ConfigMap or a shell `FOO=` leaves them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = WorkerConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`invalid worker configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  return {
    edgeUrl: c.EDGE_URL,
    workerToken: c.WORKER_TOKEN,
    workerId: c.WORKER_ID ?? `${hostname()}-${process.pid}`,
    modelDirs: c.MODEL_DIRS ?? {},
    modelsRoot: c.MODELS_ROOT,
    provider: c.PROVIDER ?? c.EXECUTION_PROVIDER ?? 'auto',
    requireGpu: c.REQUIRE_GPU,
    webgpuLayout: c.WEBGPU_LAYOUT,
    cudaDeviceId: c.CUDA_DEVICE_ID,
    intraOpThreads: c.INTRA_OP_THREADS,
    deterministic: c.DETERMINISTIC === '1',
    safetyChecker: c.SAFETY_CHECKER,
    concurrency: c.CONCURRENCY,
    maxBatch: c.MAX_BATCH,
    leaseWaitMs: c.LEASE_WAIT_MS,
    metricsHost: c.METRICS_HOST,
    metricsPort: c.METRICS_PORT,
    drainGraceMs: c.DRAIN_GRACE_MS,
    spoolDir: c.SPOOL_DIR,
    heartbeatIntervalMs: c.HEARTBEAT_INTERVAL_MS,
    retryMaxDelayMs: c.RETRY_MAX_DELAY_MS,
    logLevel: c.LOG_LEVEL,
  };
}
