import type { ScheduledTask } from '../cron/scheduled-task';
import { deliverWebhooks } from './deliver-webhooks';

/**
 * Claim rounds (25 deliveries each) per cron run. A delivery costs about 8 subrequests in
 * production (two DNS-over-HTTPS lookups, the send, five Upstash REST calls: measured ~200 per
 * round in edge/test/cron-budget.test.ts), so 4 rounds (~800) fit the trigger's budget of 900
 * (cron/cron-triggers.ts); a bigger backlog waits for the next minute (100 retries a minute).
 */
const CRON_ROUNDS = 4;

/**
 * The cron's share (scheduled.ts): every delivery due by the trigger's time, retries included.
 * The trigger's scheduledTime is the clock, so a test can run the schedule hours ahead through
 * Miniflare's `scheduled({ scheduledTime })` without waiting.
 */
export const webhookDeliveryTask: ScheduledTask = {
  name: 'webhook-delivery',
  run: async ({ config, redis, now }) => {
    const summary = await deliverWebhooks({ redis, config }, { mode: 'due', now, maxRounds: CRON_ROUNDS });
    if (summary.delivered || summary.retrying || summary.failed) {
      console.log(
        `webhooks: ${summary.delivered} delivered, ${summary.retrying} to retry, ${summary.failed} given up`,
      );
    }
  },
};
