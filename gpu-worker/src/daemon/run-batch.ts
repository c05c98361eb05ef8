import type { LeasedJob } from '@ldm/shared';
import {
  CONTENT_TYPES,
  encodeImage,
  type GenerateResult,
  generateWithRefiner,
  type LatentDiffusionPipeline,
  type UpscalePipeline,
} from '../index';
import type { EdgeClient } from './edge-client';
import { EdgeRequestError, isLeaseLost } from './edge-errors';
import { classifyFailure, type Failure, InputImageError, redactPrompts } from './failure';
import { generateOrUpscale, missingModels } from './generate-or-upscale';
import type { HeldLease } from './held-lease';
import { pipelineRequest } from './job-batches';
import type { Logger } from './logger';
import type { JobOutcome, WorkerMetrics } from './metrics';
import { refinerFor } from './refiner-for';
import type { OutputToSpool, Spool, SpooledResult } from './spool';

/** A leased job and the lease this worker holds on it (heartbeats already running). */
export interface LeasedWork {
  job: LeasedJob;
  lease: HeldLease;
}

export interface BatchRunnerDeps {
  client: EdgeClient;
  spool: Spool;
  metrics: WorkerMetrics;
  log: Logger;
  pipelineFor(model: string): LatentDiffusionPipeline | undefined;
  /** x4 upscalers this worker loaded (upscale jobs; txt2img jobs with `upscale` need one too). */
  upscalerFor?(model: string): UpscalePipeline | undefined;
  /** Aborts when the drain grace period is over: unfinished work goes back to the queue. */
  releaseSignal: AbortSignal;
  /** How long a fail call may keep retrying (past it, the lease expires and the edge re-queues anyway). */
  failDeadlineMs(): number;
  /** Takes a spooled result to the edge (in the background) and settles the job. */
  deliver(result: SpooledResult, work: LeasedWork): void;
  /** Called once per job that ends here (failed, canceled, discarded, released) rather than in delivery. */
  settled(work: LeasedWork): void;
}

const RELEASED: Failure = {
  code: 'internal_error',
  message: 'worker shutting down before the job finished; released back to the queue',
  retryable: true,
};

/**
 * Runs one batch of compatible leased jobs through the pipeline and takes each job to its end:
 * spooled for delivery, failed with a code, canceled, discarded (lease lost) or released.
 */
export class BatchRun {
  private readonly pending = new Set<LeasedWork>();
  private readonly controller = new AbortController();
  private endInference!: () => void;
  /**
   * Resolves once the pipeline is done with this batch (or will never start it): the slot can
   * put the next batch on the GPU while this one's images are encoded and spooled.
   */
  readonly inferenceOver = new Promise<void>((resolve) => {
    this.endInference = resolve;
  });

  constructor(
    private readonly work: LeasedWork[],
    private readonly deps: BatchRunnerDeps,
  ) {}

  /** Takes every job of the batch to its end; `inferenceOver` resolves earlier, see there. */
  async run(): Promise<void> {
    try {
      await this.runJobs();
    } finally {
      this.endInference();
    }
  }

  private async runJobs(): Promise<void> {
    for (const w of this.work) this.pending.add(w);
    const model = this.work[0].job.input.model;
    const log = this.deps.log.child({ model, batch: this.work.map((w) => w.job.job_id) });
    const input0 = this.work[0].job.input;
    const pipelines = {
      pipeline: input0.task === 'upscale' ? undefined : this.deps.pipelineFor(model),
      upscaler:
        input0.task === 'upscale'
          ? this.deps.upscalerFor?.(model)
          : input0.upscale !== undefined
            ? this.deps.upscalerFor?.(input0.upscaler ?? '')
            : undefined,
    };
    const missing = missingModels(input0, pipelines);
    if (missing.length > 0) {
      await this.settleAll({
        code: 'model_not_loaded',
        message: `model ${missing.join(' and ')} is not loaded here`,
        retryable: true,
      });
      return;
    }
    if (this.deps.releaseSignal.aborted) return this.settleAll(RELEASED);

    const requests = new Map<LeasedWork, Awaited<ReturnType<typeof this.requestFor>>>();
    for (const w of this.work) {
      try {
        requests.set(w, await this.requestFor(w));
      } catch (error) {
        await this.settle(w, isLeaseLost(error) ? 'lost' : classifyFailure(error));
      }
    }
    const running = this.work.filter((w) => this.pending.has(w) && !w.lease.signal.aborted);
    for (const w of this.work)
      if (this.pending.has(w) && w.lease.signal.aborted) await this.settle(w, 'stopped');
    if (running.length === 0) return;

    const unwatch = this.watch(running);
    const started = performance.now();
    this.deps.metrics.batchSize.observe({ model }, running.length);
    log.info('batch started', { jobs: running.length });
    let results: GenerateResult[];
    try {
      const options = {
        signal: this.controller.signal,
        onProgress: ({ step, total }: { step: number; total: number }) => {
          for (const w of running) w.lease.progress = { step, total };
        },
      };
      const batch = running.map((w) => requests.get(w) as NonNullable<ReturnType<typeof requests.get>>);
      // A base + refiner job runs alone (job-batches.ts): both models of this worker, one after the other.
      const refinerName = batch.length === 1 ? batch[0].refiner : undefined;
      results =
        refinerName && pipelines.pipeline
          ? [
              await generateWithRefiner(
                pipelines.pipeline,
                refinerFor(refinerName, this.deps.pipelineFor),
                batch[0],
                options,
              ),
            ]
          : await generateOrUpscale(
              pipelines,
              batch,
              running.map((w) => w.job.input),
              options,
            );
    } catch (error) {
      unwatch();
      this.endInference();
      const stoppedAfter = (error as { step?: number }).step;
      for (const w of running) {
        if (!this.pending.has(w)) continue;
        if (w.lease.signal.aborted) await this.settle(w, 'stopped', stoppedAfter);
        else if (this.deps.releaseSignal.aborted) await this.settle(w, RELEASED);
        else await this.settle(w, classifyFailure(error));
      }
      if (!this.controller.signal.aborted) {
        const prompts = running.flatMap((w) => [w.job.input.prompt, w.job.input.negative_prompt]);
        const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log.error('batch failed', { error: redactPrompts(text, prompts) });
      }
      return;
    }
    unwatch();
    this.endInference();
    const inferenceMs = Math.round(performance.now() - started);
    this.deps.metrics.inferenceSeconds.observe({ model }, inferenceMs / 1000);
    for (const ms of results[0].timings.unetStepMs) {
      this.deps.metrics.stepSeconds.observe({ model, batch_size: String(running.length) }, ms / 1000);
    }
    log.info('batch finished', { jobs: running.length, inference_ms: inferenceMs });

    for (const [i, w] of running.entries()) {
      if (!this.pending.has(w)) continue;
      if (w.lease.signal.aborted) {
        await this.settle(w, 'stopped');
        continue;
      }
      try {
        const outputs = await encodeOutputs(w.job, results[i]);
        const spooled = await this.deps.spool.save(
          {
            job_id: w.job.job_id,
            lease_token: w.lease.token,
            model,
            inference_ms: inferenceMs,
            heartbeat_ms: w.lease.intervalMs,
          },
          outputs,
        );
        this.pending.delete(w);
        log.info('result spooled', { job_id: w.job.job_id, outputs: spooled.outputs.length });
        this.deps.deliver(spooled, w);
      } catch (error) {
        await this.settle(w, classifyFailure(error));
      }
    }
  }

  /** Input images are fetched per job; a missing or refused one fails that job only. */
  private async requestFor(w: LeasedWork) {
    const request = pipelineRequest(w.job);
    const fetchInput = async (url: string | undefined, field: 'image' | 'mask') => {
      if (!url) return undefined;
      try {
        return await this.deps.client.downloadInput(w.job.job_id, url, w.lease.token, w.lease.signal);
      } catch (error) {
        if (error instanceof EdgeRequestError) throw new InputImageError(`${field}: ${error.message}`);
        throw error;
      }
    };
    const inputUrl = (kind: 'image' | 'mask') =>
      `/worker/v1/jobs/${encodeURIComponent(w.job.job_id)}/inputs/${kind}`;
    const i = w.job.input;
    request.image = await fetchInput(
      w.job.image_url ?? (i.image_key ? inputUrl('image') : undefined),
      'image',
    );
    request.mask = await fetchInput(w.job.mask_url ?? (i.mask_key ? inputUrl('mask') : undefined), 'mask');
    if (w.job.input.task !== 'txt2img' && !request.image) {
      throw new InputImageError(
        `image: job ${w.job.job_id} of task ${w.job.input.task} came without image_url`,
      );
    }
    return request;
  }

  /**
   * The batch stops (within one denoising step) when the drain deadline passes or when no job
   * in it is wanted any more. A job canceled while its batch mates go on is answered at once and
   * its images dropped at the end: its owner does not wait for the others.
   */
  private watch(running: LeasedWork[]): () => void {
    const release = () => this.controller.abort(new Error('released'));
    this.deps.releaseSignal.addEventListener('abort', release, { once: true });
    for (const w of running) {
      w.lease.signal.addEventListener(
        'abort',
        () => {
          if (running.every((r) => r.lease.signal.aborted)) this.controller.abort(new Error('stopped'));
          else void this.settle(w, 'stopped');
        },
        { once: true },
      );
    }
    // The release signal lives as long as the daemon: drop this batch's listener when it ends.
    return () => this.deps.releaseSignal.removeEventListener('abort', release);
  }

  private async settleAll(how: Failure): Promise<void> {
    for (const w of this.work) await this.settle(w, how);
  }

  /** Ends one job here: `stopped` follows its lease (canceled or lost); a Failure is reported with `fail`. */
  private async settle(
    w: LeasedWork,
    how: Failure | 'stopped' | 'lost',
    stoppedAfterStep?: number,
  ): Promise<void> {
    if (!this.pending.delete(w)) return;
    const jobId = w.job.job_id;
    const model = w.job.input.model;
    let outcome: JobOutcome;
    let code = '';
    if (how === 'lost' || (how === 'stopped' && w.lease.state === 'lost')) {
      outcome = 'lease_lost';
      this.deps.log.warn('job discarded: lease lost', { job_id: jobId });
    } else {
      const failure: Failure =
        how === 'stopped'
          ? { code: 'canceled', message: 'canceled by request', retryable: false }
          : how === RELEASED
            ? how
            : {
                ...how,
                message: redactPrompts(how.message, [w.job.input.prompt, w.job.input.negative_prompt]),
              };
      outcome = failure.code === 'canceled' ? 'canceled' : failure === RELEASED ? 'released' : 'failed';
      code = failure.code;
      const stepFields =
        how === 'stopped'
          ? {
              canceled_at_step: w.lease.stoppedAtStep,
              stopped_after_step: stoppedAfterStep ?? w.lease.progress?.step ?? 0,
            }
          : {};
      this.deps.log.info(`job ${outcome}`, {
        job_id: jobId,
        code: failure.code,
        retryable: failure.retryable,
        ...stepFields,
      });
      try {
        const deadline = AbortSignal.timeout(this.deps.failDeadlineMs());
        const token = w.lease.token;
        // Released work goes back without spending an attempt; anything else is a failure report.
        const answer =
          failure === RELEASED
            ? await this.deps.client.release(jobId, { lease_token: token }, deadline)
            : await this.deps.client.fail(
                jobId,
                {
                  lease_token: token,
                  error: { code: failure.code, message: failure.message },
                  retryable: failure.retryable,
                },
                deadline,
              );
        // A cancel that raced the failure wins on the edge.
        if (answer.status === 'canceled') outcome = 'canceled';
      } catch (error) {
        if (isLeaseLost(error)) outcome = 'lease_lost';
        // Unreachable edge: the lease runs out and the edge re-queues or ends the job by itself.
        else this.deps.log.warn('fail call not delivered', { job_id: jobId, error });
      }
    }
    this.deps.metrics.jobs.inc({ model, outcome, code });
    await w.lease.stop();
    this.deps.settled(w);
  }
}

async function encodeOutputs(job: LeasedJob, result: GenerateResult): Promise<OutputToSpool[]> {
  const format = job.input.output_format;
  const r = result.request;
  return Promise.all(
    result.images.map(async (image, index) => ({
      index,
      bytes: await encodeImage(image.rgb, image.width, image.height, {
        format,
        metadata: {
          prompt: r.prompt,
          negative_prompt: r.negative_prompt,
          seed: image.seed,
          steps: r.steps,
          scheduler: r.scheduler,
          guidance_scale: r.guidance_scale,
          model: job.input.model,
          width: image.width,
          height: image.height,
          task: r.task,
          ...(r.task === 'txt2img' ? {} : { strength: r.strength }),
        },
      }),
      contentType: CONTENT_TYPES[format],
      extension: format === 'jpeg' ? 'jpg' : format,
      width: image.width,
      height: image.height,
      seed: image.seed,
      ...(image.nsfw === undefined ? {} : { nsfw: image.nsfw }),
    })),
  );
}
