import { keys } from '../keys';
import lua from './create-api-key.lua';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const CREATE_API_KEY: LuaScript = {
  name: 'create-api-key',
  lua,
  sha1: 'db045bd3c5cab71a5de3d60f2ec0ab1bc8367ea1',
};

export interface NewApiKey {
  accountId: string;
  keyId: string;
  keyHash: string;
  mode: 'live' | 'test';
  name: string;
  createdAt: number;
}

/** False when the account does not exist (nothing is written then). */
export async function createApiKey(redis: ScriptRedis, key: NewApiKey): Promise<boolean> {
  const reply = await runScript<{ ok: boolean }>(
    redis,
    CREATE_API_KEY,
    [
      keys.account(key.accountId),
      keys.apiKey(key.keyHash),
      keys.keyId(key.keyId),
      keys.accountKeys(key.accountId),
    ],
    [key.accountId, key.keyId, key.keyHash, key.mode, key.name, String(key.createdAt)],
  );
  return reply.ok;
}
