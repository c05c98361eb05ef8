import { wakeJobWatchers } from '../durable/job-watch';
import { wakeWorkers } from '../durable/wake-workers';
import { type Config, configFor } from '../env';
import { redisFor } from '../store/redis';
import { REAP_BATCH, type ReapResult, reapExpiredLeases } from '../store/scripts/reap-expired-leases';
import { recountActive } from '../store/scripts/recount-active';
import type { ScriptRedis } from '../store/scripts/run-script';
import { timeOutQueuedJobs } from '../store/scripts/time-out-queued-jobs';
import type { ScheduledTask } from './scheduled-task';

/** Batches per cron run: a backlog beyond this many batches is left for the next minute. */
const MAX_ROUNDS = 10;

/**
 * The lease reaper: expired leases of every model (also models no worker is polling, which the
 * lease call's own reclaim never sees) are requeued or ended, and the parked workers of each model
 * that got a job back are woken. Then jobs that waited longer than the queue timeout end
 * (`queue_timeout`, or `no_capacity` for a model no worker serves), and every account's `active` counter is recounted from the jobs in flight.
 */
export async function reapLeases(
  env: Pick<Env, 'QUEUE_WAKER'>,
  redis: ScriptRedis,
  queue: { timeoutMs: number; seenWindowMs: number },
): Promise<ReapResult> {
  const total: ReapResult = { scanned: 0, requeued: [], ended: [] };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = await reapExpiredLeases(redis, REAP_BATCH);
    total.scanned += result.scanned;
    total.requeued.push(...result.requeued);
    total.ended.push(...result.ended);
    if (result.scanned < REAP_BATCH) break;
  }
  await Promise.all([
    ...[...new Set(total.requeued.map((r) => r.model))].map((model) => wakeWorkers(env, model)),
    // Requeued jobs are queued again, ended ones final: whoever watches them reads them now.
    ...[...total.requeued, ...total.ended].map((r) => wakeJobWatchers(env, r.job_id)),
  ]);
  if (total.requeued.length || total.ended.length) {
    console.log(
      `lease reaper: ${total.requeued.length} requeued, ${total.ended.length} ended (${total.ended
        .map((e) => `${e.job_id}:${e.status}`)
        .join(' ')})`,
    );
  }
  const timedOut = await timeOutQueuedJobs(redis, queue);
  if (timedOut.ended.length) {
    console.log(`queue timeout: ${timedOut.ended.map((e) => `${e.job_id}:${e.model}:${e.code}`).join(' ')}`);
  }
  // After the timeouts, so the count sees what they ended.
  const recount = await recountActive(redis);
  if (recount.corrected.length) {
    // A correction means some path left the counter wrong: worth a line.
    console.warn(
      `active recount: ${recount.corrected.map((c) => `${c.account_id} ${c.was}->${c.now}`).join(', ')}`,
    );
  }
  return total;
}

function queueSettings(config: Config) {
  return { timeoutMs: config.queueTimeoutMs, seenWindowMs: config.modelSeenWindowMs };
}

/** For the cron's task list (cron-schedules.ts). */
export const leaseReaperTask: ScheduledTask = {
  name: 'lease-reaper',
  run: async ({ env, config, redis }) => {
    await reapLeases(env, redis, queueSettings(config));
  },
};

/** The worker side's cron work, for a `scheduled` handler that does not use the task list. */
export function runWorkerCron(env: Env): Promise<ReapResult> {
  const config = configFor(env);
  return reapLeases(env, redisFor(config).batched, queueSettings(config));
}
