import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { type SeenJobWakes, waitForJobChange } from '../durable/job-watch';
import { hashFromReply } from '../store/hash-reply';
import { keys } from '../store/keys';
import { isTerminal, settledJob } from './load-generation';

/**
 * Waits for a job's next change as its watchers do: parked on the job's wake point (and on its
 * leader's, for a coalesced follower), re-reading Redis when woken or after the safety poll
 * (POLL_INTERVAL_MS). Returns the record as read last, which may be unchanged after a timeout.
 */
export async function nextJobState(
  c: Context<AppEnv>,
  jobId: string,
  job: Record<string, string>,
  timeoutMs: number,
  seen: SeenJobWakes,
): Promise<Record<string, string> | null> {
  const watched = job.leader ? [jobId, job.leader] : [jobId];
  await waitForJobChange(c.env, watched, Math.min(c.get('config').pollIntervalMs, timeoutMs), seen);
  const fresh = hashFromReply(await c.get('redis').hgetall(keys.job(jobId)));
  return fresh && settledJob(c, jobId, fresh);
}

/** Re-reads a job at each change until it ends or `seconds` pass; returns the last record seen. */
export async function waitForResult(
  c: Context<AppEnv>,
  jobId: string,
  job: Record<string, string>,
  seconds: number,
): Promise<Record<string, string>> {
  const deadline = Date.now() + seconds * 1000;
  const seen: SeenJobWakes = new Map();
  let current = job;
  while (!isTerminal(current.status) && Date.now() < deadline) {
    const fresh = await nextJobState(c, jobId, current, Math.max(0, deadline - Date.now()), seen);
    if (!fresh) break;
    current = fresh;
  }
  return current;
}
