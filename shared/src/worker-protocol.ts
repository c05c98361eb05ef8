import { z } from 'zod';
import { JobInput } from './generation';
import { LIMITS } from './limits';
import { ModelExportFields } from './models';

/**
 * The worker protocol (`/worker/v1`, WORKER_TOKEN). A GPU worker holds no credentials but its
 * token: it leases jobs, heartbeats, uploads outputs and completes or fails, every call fenced
 * by the lease token so a worker whose lease expired changes nothing (409 lease_lost).
 */
/** Limits of the worker protocol, named in its 4xx errors. */
export const WORKER_LIMITS = {
  /** One uploaded output image. */
  outputMaxBytes: 32 * 1024 * 1024,
  /** JSON bodies (lease, heartbeat, complete, fail, release). */
  jsonBodyMaxBytes: 64 * 1024,
} as const;

/** Upload and input download carry the lease token in this header (their bodies are image bytes). */
export const LEASE_TOKEN_HEADER = 'X-Lease-Token';

export const LeaseRequest = z
  .strictObject({
    worker_id: z.string().min(1).max(200),
    models: z.array(z.string().min(1)).min(1).max(32),
    max_jobs: z.int().min(1).max(16).default(1),
    wait_ms: z.int().min(0).max(30_000).default(20_000).describe('Long-poll: how long to wait for work.'),
  })
  .meta({ id: 'LeaseRequest' });
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export const LeasedJob = z
  .object({
    job_id: z.string(),
    lease_token: z.string(),
    lease_expires_at: z.int().describe('Unix ms.'),
    attempt: z.int().min(1),
    queued_at: z.int().optional().describe('Unix ms the job was submitted (queue wait = lease time - this).'),
    input: JobInput,
    image_url: z.string().optional().describe('Where to download the input image (worker-authenticated).'),
    mask_url: z.string().optional(),
  })
  .meta({ id: 'LeasedJob' });
export type LeasedJob = z.infer<typeof LeasedJob>;

export const LeaseResponse = z
  .object({ jobs: z.array(LeasedJob), lease_ttl_ms: z.int() })
  .meta({ id: 'LeaseResponse' });
export type LeaseResponse = z.infer<typeof LeaseResponse>;

export const HeartbeatRequest = z
  .strictObject({
    lease_token: z.string().min(1),
    progress: z
      .object({
        step: z.int().min(0).max(LIMITS.progressStepsMax),
        total: z.int().min(1).max(LIMITS.progressStepsMax),
      })
      .optional(),
  })
  .meta({ id: 'HeartbeatRequest' });
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z
  .object({ lease_expires_at: z.int(), cancel: z.boolean() })
  .meta({ id: 'HeartbeatResponse' });
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

export const UploadedOutput = z
  .object({ index: z.int().min(0), key: z.string(), content_type: z.string(), bytes: z.int() })
  .meta({ id: 'UploadedOutput' });
export type UploadedOutput = z.infer<typeof UploadedOutput>;

export const CompleteRequest = z
  .strictObject({
    lease_token: z.string().min(1),
    outputs: z
      .array(
        z.object({
          index: z.int().min(0),
          width: z.int().min(1),
          height: z.int().min(1),
          seed: z.int().min(0),
          content_type: z.string(),
          nsfw: z
            .boolean()
            .optional()
            .describe("The model's safety checker flagged it (blocked or blurred)."),
        }),
      )
      .min(1)
      .max(16),
    metrics: z.object({ inference_ms: z.int().min(0) }),
  })
  .meta({ id: 'CompleteRequest' });
export type CompleteRequest = z.infer<typeof CompleteRequest>;

export const WORKER_FAILURE_CODES = [
  'invalid_input_image',
  'out_of_memory',
  'model_error',
  'model_not_loaded',
  'canceled',
  'internal_error',
] as const;

export const FailRequest = z
  .strictObject({
    lease_token: z.string().min(1),
    error: z.object({ code: z.enum(WORKER_FAILURE_CODES), message: z.string().max(2_000) }),
    retryable: z.boolean(),
  })
  .meta({ id: 'FailRequest' });
export type FailRequest = z.infer<typeof FailRequest>;

/**
 * A draining worker (SIGTERM) gives a job back unfinished; it is requeued without spending an attempt,
 * up to the edge's MAX_RELEASES times; the next release ends it failed (`too_many_releases`).
 */
export const ReleaseRequest = z
  .strictObject({ lease_token: z.string().min(1) })
  .meta({ id: 'ReleaseRequest' });
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;

/** Where a job stands after complete, fail or release. */
export const WorkerJobStatus = z
  .object({
    job_id: z.string(),
    status: z.enum(['queued', 'succeeded', 'failed', 'canceled']),
    units: z.number().optional().describe('Units charged, on success.'),
  })
  .meta({ id: 'WorkerJobStatus' });
export type WorkerJobStatus = z.infer<typeof WorkerJobStatus>;

export const QueueStats = z
  .object({
    models: z.array(
      z.object({
        model: z.string(),
        depth: z.int().describe('Jobs waiting to be leased.'),
        oldest_age_ms: z.int(),
        leased: z.int().describe('Jobs leased to workers now.'),
        served: z
          .boolean()
          .describe(
            'Counted in desired_workers: a worker asked to lease this model within MODEL_SEEN_WINDOW_MS (or none asked for any model within it).',
          ),
      }),
    ),
    total_depth: z.int(),
    total_leased: z.int(),
    desired_workers: z
      .int()
      .describe(
        'depth + leased of the served models, the figure KEDA scales on. While no worker has asked for any ' +
          'model within the window (a fresh deploy, a pool idle that long), every model counts, so a pool at ' +
          'zero still wakes; its first lease call then says which models it serves.',
      ),
  })
  .meta({ id: 'QueueStats' });
export type QueueStats = z.infer<typeof QueueStats>;

export const WorkerCatalog = z
  .object({
    models: z.array(
      z.object({
        name: z.string().describe('The model name workers lease by (their model folder name).'),
        version: z.string(),
      }),
    ),
  })
  .meta({ id: 'WorkerCatalog' });
export type WorkerCatalog = z.infer<typeof WorkerCatalog>;

/** PUT /worker/v1/models/{name}/export: what a worker read from a served model's export, at start. */
export const ModelExportReport = z.strictObject(ModelExportFields).meta({ id: 'ModelExportReport' });
export type ModelExportReport = z.infer<typeof ModelExportReport>;
