import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { ApiError } from '../errors/api-error';
import { hashFromReply } from '../store/hash-reply';
import { keys } from '../store/keys';
import { settleFollower } from '../store/scripts/settle-follower';

const DAY_MS = 86_400_000;
let lastDay = { start: 0, end: 0, text: '' };

/** The UTC day of `ms` as YYYY-MM-DD. The last day asked is kept: every submit asks for today. */
export function utcDay(ms = Date.now()): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.text;
  const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  lastDay = { start, end: start + DAY_MS, text: new Date(start).toISOString().slice(0, 10) };
  return lastDay.text;
}

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
    baseUrl: requestOrigin(c),
    signingSecret: c.get('config').urlSigningSecret,
    urlTtlSeconds: c.get('config').outputUrlTtlSeconds,
    nowMs: Date.now(),
  };
}

export const isTerminal = (status: string) => !ACTIVE.has(status);

/** scheme://host[:port] of the request, without parsing the whole URL (it is absolute). */
export function requestOrigin(c: Context<AppEnv>): string {
  const url = c.req.url;
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  return pathStart < 0 ? url : url.slice(0, pathStart);
}
