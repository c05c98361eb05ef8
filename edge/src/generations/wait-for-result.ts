import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { hashFromReply } from '../store/hash-reply';
import { keys } from '../store/keys';
import { isTerminal, settledJob } from './load-generation';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Re-reads a job until it ends or `seconds` pass; returns the last record seen. Redis REST has no
 * blocking read, so this polls (POLL_INTERVAL_MS); one HGETALL per poll.
 */
export async function waitForResult(
  c: Context<AppEnv>,
  jobId: string,
  job: Record<string, string>,
  seconds: number,
): Promise<Record<string, string>> {
  const deadline = Date.now() + seconds * 1000;
  let current = job;
  while (!isTerminal(current.status) && Date.now() < deadline) {
    await sleep(Math.min(c.get('config').pollIntervalMs, Math.max(0, deadline - Date.now())));
    const fresh = hashFromReply(await c.get('redis').hgetall(keys.job(jobId)));
    if (!fresh) break;
    current = await settledJob(c, jobId, fresh);
  }
  return current;
}
