import type { EdgeClient } from './edge-client';
import { isLeaseLost } from './edge-errors';
import type { Logger } from './logger';

export type LeaseState = 'held' | 'cancel_requested' | 'lost' | 'released';

export interface HeldLeaseOptions {
  jobId: string;
  leaseToken: string;
  client: EdgeClient;
  intervalMs: number;
  log: Logger;
}

/**
 * One lease this worker holds: heartbeats on a timer carrying the latest progress, and the
 * answers turned into state. A cancel request or a lost lease aborts `signal`, which the
 * pipeline checks between denoising steps.
 */
export class HeldLease {
  state: LeaseState = 'held';
  progress?: { step: number; total: number };
  /** Step the pipeline had reached when cancel/loss was learned (for the log and the tests). */
  stoppedAtStep?: number;
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(private readonly options: HeldLeaseOptions) {}

  get jobId(): string {
    return this.options.jobId;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  get token(): string {
    return this.options.leaseToken;
  }

  /** Aborts when the job must stop: canceled by its owner, or the lease is no longer ours. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.timer = setInterval(() => {
      // One heartbeat at a time: a slow edge must not pile up calls.
      this.inFlight ??= this.beat().finally(() => {
        this.inFlight = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Stops heartbeating (the job is finished, failed or discarded). A heartbeat already in flight
   * is not waited for: with the edge down it could retry for many seconds, and its answer no
   * longer matters.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.state === 'held' || this.state === 'cancel_requested') this.state = 'released';
  }

  private async beat(): Promise<void> {
    if (this.state !== 'held' && this.state !== 'cancel_requested') return;
    try {
      const answer = await this.options.client.heartbeat(this.jobId, {
        lease_token: this.token,
        ...(this.progress ? { progress: this.progress } : {}),
      });
      if (answer.cancel && this.state === 'held') this.stopWith('cancel_requested');
    } catch (error) {
      if (isLeaseLost(error)) this.stopWith('lost');
      // Anything else (edge down): the next tick tries again; the lease TTL spans several ticks.
      else this.options.log.warn('heartbeat failed', { job_id: this.jobId, error });
    }
  }

  private stopWith(state: 'cancel_requested' | 'lost'): void {
    if (this.state === 'lost' || this.state === 'released') return;
    this.state = state;
    this.stoppedAtStep = this.progress?.step ?? 0;
    this.options.log.info(state === 'lost' ? 'lease lost, stopping job' : 'cancel requested, stopping job', {
      job_id: this.jobId,
      step: this.stoppedAtStep,
    });
    if (state === 'lost') clearInterval(this.timer);
    this.controller.abort(new Error(state));
  }
}
