/**
 * The cron trigger of each housekeeping task, as written in wrangler.toml `[triggers] crons` and
 * seen by `scheduled` as `controller.cron`, with the most subrequests one run of the task makes
 * (Upstash REST calls, Stripe, webhook sends, DNS lookups, Durable Object calls): each trigger is
 * its own invocation, and Workers Paid allows 1,000 subrequests per invocation. Kept apart from
 * cron-schedules.ts (which imports the tasks) so tests and the local stack's timer can name a
 * trigger without loading the Worker's code. The three every-minute expressions differ in text
 * only: the text is what tells them apart. edge/test/cron-budget.test.ts checks both.
 */
export const CRON_TRIGGERS = {
  leaseReaper: { cron: '* * * * *', subrequests: 100 },
  webhookDelivery: { cron: '*/1 * * * *', subrequests: 900 },
  usageMeterFlush: { cron: '0-59 * * * *', subrequests: 900 },
  objectRetention: { cron: '*/5 * * * *', subrequests: 10 },
} as const;

export type CronTaskName = keyof typeof CRON_TRIGGERS;
