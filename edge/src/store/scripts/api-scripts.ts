import { AUTH_LOOKUP } from './auth-lookup';
import { CANCEL_GENERATION } from './cancel-generation';
import { CREATE_API_KEY } from './create-api-key';
import { REVOKE_API_KEY } from './revoke-api-key';
import type { LuaScript } from './run-script';
import { SETTLE_FOLLOWER } from './settle-follower';
import { SUBMIT_GENERATION } from './submit-generation';
import { UPDATE_ACCOUNT } from './update-account';

/** The public- and admin-API scripts (each in its own .lua file), for the hash pin test. */
export const API_SCRIPTS: readonly LuaScript[] = [
  AUTH_LOOKUP,
  CREATE_API_KEY,
  REVOKE_API_KEY,
  UPDATE_ACCOUNT,
  SUBMIT_GENERATION,
  CANCEL_GENERATION,
  SETTLE_FOLLOWER,
];
