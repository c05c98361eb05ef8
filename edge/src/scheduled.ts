import { scheduleFor } from './cron/cron-schedules';
import { configFor } from './env';
import { redisFor } from './store/redis';

/**
 * Runs the task of the cron trigger that fired (`controller.cron`, cron/cron-schedules.ts). A
 * failing task logs and ends the invocation; the next trigger runs it again.
 */
export async function runScheduled(env: Env, cron: string, scheduledTime: number): Promise<void> {
  const schedule = scheduleFor(cron);
  if (!schedule) {
    console.error(`cron trigger "${cron}" has no task (edge/src/cron/cron-schedules.ts)`);
    return;
  }
  const config = configFor(env);
  const redis = redisFor(config).batched;
  try {
    await schedule.task.run({ env, config, redis, now: scheduledTime });
  } catch (error) {
    console.error(`cron task ${schedule.task.name} failed:`, error);
  }
}
