import { keys } from '../keys';
import lua from './lease-jobs.lua';
import { withPrelude } from './lua-prelude';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Lease: hands a worker up to max_jobs jobs of the models it asked for, each with a fresh lease
 * token (fencing). Expired leases on those streams are reclaimed first (XAUTOCLAIM, min-idle =
 * lease TTL: heartbeats reset the idle time), so a dead worker's job goes to the next caller as
 * its next attempt, or ends when its attempts are spent. Entries whose job is gone, finished or
 * canceled while queued are acknowledged and dropped on the way.
 *
 * KEYS: leases, q:{model}...   ARGV: context, worker_id, max_jobs, lease_ttl_ms, token x max_jobs
 */
const LUA = withPrelude(lua);

export const LEASE_JOBS: LuaScript = {
  name: 'lease-jobs',
  lua: LUA,
  sha1: '23ca28945cf1db85f43b289f93382e06cc48497f',
};

export interface LeaseGrant {
  job_id: string;
  lease_token: string;
  lease_expires_at: number;
  attempt: number;
  /** Unix ms the job was submitted (its created_at). */
  queued_at?: number;
  account_id: string;
  /** JobInput as JSON, exactly as submit stored it. */
  input: string;
}

export interface LeaseJobsResult {
  now: number;
  jobs: LeaseGrant[];
  /** Expired leases found on the way that ended the job (attempts spent, or cancel requested). */
  ended: { job_id: string; status: 'failed' | 'canceled' }[];
}

export interface LeaseJobsOptions {
  workerId: string;
  models: string[];
  maxJobs: number;
  leaseTtlMs: number;
}

export async function leaseJobs(redis: ScriptRedis, options: LeaseJobsOptions): Promise<LeaseJobsResult> {
  // Tokens come from here, not Lua: Redis seeds Lua's math.random identically on every run.
  const tokens = Array.from({ length: options.maxJobs }, () => newLeaseToken());
  const reply = await runScript<LeaseJobsResult>(
    redis,
    LEASE_JOBS,
    [keys.leases(), ...options.models.map((model) => keys.queue(model))],
    [SCRIPT_CONTEXT, options.workerId, String(options.maxJobs), String(options.leaseTtlMs), ...tokens],
  );
  return { now: reply.now, jobs: asList(reply.jobs), ended: asList(reply.ended) };
}

/** 128 random bits, URL-safe: unguessable, so only the worker that got it can act on the job. */
export function newLeaseToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return `lt_${text}`;
}
