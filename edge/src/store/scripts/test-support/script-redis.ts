/// <reference types="node" />
import { type RedisWithBridge, startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { seedAccount } from './seed-job';

export interface ScriptRedisFixture {
  /** The client the edge uses in production (REST, plain JSON replies) through the local bridge. */
  redis: Redis;
  stack: RedisWithBridge;
  stop(): Promise<void>;
}

/** A private redis-server behind the Upstash REST bridge, and a client configured like the edge's. */
export async function startScriptRedis(): Promise<ScriptRedisFixture> {
  const stack = await startRedisWithBridge();
  const redis = new Redis({
    url: stack.bridgeUrl,
    token: stack.token,
    automaticDeserialization: false,
    responseEncoding: false,
  });
  return { redis, stack, stop: () => stack.stop() };
}

/**
 * The setup every script test file shares: one Redis for the file, emptied and given the seed
 * account before each test (a file's own beforeEach runs after this one). The fixture's fields
 * can be read once the file's tests run.
 */
export function useScriptRedis(): ScriptRedisFixture {
  let fixture: ScriptRedisFixture | undefined;
  const current = () => {
    if (!fixture) throw new Error('useScriptRedis: the fixture is only there while tests run');
    return fixture;
  };
  beforeAll(async () => {
    fixture = await startScriptRedis();
  });
  afterAll(() => fixture?.stop());
  beforeEach(async () => {
    await current().redis.flushall();
    await seedAccount(current().redis);
  });
  return {
    get redis() {
      return current().redis;
    },
    get stack() {
      return current().stack;
    },
    stop: () => current().stop(),
  };
}
