/**
 * The cron trigger of each housekeeping task, as written in wrangler.toml `[triggers] crons` and
 * seen by `scheduled` as `controller.cron`. Kept apart from cron-schedules.ts (which imports the
 * tasks) so tests and the local stack's timer can name a trigger without loading the tasks.
 * The three every-minute expressions differ in text only: the text is what tells them apart.
 */
export const CRON_TRIGGERS = {
  leaseReaper: '* * * * *',
  webhookDelivery: '*/1 * * * *',
  usageMeterFlush: '0-59 * * * *',
} as const;
