import { keys } from '../keys';
import { LuaScript, type ScriptClient } from '../lua-script';
import source from './create-api-key.lua';

export const CREATE_API_KEY = new LuaScript('create-api-key', source);

export interface NewApiKey {
  accountId: string;
  keyId: string;
  keyHash: string;
  mode: 'live' | 'test';
  name: string;
  createdAt: number;
}

/** False when the account does not exist (nothing is written then). */
export async function createApiKey(client: ScriptClient, key: NewApiKey): Promise<boolean> {
  const reply = await CREATE_API_KEY.run<number>(
    client,
    [
      keys.account(key.accountId),
      keys.apiKey(key.keyHash),
      keys.keyId(key.keyId),
      keys.accountKeys(key.accountId),
    ],
    [key.accountId, key.keyId, key.keyHash, key.mode, key.name, key.createdAt],
  );
  return Number(reply) === 1;
}
