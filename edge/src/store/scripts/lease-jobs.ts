import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** LEASE_JOBS: lease-jobs.lua (its header says what it takes and does). */
export const LEASE_JOBS: LuaScript = SCRIPTS['lease-jobs'];

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
    // The first lease token is the call's request token (lua/request-token.lua).
    [
      keys.leases(),
      keys.requestReply(tokens[0]),
      keys.modelsSeen(),
      ...options.models.map((model) => keys.queue(model)),
    ],
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
