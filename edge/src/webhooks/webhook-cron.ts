import type { ScheduledTask } from '../cron/scheduled-task';
import { deliverWebhooks } from './deliver-webhooks';

/**
 * The cron's share (scheduled.ts): every delivery due by the trigger's time, retries included.
 * The trigger's scheduledTime is the clock, so a test can run the schedule hours ahead through
 * Miniflare's `scheduled({ scheduledTime })` without waiting.
 */
export const webhookDeliveryTask: ScheduledTask = {
  name: 'webhook-delivery',
  run: async ({ config, redis, now }) => {
    const summary = await deliverWebhooks({ redis, config }, { mode: 'due', now, maxRounds: 10 });
    if (summary.delivered || summary.retrying || summary.failed) {
      console.log(
        `webhooks: ${summary.delivered} delivered, ${summary.retrying} to retry, ${summary.failed} given up`,
      );
    }
  },
};
