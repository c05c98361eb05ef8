import { SCRIPTS } from '../../lua/scripts.generated';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

export const SETTLE_FOLLOWER: LuaScript = SCRIPTS['settle-follower'];

export type SettleOutcome = 'unchanged' | 'following' | 'succeeded' | 'failed' | 'requeued' | 'joined';

/** Runs settle-follower.lua; returns the follower's record after it. */
export async function settleFollower(
  redis: ScriptRedis,
  jobId: string,
  day: string,
): Promise<{ outcome: SettleOutcome; job: Record<string, string> | null }> {
  const reply = await runScript<{ outcome: SettleOutcome; job?: unknown }>(
    redis,
    SETTLE_FOLLOWER,
    [keys.job(jobId)],
    [SCRIPT_CONTEXT, day],
  );
  return { outcome: reply.outcome, job: hashFromReply(reply.job) };
}
