import { keys } from '../keys';
import lua from './revoke-api-key.lua';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const REVOKE_API_KEY: LuaScript = {
  name: 'revoke-api-key',
  lua,
  sha1: '5bd2bd48087f70eaf3e5bc17d499a7430f7cbd45',
};

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
