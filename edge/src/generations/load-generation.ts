import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { ApiError } from '../errors/api-error';
import { hashFromReply } from '../store/hash-reply';
import { keys } from '../store/keys';
import { settleFollower } from '../store/scripts/settle-follower';

export const utcDay = (ms = Date.now()) => new Date(ms).toISOString().slice(0, 10);

const ACTIVE = new Set(['queued', 'running']);

/** Brings a coalesced follower in line with its leader (settle-follower.lua) when it is still active. */
export async function settledJob(c: Context<AppEnv>, jobId: string, job: Record<string, string>) {
  if (!job.leader || !ACTIVE.has(job.status)) return job;
  const settled = await settleFollower(c.get('redis'), jobId, utcDay());
  return settled.job ?? job;
}

/** The caller's job record; another account's job is exactly as invisible as a missing one (404). */
export async function loadOwnJob(c: Context<AppEnv>, jobId: string): Promise<Record<string, string>> {
  const job = /^gen_[0-9A-Za-z]{1,64}$/.test(jobId)
    ? hashFromReply(await c.get('redis').hgetall(keys.job(jobId)))
    : null;
  if (!job || job.account_id !== c.get('caller').accountId) {
    throw new ApiError('not_found', `No generation ${jobId}.`);
  }
  return settledJob(c, jobId, job);
}

export function viewOptions(c: Context<AppEnv>) {
  return {
    baseUrl: new URL(c.req.url).origin,
    signingSecret: c.get('config').urlSigningSecret,
    urlTtlSeconds: c.get('config').outputUrlTtlSeconds,
    nowMs: Date.now(),
  };
}

export const isTerminal = (status: string) => !ACTIVE.has(status);
