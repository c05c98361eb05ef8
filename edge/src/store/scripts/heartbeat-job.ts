import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** HEARTBEAT_JOB: heartbeat-job.lua (its header says what it takes and does). */
export const HEARTBEAT_JOB: LuaScript = SCRIPTS['heartbeat-job'];

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
