import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const CREATE_API_KEY: LuaScript = SCRIPTS['create-api-key'];

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
