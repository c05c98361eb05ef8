import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const REVOKE_API_KEY: LuaScript = SCRIPTS['revoke-api-key'];

/** False when no key has this id. */
export async function revokeApiKey(redis: ScriptRedis, keyId: string, now: number): Promise<boolean> {
  const reply = await runScript<{ ok: boolean }>(
    redis,
    REVOKE_API_KEY,
    [keys.keyId(keyId)],
    [keys.apiKey(''), String(now)],
  );
  return reply.ok;
}
