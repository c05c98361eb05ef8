import { taskForCron } from './cron/cron-schedules';
import { configFor } from './env';
import { redisFor } from './store/redis';

/**
 * Runs the task of the cron trigger that fired (`controller.cron`, cron/cron-schedules.ts). A
 * failing task logs and ends the invocation; the next trigger runs it again.
 */
export async function runScheduled(env: Env, cron: string, scheduledTime: number): Promise<void> {
  const task = taskForCron(cron);
  if (!task) {
    console.error(`cron trigger "${cron}" has no task (edge/src/cron/cron-schedules.ts)`);
    return;
  }
  const config = configFor(env);
  const redis = redisFor(config).batched;
  try {
    await task.run({ env, config, redis, now: scheduledTime });
  } catch (error) {
    console.error(`cron task ${task.name} failed:`, error);
  }
}
