import { SCRIPTS } from '../../lua/scripts.generated';
import { BILLING_GROUP, keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

export const CLAIM_USAGE_EVENTS: LuaScript = SCRIPTS['claim-usage-events'];
export const ACK_USAGE_EVENTS: LuaScript = SCRIPTS['ack-usage-events'];
export const HOLD_USAGE_EVENTS: LuaScript = SCRIPTS['hold-usage-events'];
export const REPLAY_HELD_USAGE: LuaScript = SCRIPTS['replay-held-usage'];

/** One outbox entry as the settling scripts write it (lua/prelude.lua record_usage), plus its account's customer. */
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

/** Held entries one replay call reads at most: the script stays short however long the held stream is. */
export const REPLAY_SCAN_LIMIT = 5_000;

/**
 * Moves held events (of one account, or all) back to the outbox for the next flush, reading at
 * most REPLAY_SCAN_LIMIT held entries from `cursor` on; `next` goes on from there ('' = done).
 */
export async function replayHeldUsage(
  redis: ScriptRedis,
  options: { accountId?: string; limit: number; cursor?: string; scanLimit?: number },
): Promise<{ count: number; next: string }> {
  return runScript<{ count: number; next: string }>(
    redis,
    REPLAY_HELD_USAGE,
    [keys.usageOutboxHeld(), keys.usageOutbox()],
    [
      options.accountId ?? '',
      String(options.limit),
      options.cursor ?? '',
      String(options.scanLimit ?? REPLAY_SCAN_LIMIT),
    ],
  );
}
