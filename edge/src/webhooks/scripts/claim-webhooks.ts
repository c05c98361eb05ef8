import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../../store/keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

/** CLAIM_WEBHOOKS: claim-webhooks.lua (its header says what it takes and does). */
export const CLAIM_WEBHOOKS: LuaScript = SCRIPTS['claim-webhooks'];

export interface ClaimedDelivery {
  id: string;
  job_id: string;
  account_id: string;
  event: 'start' | 'completed';
  url: string;
  webhook_id: string;
  /** The attempt this send is (1 = first). */
  attempt: number;
}

export interface ClaimWebhooksOptions {
  /** The scheduling clock (ms); omitted = Redis's clock. */
  now?: number;
  mode: 'due' | 'fresh';
  limit: number;
  holdMs: number;
  token: string;
}

export async function claimWebhooks(
  redis: ScriptRedis,
  o: ClaimWebhooksOptions,
): Promise<{ now: number; deliveries: ClaimedDelivery[] }> {
  const reply = await runScript<{ now: number; deliveries: unknown }>(
    redis,
    CLAIM_WEBHOOKS,
    [keys.webhooksDue()],
    [o.now === undefined ? '' : String(o.now), o.mode, String(o.limit), String(o.holdMs), o.token],
  );
  return { now: reply.now, deliveries: asList<ClaimedDelivery>(reply.deliveries) };
}
