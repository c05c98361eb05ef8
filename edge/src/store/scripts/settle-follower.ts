import { SCRIPTS } from '../../lua/scripts.generated';
import { hashFromReply } from '../hash-reply';
import { keys, QUEUE_GROUP } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const SETTLE_FOLLOWER: LuaScript = SCRIPTS['settle-follower'];

const TEMPLATES = JSON.stringify({
  job: keys.job('{}'),
  followers: keys.jobFollowers('{}'),
  account: keys.account('{}'),
  active: keys.accountActive('{}'),
  queue: keys.queue('{}'),
  fp_live: keys.cacheLive('{}'),
  usage_day: keys.usageDay('{}', '{}'),
  outbox: keys.usageOutbox(),
  group: QUEUE_GROUP,
});

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
    [TEMPLATES, day],
  );
  return { outcome: reply.outcome, job: hashFromReply(reply.job) };
}
