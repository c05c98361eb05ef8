import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** RECOUNT_ACTIVE: recount-active.lua (its header says what it takes and does). */
export const RECOUNT_ACTIVE: LuaScript = SCRIPTS['recount-active'];

/** Accounts without a job in flight checked per run (those with one are checked every run). */
export const RECOUNT_ACCOUNTS_PER_RUN = 1_000;

export interface RecountResult {
  /** Jobs queued or running, followers included. */
  in_flight: number;
  /** Accounts whose `active` counter was wrong, and what it was set to. */
  corrected: { account_id: string; was: number; now: number }[];
}

/** Sets each account's `active` counter to its jobs in flight (recount-active.lua). */
export async function recountActive(
  redis: ScriptRedis,
  accountsPerRun = RECOUNT_ACCOUNTS_PER_RUN,
): Promise<RecountResult> {
  const reply = await runScript<{ in_flight: number; corrected: unknown }>(
    redis,
    RECOUNT_ACTIVE,
    [keys.leases(), keys.queuedModels(), keys.accounts(), keys.activeRecountCursor()],
    [SCRIPT_CONTEXT, String(accountsPerRun)],
  );
  return { in_flight: reply.in_flight, corrected: asList(reply.corrected) };
}
