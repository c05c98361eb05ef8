import type { SafetyMode } from '@ldm/shared';
import type { Redis } from '@upstash/redis/cloudflare';
import type { Config } from './env';

/** Who is calling, once api-key auth has run. */
export interface Caller {
  accountId: string;
  keyId: string;
  keyHash: string;
  mode: 'live' | 'test';
  plan: string;
  /** Effective limits: the plan's, or the operator's override on the account. */
  rpmLimit: number;
  concurrencyLimit: number;
  /** The operator's safety checker mode for this account; null = the model's (catalog). */
  safetyChecker: SafetyMode | null;
}

export interface AppVariables {
  requestId: string;
  config: Config;
  /** One REST request per command (see store/redis.ts). */
  redis: Redis;
  /** Auto-pipelined: the commands issued in one tick share a REST request. */
  batchedRedis: Redis;
  caller: Caller;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
