import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

/** ROTATE_WEBHOOK_SECRET: rotate-webhook-secret.lua (its header says what it takes and does). */
export const ROTATE_WEBHOOK_SECRET: LuaScript = SCRIPTS['rotate-webhook-secret'];

export async function rotateWebhookSecret(
  redis: ScriptRedis,
  o: { accountId: string; secret: string; now: number; overlapMs: number },
): Promise<{ secret: string; previousUntil: number | null } | null> {
  const reply = await runScript<{ no_account?: boolean; secret: string; previous_until?: number }>(
    redis,
    ROTATE_WEBHOOK_SECRET,
    [keys.account(o.accountId)],
    [o.secret, String(o.now), String(o.overlapMs)],
  );
  if (reply.no_account) return null;
  return { secret: reply.secret, previousUntil: reply.previous_until ?? null };
}
