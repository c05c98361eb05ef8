import { withWebhookEvents } from '../../webhooks/webhook-events-lua';
import { hashFromReply } from '../hash-reply';
import { keys, QUEUE_GROUP } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';
import lua from './settle-follower.lua';

export const SETTLE_FOLLOWER: LuaScript = {
  name: 'settle-follower',
  lua: withWebhookEvents(lua),
  sha1: '8837008509de6f770896bd450cff9babcb0f4b20',
};

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
