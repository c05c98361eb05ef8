import { usageMeterFlushTask } from '../billing/flush-task';
import { webhookDeliveryTask } from '../webhooks/webhook-cron';
import { CRON_TRIGGERS } from './cron-triggers';
import type { ScheduledTask } from './scheduled-task';
import { leaseReaperTask } from './worker-cron';

/**
 * Which cron trigger runs which task. Each task has a trigger of its own, so each runs in its own
 * invocation with its own subrequest budget (Workers Paid: 1,000 subrequests per invocation, and
 * 6 connections open at once) instead of sharing one: the meter flush's Stripe calls, the webhook
 * rounds' sends and DNS lookups and the reaper's scripts can no longer starve each other.
 * `subrequests` is the most a run of the task makes (Upstash REST calls, Durable Object calls,
 * Stripe, webhook sends, DNS lookups), checked by edge/test/cron-budget.test.ts under a backlog.
 * wrangler.toml `[triggers] crons` must list exactly these triggers (edge/test/cron-budget.test.ts).
 */
export interface CronSchedule {
  cron: string;
  task: ScheduledTask;
  subrequests: number;
}

export const CRON_SCHEDULES: readonly CronSchedule[] = [
  { cron: CRON_TRIGGERS.leaseReaper, task: leaseReaperTask, subrequests: 100 },
  { cron: CRON_TRIGGERS.webhookDelivery, task: webhookDeliveryTask, subrequests: 900 },
  { cron: CRON_TRIGGERS.usageMeterFlush, task: usageMeterFlushTask, subrequests: 900 },
];

/** The task of the trigger that fired, or undefined for a cron this code does not know. */
export function scheduleFor(cron: string): CronSchedule | undefined {
  return CRON_SCHEDULES.find((s) => s.cron === cron);
}
