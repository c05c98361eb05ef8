import type { ScheduledTask } from '../cron/scheduled-task';
import { sweepExpiredObjects } from './object-retention';

/** The stored-image retention sweep, for the cron (cron-schedules.ts): one page per run. */
export const objectRetentionTask: ScheduledTask = {
  name: 'object-retention',
  run: async ({ env, config, redis, now }) => {
    const result = await sweepExpiredObjects({
      bucket: env.OUTPUTS,
      redis,
      retentionSeconds: config.objectRetentionSeconds,
      now,
    });
    if (result.deleted) console.log(`object retention: ${result.deleted} of ${result.listed} listed deleted`);
  },
};
