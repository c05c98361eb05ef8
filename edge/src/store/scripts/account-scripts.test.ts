/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';
import { lookupApiKey } from './auth-lookup';
import { createApiKey } from './create-api-key';
import { revokeApiKey } from './revoke-api-key';
import { type ScriptRedisFixture, startScriptRedis } from './test-support/script-redis';
import { updateAccount } from './update-account';

let fx: ScriptRedisFixture;
beforeAll(async () => {
  fx = await startScriptRedis();
  await fx.redis.hset(keys.account('acct_a'), { id: 'acct_a', plan: 'pro', credits: 5, reserved: 0 });
});
afterAll(async () => {
  await fx?.stop();
});

const key = {
  accountId: 'acct_a',
  keyId: 'key_1',
  keyHash: 'h1',
  mode: 'test' as const,
  name: 'ci',
  createdAt: 1,
};

describe('account and key scripts', () => {
  it('create-api-key.lua stores record, pointer and index only for an existing account', async () => {
    expect(await createApiKey(fx.redis, key)).toBe(true);
    expect(hashFromReply(await fx.redis.hgetall(keys.apiKey('h1')))).toMatchObject({
      account_id: 'acct_a',
      key_id: 'key_1',
    });
    expect(await fx.redis.get(keys.keyId('key_1'))).toBe('h1');
    expect(await fx.redis.smembers(keys.accountKeys('acct_a'))).toEqual(['key_1']);
    expect(
      await createApiKey(fx.redis, { ...key, accountId: 'acct_none', keyId: 'key_2', keyHash: 'h2' }),
    ).toBe(false);
    expect(await fx.redis.exists(keys.apiKey('h2'), keys.keyId('key_2'))).toBe(0);
  });

  it('auth-lookup.lua joins the key with its account’s plan and overrides', async () => {
    expect(await lookupApiKey(fx.redis, 'h1')).toEqual({
      accountId: 'acct_a',
      keyId: 'key_1',
      mode: 'test',
      revoked: false,
      plan: 'pro',
      rpmLimit: null,
      concurrencyLimit: null,
      safetyChecker: null,
    });
    expect(await lookupApiKey(fx.redis, 'nope')).toBeNull();
    // The operator's safety checker mode rides along; an unknown stored value reads as none.
    await fx.redis.hset(keys.account('acct_a'), { safety_checker: 'off' });
    expect((await lookupApiKey(fx.redis, 'h1'))?.safetyChecker).toBe('off');
    await fx.redis.hset(keys.account('acct_a'), { safety_checker: 'bogus' });
    expect((await lookupApiKey(fx.redis, 'h1'))?.safetyChecker).toBeNull();
    await fx.redis.hdel(keys.account('acct_a'), 'safety_checker');
  });

  it('update-account.lua sets, clears and adds credits only on existing accounts', async () => {
    expect(await updateAccount(fx.redis, 'acct_a', { creditsDelta: 2.5, fields: { rpm_limit: '7' } })).toBe(
      true,
    );
    expect((await lookupApiKey(fx.redis, 'h1'))?.rpmLimit).toBe(7);
    expect(await updateAccount(fx.redis, 'acct_a', { fields: { rpm_limit: '' } })).toBe(true);
    expect((await lookupApiKey(fx.redis, 'h1'))?.rpmLimit).toBeNull();
    expect(await fx.redis.hget(keys.account('acct_a'), 'credits')).toBe('7.5');
    expect(await updateAccount(fx.redis, 'acct_none', { creditsDelta: 1 })).toBe(false);
    expect(await fx.redis.exists(keys.account('acct_none'))).toBe(0);
  });

  it('revoke-api-key.lua marks the key revoked by id', async () => {
    expect(await revokeApiKey(fx.redis, 'key_1', 99)).toBe(true);
    expect((await lookupApiKey(fx.redis, 'h1'))?.revoked).toBe(true);
    expect(await revokeApiKey(fx.redis, 'key_unknown', 99)).toBe(false);
  });
});
