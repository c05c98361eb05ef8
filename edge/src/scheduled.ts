import type { Redis } from '@upstash/redis/cloudflare';
import { usageMeterFlushTask } from './billing/flush-task';
import { leaseReaperTask } from './cron/worker-cron';
import type { Config } from './env';
import { configFor } from './env';
import { redisFor } from './store/redis';
import { webhookDeliveryTask } from './webhooks/webhook-cron';

/** One housekeeping job run by the cron trigger (wrangler.toml: every minute). */
export interface ScheduledTask {
  name: string;
  run(deps: { env: Env; config: Config; redis: Redis; now: number }): Promise<void>;
}

/**
 * The cron's work list. Each task runs on its own: one failing (and logging) never stops the
 * others. The lease reaper, webhook retries and the usage outbox flush register here.
 */
export const SCHEDULED_TASKS: ScheduledTask[] = [leaseReaperTask, usageMeterFlushTask, webhookDeliveryTask];

export async function runScheduled(env: Env, scheduledTime: number): Promise<void> {
  const config = configFor(env);
  // Tasks run side by side: their commands may share REST requests, as before.
  const redis = redisFor(config).batched;
  const results = await Promise.allSettled(
    SCHEDULED_TASKS.map((task) => task.run({ env, config, redis, now: scheduledTime })),
  );
  results.forEach((result, i) => {
    if (result.status === 'rejected')
      console.error(`cron task ${SCHEDULED_TASKS[i].name} failed:`, result.reason);
  });
}
