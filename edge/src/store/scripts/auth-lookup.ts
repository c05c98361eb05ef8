import { keys } from '../keys';
import { LuaScript, type ScriptClient } from '../lua-script';
import source from './auth-lookup.lua';

export const AUTH_LOOKUP = new LuaScript('auth-lookup', source);

export interface KeyLookup {
  accountId: string;
  keyId: string;
  mode: 'live' | 'test';
  revoked: boolean;
  plan: string;
  rpmLimit: number | null;
  concurrencyLimit: number | null;
}

const optionalInt = (text: string) => (text === '' ? null : Number.parseInt(text, 10));

/** Issues the lookup (synchronously once `AUTH_LOOKUP.ready()` resolved) and decodes its reply. */
export async function lookupApiKey(client: ScriptClient, keyHash: string): Promise<KeyLookup | null> {
  const reply = await AUTH_LOOKUP.run<string[] | null>(client, [keys.apiKey(keyHash)], [keys.account('')]);
  if (!reply) return null;
  const [accountId, keyId, mode, revoked, plan, rpm, concurrency] = reply;
  return {
    accountId,
    keyId,
    mode: mode === 'test' ? 'test' : 'live',
    revoked: revoked === '1',
    plan,
    rpmLimit: optionalInt(rpm),
    concurrencyLimit: optionalInt(concurrency),
  };
}
