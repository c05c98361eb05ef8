import { keys } from '../keys';
import { LuaScript, type ScriptClient } from '../lua-script';
import source from './update-account.lua';

export const UPDATE_ACCOUNT = new LuaScript('update-account', source);

export interface AccountChange {
  creditsDelta?: number;
  /** Field -> value; "" deletes the field. */
  fields?: Record<string, string>;
}

/** False when the account does not exist (nothing is written then). */
export async function updateAccount(
  client: ScriptClient,
  accountId: string,
  change: AccountChange,
): Promise<boolean> {
  const pairs = Object.entries(change.fields ?? {}).flat();
  const reply = await UPDATE_ACCOUNT.run<number>(
    client,
    [keys.account(accountId)],
    [change.creditsDelta ?? 0, ...pairs],
  );
  return Number(reply) === 1;
}
