import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const JOB_OUTCOMES = ['succeeded', 'failed', 'canceled', 'lease_lost', 'released'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** The worker's Prometheus metrics, on their own registry (no global state between tests). */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ldm_worker_' });
  return {
    registry,
    jobs: new Counter({
      name: 'ldm_worker_jobs_total',
      help: 'Jobs this worker finished, by outcome (released = handed back to the queue, retryable).',
      labelNames: ['model', 'outcome', 'code'] as const,
      registers: [registry],
    }),
    stepSeconds: new Histogram({
      name: 'ldm_worker_step_seconds',
      help: 'Wall time of one denoising step of one batch (every job of the batch advances one step).',
      labelNames: ['model', 'batch_size'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    inferenceSeconds: new Histogram({
      name: 'ldm_worker_inference_seconds',
      help: 'Wall time of a whole batch: inputs, text encoder, denoising, decode and encode.',
      labelNames: ['model'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    queueWaitSeconds: new Histogram({
      name: 'ldm_worker_queue_wait_seconds',
      help: 'Time a job waited between submit and lease, as reported by the edge (queued_at).',
      labelNames: ['model'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    leaseWaitSeconds: new Histogram({
      name: 'ldm_worker_lease_wait_seconds',
      help: 'Time a lease call took until it returned work (idle time of this worker).',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 20, 30],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'ldm_worker_batch_size',
      help: 'Jobs run together as one UNet batch.',
      labelNames: ['model'] as const,
      buckets: [1, 2, 3, 4, 6, 8, 12, 16],
      registers: [registry],
    }),
    jobsInHand: new Gauge({
      name: 'ldm_worker_jobs_in_hand',
      help: 'Leased jobs this worker holds (running or delivering).',
      registers: [registry],
    }),
    spooled: new Gauge({
      name: 'ldm_worker_spooled_results',
      help: 'Finished results on local disk waiting for the edge to accept them.',
      registers: [registry],
    }),
    provider: new Gauge({
      name: 'ldm_worker_execution_provider',
      help: 'Execution provider in use per model (1 = in use).',
      labelNames: ['model', 'provider'] as const,
      registers: [registry],
    }),
    providerSelection: new Gauge({
      name: 'ldm_worker_provider',
      help: 'The execution provider chosen at start (1): what was requested, what runs, and the providers auto passed over (comma-separated, reasons in the log and /healthz).',
      labelNames: ['requested', 'provider', 'device', 'fell_back_from'] as const,
      registers: [registry],
    }),
    edgeErrors: new Counter({
      name: 'ldm_worker_edge_errors_total',
      help: 'Edge calls that failed and were retried or given up.',
      labelNames: ['call'] as const,
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
