import { SAFETY_MODES, type SafetyMode } from '@ldm/shared';
import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const AUTH_LOOKUP: LuaScript = SCRIPTS['auth-lookup'];

export interface KeyLookup {
  accountId: string;
  keyId: string;
  mode: 'live' | 'test';
  revoked: boolean;
  plan: string;
  rpmLimit: number | null;
  concurrencyLimit: number | null;
  /** The operator's safety checker mode for this account; null = the model's. */
  safetyChecker: SafetyMode | null;
}

interface Reply {
  account_id?: string;
  key_id: string;
  mode: string;
  revoked: string;
  plan: string;
  rpm_limit: string;
  concurrency_limit: string;
  safety_checker?: string;
}

const safetyMode = (text: string | undefined): SafetyMode | null =>
  (SAFETY_MODES as readonly string[]).includes(text ?? '') ? (text as SafetyMode) : null;

const optionalInt = (text: string) => (text === '' ? null : Number.parseInt(text, 10));

/** Issues the lookup synchronously (so it can share an auto-pipelined request) and decodes it. */
export async function lookupApiKey(redis: ScriptRedis, keyHash: string): Promise<KeyLookup | null> {
  const reply = await runScript<Reply>(redis, AUTH_LOOKUP, [keys.apiKey(keyHash)], [keys.account('')]);
  if (!reply.account_id) return null;
  return {
    accountId: reply.account_id,
    keyId: reply.key_id,
    mode: reply.mode === 'test' ? 'test' : 'live',
    revoked: reply.revoked === '1',
    plan: reply.plan,
    rpmLimit: optionalInt(reply.rpm_limit),
    concurrencyLimit: optionalInt(reply.concurrency_limit),
    safetyChecker: safetyMode(reply.safety_checker),
  };
}
