import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const UPDATE_ACCOUNT: LuaScript = SCRIPTS['update-account'];

export interface AccountChange {
  creditsDelta?: number;
  /** Field -> value; "" deletes the field (back to the plan's default). */
  fields?: Record<string, string>;
}

/** False when the account does not exist (nothing is written then). */
export async function updateAccount(
  redis: ScriptRedis,
  accountId: string,
  change: AccountChange,
): Promise<boolean> {
  const pairs = Object.entries(change.fields ?? {}).flat();
  const reply = await runScript<{ ok: boolean }>(
    redis,
    UPDATE_ACCOUNT,
    // A fresh token per call, the same on @upstash/redis's resends (lua/request-token.lua).
    [keys.account(accountId), keys.requestReply(crypto.randomUUID())],
    [String(change.creditsDelta ?? 0), ...pairs],
  );
  return reply.ok;
}
