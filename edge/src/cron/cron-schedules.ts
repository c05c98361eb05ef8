import { usageMeterFlushTask } from '../billing/flush-task';
import { objectRetentionTask } from '../storage/object-retention-task';
import { webhookDeliveryTask } from '../webhooks/webhook-cron';
import { CRON_TRIGGERS, type CronTaskName } from './cron-triggers';
import type { ScheduledTask } from './scheduled-task';
import { leaseReaperTask } from './worker-cron';

/**
 * Which cron trigger runs which task. Each task has a trigger of its own (cron-triggers.ts), so
 * each runs in its own invocation with its own subrequest budget and 6 connections instead of
 * sharing one: the meter flush's Stripe calls, the webhook rounds' sends and DNS lookups and the
 * reaper's scripts can no longer starve each other.
 */
const TASKS: Record<CronTaskName, ScheduledTask> = {
  leaseReaper: leaseReaperTask,
  webhookDelivery: webhookDeliveryTask,
  usageMeterFlush: usageMeterFlushTask,
  objectRetention: objectRetentionTask,
};

/** The task of the trigger that fired, or undefined for a cron this code does not know. */
export function taskForCron(cron: string): ScheduledTask | undefined {
  const name = (Object.keys(CRON_TRIGGERS) as CronTaskName[]).find((n) => CRON_TRIGGERS[n].cron === cron);
  return name ? TASKS[name] : undefined;
}
