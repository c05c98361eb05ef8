import { BILLING_GROUP, keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';
import ackLua from './ack-usage-events.lua';
import claimLua from './claim-usage-events.lua';
import holdLua from './hold-usage-events.lua';
import replayLua from './replay-held-usage.lua';

export const CLAIM_USAGE_EVENTS: LuaScript = {
  name: 'claim-usage-events',
  lua: claimLua,
  sha1: '3001de06756b766165273cf2cbc4f3e0675dcd26',
};
export const ACK_USAGE_EVENTS: LuaScript = {
  name: 'ack-usage-events',
  lua: ackLua,
  sha1: 'afad6b43b9fa6bcf10a20b148a8501f1b161f5ae',
};
export const HOLD_USAGE_EVENTS: LuaScript = {
  name: 'hold-usage-events',
  lua: holdLua,
  sha1: '99c32568c1d823543987946317fe1d9315900a6d',
};
export const REPLAY_HELD_USAGE: LuaScript = {
  name: 'replay-held-usage',
  lua: replayLua,
  sha1: '20b8f5c1e431145b2c29bb8f5447d96797003fe7',
};

/** One outbox entry as the settling scripts write it (lua-prelude.ts record_usage), plus its account's customer. */
export interface ClaimedUsageEvent {
  id: string;
  fields: Record<string, string>;
  /** The account's Stripe customer now; '' when none is linked. */
  customer: string;
  /** True when an earlier flush took it and never acknowledged it. */
  reclaimed: boolean;
}

/** The next batch for `consumer`: unacknowledged entries first, then new ones. */
export async function claimUsageEvents(
  redis: ScriptRedis,
  consumer: string,
  count: number,
): Promise<ClaimedUsageEvent[]> {
  const reply = await runScript<ClaimedUsageEvent[] | Record<string, never>>(
    redis,
    CLAIM_USAGE_EVENTS,
    [keys.usageOutbox()],
    [BILLING_GROUP, consumer, String(count), keys.account('{}')],
  );
  // cjson encodes an empty list as {}.
  return Array.isArray(reply) ? reply : [];
}

/** Acknowledges and deletes entries Stripe accepted. */
export async function ackUsageEvents(redis: ScriptRedis, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const reply = await runScript<{ count: number }>(
    redis,
    ACK_USAGE_EVENTS,
    [keys.usageOutbox()],
    [BILLING_GROUP, ...ids],
  );
  return reply.count;
}

/** Moves entries to the held stream with why; they leave the outbox in the same script. */
export async function holdUsageEvents(
  redis: ScriptRedis,
  items: { id: string; reason: string }[],
): Promise<number> {
  if (items.length === 0) return 0;
  const reply = await runScript<{ count: number }>(
    redis,
    HOLD_USAGE_EVENTS,
    [keys.usageOutbox(), keys.usageOutboxHeld()],
    [BILLING_GROUP, JSON.stringify(items)],
  );
  return reply.count;
}

/** Moves held events (of one account, or all) back to the outbox for the next flush. */
export async function replayHeldUsage(
  redis: ScriptRedis,
  options: { accountId?: string; limit: number },
): Promise<number> {
  const reply = await runScript<{ count: number }>(
    redis,
    REPLAY_HELD_USAGE,
    [keys.usageOutboxHeld(), keys.usageOutbox()],
    [options.accountId ?? '', String(options.limit)],
  );
  return reply.count;
}
