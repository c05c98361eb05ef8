import type { LeasedJob, LeaseResponse } from '@ldm/shared';
import { backoffDelay, sleep } from './backoff';
import type { WorkerConfig } from './config';
import { deliverResult } from './deliver';
import type { EdgeClient } from './edge-client';
import { EdgeRequestError } from './edge-errors';
import { HeldLease } from './held-lease';
import { groupIntoBatches } from './job-batches';
import type { Logger } from './logger';
import type { WorkerMetrics } from './metrics';
import type { ModelRegistry } from './model-registry';
import { BatchRun, type LeasedWork } from './run-batch';
import type { Spool, SpooledResult } from './spool';

export type DaemonState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerDaemonDeps {
  config: WorkerConfig;
  client: EdgeClient;
  models: ModelRegistry;
  spool: Spool;
  metrics: WorkerMetrics;
  log: Logger;
}

/** Heartbeat period before the edge has told us its lease TTL (results re-sent after a restart). */
const DEFAULT_LEASE_TTL_MS = 30_000;
/** Once the drain deadline passed, a last fail/upload call gets this long. */
const SHUTDOWN_CALL_MS = 5_000;

/**
 * The worker: CONCURRENCY lease loops, each taking up to MAX_BATCH jobs per long-poll and running
 * them in compatible batches; finished results spooled and delivered in the background; a drain
 * that stops leasing, lets the work in hand finish within DRAIN_GRACE_MS and releases the rest.
 */
export class WorkerDaemon {
  state: DaemonState = 'starting';
  private leaseTtlMs = DEFAULT_LEASE_TTL_MS;
  /**
   * Cuts a lease long-poll short. Only at the drain deadline: a poll dropped by the client may
   * still be granted jobs by the edge, which then sit unleased-in-practice until their TTL runs out.
   */
  private readonly leasing = new AbortController();
  /** Drain began: no new lease attempt (retries included), no backoff sleep. */
  private readonly draining = new AbortController();
  /** Drain deadline: running batches stop and release their jobs. */
  private readonly release = new AbortController();
  /** Last moment: delivery retries stop; results stay spooled for the next start. */
  private readonly shutdown = new AbortController();
  private readonly inHand = new Set<Promise<unknown>>();
  private loops: Promise<void>[] = [];
  private drained?: Promise<void>;

  constructor(private readonly deps: WorkerDaemonDeps) {}

  get jobsInHand(): number {
    return this.inHand.size;
  }

  async start(): Promise<void> {
    const { spool, log } = this.deps;
    await spool.init();
    const { results, discarded } = await spool.recover();
    if (discarded.length > 0) log.warn('spool: removed unfinished entries', { jobs: discarded });
    for (const result of results) {
      log.info('spool: re-sending result from an earlier run', { job_id: result.job_id });
      const lease = this.hold(result.job_id, result.lease_token, result.heartbeat_ms);
      this.deliver(result, {
        job: { job_id: result.job_id, input: { model: result.model } } as LeasedJob,
        lease,
      });
    }
    this.state = 'running';
    this.loops = Array.from({ length: this.deps.config.concurrency }, (_, slot) => this.leaseLoop(slot));
  }

  /** Idempotent: SIGTERM and the preStop hook both land here. Resolves when nothing is left in hand. */
  drain(): Promise<void> {
    this.drained ??= this.runDrain();
    return this.drained;
  }

  private async runDrain(): Promise<void> {
    const { config, log } = this.deps;
    this.state = 'draining';
    this.draining.abort(new Error('draining'));
    log.info('draining: leasing stopped', { jobs_in_hand: this.inHand.size, grace_ms: config.drainGraceMs });
    const deadline = setTimeout(() => {
      log.warn('drain grace period over: releasing unfinished jobs', { jobs_in_hand: this.inHand.size });
      this.leasing.abort(new Error('drain deadline'));
      this.release.abort(new Error('drain deadline'));
      // Fail calls and uploads in flight get a last few seconds, then give up (results stay spooled).
      setTimeout(() => this.shutdown.abort(new Error('shutdown')), SHUTDOWN_CALL_MS).unref();
    }, config.drainGraceMs);
    await Promise.allSettled(this.loops);
    while (this.inHand.size > 0) await Promise.allSettled([...this.inHand]);
    clearTimeout(deadline);
    this.shutdown.abort(new Error('shutdown'));
    this.state = 'stopped';
    log.info('drained');
  }

  private async leaseLoop(slot: number): Promise<void> {
    const { config, client, models, metrics, log } = this.deps;
    let failures = 0;
    let finishing: Promise<unknown> = Promise.resolve();
    while (this.state === 'running') {
      const asked = performance.now();
      let jobs: LeaseResponse['jobs'];
      try {
        const response = await client.lease(
          {
            worker_id: config.workerId,
            models: models.names,
            max_jobs: config.maxBatch,
            wait_ms: config.leaseWaitMs,
          },
          this.leasing.signal,
          this.draining.signal,
        );
        this.leaseTtlMs = response.lease_ttl_ms;
        jobs = response.jobs;
        failures = 0;
      } catch (error) {
        if (this.state !== 'running') break;
        // A 4xx here is a configuration problem (bad token, unknown model): loud, and slow to retry.
        const level = error instanceof EdgeRequestError ? 'error' : 'warn';
        log[level]('lease failed', { slot, error });
        await sleep(
          backoffDelay(failures++, { baseMs: 1_000, maxMs: config.retryMaxDelayMs }),
          this.draining.signal,
        ).catch(() => {});
        continue;
      }
      if (jobs.length === 0) continue;
      if (this.state !== 'running') {
        // The poll that was parked when the drain began brought work: give it straight back
        // (release spends no attempt) so a worker that stays can start it now.
        await Promise.all(jobs.map((job) => this.releaseUnstarted(job)));
        break;
      }
      metrics.leaseWaitSeconds.observe((performance.now() - asked) / 1000);
      for (const job of jobs) {
        // First attempts only: a retry's queued_at is still its submit time, not its requeue.
        if (job.queued_at && job.attempt === 1)
          metrics.queueWaitSeconds.observe(
            { model: job.input.model },
            Math.max(0, Date.now() - job.queued_at) / 1000,
          );
      }
      log.info('leased', { slot, jobs: jobs.map((j) => j.job_id) });
      const work = jobs.map((job) => ({ job, lease: this.hold(job.job_id, job.lease_token) }));
      const byJob = new Map(work.map((w) => [w.job, w]));
      const batches = groupIntoBatches(jobs, (m) => models.get(m), config.maxBatch);
      for (const batch of batches) {
        const batchRun = new BatchRun(
          batch.map((job) => byJob.get(job) as LeasedWork),
          {
            client,
            spool: this.deps.spool,
            metrics,
            log,
            pipelineFor: (m) => models.get(m),
            upscalerFor: (m) => models.getUpscaler(m),
            releaseSignal: this.release.signal,
            failDeadlineMs: () => (this.release.signal.aborted ? SHUTDOWN_CALL_MS : this.leaseTtlMs),
            deliver: (result, w) => this.deliver(result, w),
            settled: () => this.deps.metrics.jobsInHand.dec(),
          },
        );
        const run = this.track(batchRun.run()).catch((error) => log.error('batch crashed', { error }));
        // One GPU pass at a time per slot, but the slot moves on as soon as the pass is over:
        // encoding and spooling these images overlaps the next batch's denoising. It waits for
        // the batch before, so at most one batch per slot is being encoded.
        await Promise.race([batchRun.inferenceOver, run]);
        await finishing;
        finishing = run;
      }
    }
  }

  private async releaseUnstarted(job: LeasedJob): Promise<void> {
    const { client, log, metrics } = this.deps;
    try {
      await client.release(
        job.job_id,
        { lease_token: job.lease_token },
        AbortSignal.timeout(SHUTDOWN_CALL_MS),
      );
      metrics.jobs.inc({ model: job.input.model, outcome: 'released', code: '' });
      log.info('job released', { job_id: job.job_id, started: false });
    } catch (error) {
      log.warn('release not delivered; the lease will expire', { job_id: job.job_id, error });
    }
  }

  /** Starts holding a lease: heartbeats from now until the job is settled. */
  private hold(jobId: string, token: string, knownIntervalMs?: number): HeldLease {
    const intervalMs =
      this.deps.config.heartbeatIntervalMs ??
      knownIntervalMs ??
      Math.max(200, Math.floor(this.leaseTtlMs / 3));
    const lease = new HeldLease({
      jobId,
      leaseToken: token,
      client: this.deps.client,
      intervalMs,
      log: this.deps.log,
    });
    lease.start();
    this.deps.metrics.jobsInHand.inc();
    return lease;
  }

  private deliver(result: SpooledResult, w: LeasedWork): void {
    const { client, spool, metrics, log } = this.deps;
    metrics.spooled.inc();
    const run = (async () => {
      try {
        const outcome = await deliverResult(result, { client, spool, log, signal: this.shutdown.signal });
        metrics.jobs.inc({
          model: result.model,
          outcome: outcome === 'accepted' ? 'succeeded' : 'lease_lost',
          code: '',
        });
        log.info(outcome === 'accepted' ? 'job succeeded' : 'result discarded: lease lost', {
          job_id: result.job_id,
          outputs: result.outputs.length,
        });
      } catch (error) {
        if (error instanceof EdgeRequestError) {
          // The edge refuses this result for good (e.g. too large): retrying cannot help.
          log.error('result refused by the edge', { job_id: result.job_id, error });
          await spool.remove(result.job_id);
          await client
            .fail(
              result.job_id,
              {
                lease_token: result.lease_token,
                error: { code: 'internal_error', message: error.message },
                // Outputs the edge kept not finding (409) may well upload from another worker;
                // a result refused for what it is (e.g. too large) would be refused again.
                retryable: error.status === 409,
              },
              AbortSignal.timeout(SHUTDOWN_CALL_MS),
            )
            .catch(() => {});
          metrics.jobs.inc({ model: result.model, outcome: 'failed', code: 'internal_error' });
        } else {
          log.warn('result kept in the spool for the next start', { job_id: result.job_id, error });
        }
      } finally {
        metrics.spooled.dec();
        await w.lease.stop();
        metrics.jobsInHand.dec();
      }
    })();
    void this.track(run);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inHand.add(promise);
    const forget = () => this.inHand.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
