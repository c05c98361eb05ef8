import { keys } from '../keys';
import { LuaScript, type ScriptClient } from '../lua-script';
import source from './revoke-api-key.lua';

export const REVOKE_API_KEY = new LuaScript('revoke-api-key', source);

/** False when no key has this id. */
export async function revokeApiKey(client: ScriptClient, keyId: string, now: number): Promise<boolean> {
  const reply = await REVOKE_API_KEY.run<number>(client, [keys.keyId(keyId)], [keys.apiKey(''), now]);
  return Number(reply) === 1;
}
