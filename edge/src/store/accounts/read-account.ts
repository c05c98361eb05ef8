import type { Redis } from '@upstash/redis/cloudflare';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';

/** The account hash, or null when there is no such account. */
export async function readAccount(redis: Redis, accountId: string): Promise<Record<string, string> | null> {
  return hashFromReply(await redis.hgetall(keys.account(accountId)));
}
