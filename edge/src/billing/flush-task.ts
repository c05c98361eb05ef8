import type { ScheduledTask } from '../cron/scheduled-task';
import { flushUsage } from './flush-usage';
import { stripeClient } from './stripe-client';

/**
 * The cron's share of metering: every minute, whatever the outbox holds goes to Stripe unless an
 * earlier failure's backoff still runs. A quiet run logs nothing; the figures of a busy or failed
 * one are logged (never the key or a customer's data beyond ids).
 */
export const usageMeterFlushTask: ScheduledTask = {
  name: 'usage-meter-flush',
  run: async ({ config, redis }) => {
    const report = await flushUsage({
      redis,
      stripe: stripeClient(config.stripe),
      stripeConfig: config.stripe,
    });
    // The billing lag alert: a log line to alert on (and `lagging` in GET /admin/v1/billing).
    if (report.lagging) {
      console.error(
        `ALERT billing_lag: the oldest unsent usage event is ${Math.round((report.oldest_unsent_age_s ?? 0) / 60)} min old ` +
          `(outcome ${report.outcome}, ${report.sent} sent this run)`,
      );
    }
    if (report.outcome === 'failed') {
      console.error(
        `usage meter flush failed (${report.failures} in a row, next at ${report.retry_at}): ${report.error}; ` +
          `${report.sent} sent, ${report.unsent} left pending`,
      );
    } else if (report.sent || report.duplicates || report.held) {
      console.log(
        `usage meter flush: ${report.sent} sent, ${report.duplicates} already in Stripe, ${report.held} held, ${report.reclaimed} reclaimed`,
      );
    }
  },
};
