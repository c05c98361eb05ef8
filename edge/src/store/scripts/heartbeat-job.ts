import { keys } from '../keys';
import lua from './heartbeat-job.lua';
import { withPrelude } from './lua-prelude';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Heartbeat: the lease holder extends its lease, records progress and learns whether a cancel was
 * asked for. The stream entry's idle time is reset too (XCLAIM to the same consumer), so
 * XAUTOCLAIM in lease-jobs never takes a job whose worker is still alive.
 *
 * KEYS: leases   ARGV: context, job_id, lease_token, lease_ttl_ms, progress_step, progress_total
 */
const LUA = withPrelude(lua);

export const HEARTBEAT_JOB: LuaScript = {
  name: 'heartbeat-job',
  lua: LUA,
  sha1: '39f2adb03d1a0ea9f9abe8b96bbb4797b2d21375',
};

export type HeartbeatResult = Refusal | { outcome: 'ok'; lease_expires_at: number; cancel: boolean };

export interface HeartbeatJobOptions {
  jobId: string;
  leaseToken: string;
  leaseTtlMs: number;
  progress?: { step: number; total: number };
}

export async function heartbeatJob(
  redis: ScriptRedis,
  options: HeartbeatJobOptions,
): Promise<HeartbeatResult> {
  const reply = await runScript<{ lease_expires_at: number; cancel: boolean }>(
    redis,
    HEARTBEAT_JOB,
    [keys.leases()],
    [
      SCRIPT_CONTEXT,
      options.jobId,
      options.leaseToken,
      String(options.leaseTtlMs),
      options.progress ? String(options.progress.step) : '',
      options.progress ? String(options.progress.total) : '',
    ],
  );
  return (
    refusalOf(reply) ?? { outcome: 'ok', lease_expires_at: reply.lease_expires_at, cancel: reply.cancel }
  );
}
