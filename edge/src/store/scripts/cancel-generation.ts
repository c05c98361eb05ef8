import { SCRIPTS } from '../../lua/scripts.generated';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

export const CANCEL_GENERATION: LuaScript = SCRIPTS['cancel-generation'];

export type CancelResult =
  | { outcome: 'canceled' | 'cancel_requested' | 'unchanged' | 'invalid_state'; job: Record<string, string> }
  | { outcome: 'not_found' };

/** Runs cancel-generation.lua for the caller's account. */
export async function cancelGeneration(
  redis: ScriptRedis,
  accountId: string,
  jobId: string,
): Promise<CancelResult> {
  const reply = await runScript<{ outcome: CancelResult['outcome']; job?: unknown }>(
    redis,
    CANCEL_GENERATION,
    [keys.job(jobId)],
    [SCRIPT_CONTEXT, accountId],
  );
  if (reply.outcome === 'not_found') return { outcome: 'not_found' };
  return { outcome: reply.outcome, job: hashFromReply(reply.job) ?? {} };
}
