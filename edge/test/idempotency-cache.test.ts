import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeWithPng, leaseOne } from './fake-worker';

let stack: EdgeStack;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  [alice, bob] = await Promise.all([
    stack.createAccount({ name: 'alice', limits: { concurrent_jobs: 100 } }),
    stack.createAccount({ name: 'bob', limits: { concurrent_jobs: 100 } }),
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

// Each test starts from an empty queue: whatever earlier tests left is worked off.
beforeEach(async () => {
  for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
});

async function submit(account: TestAccount, body: object, headers: Record<string, string> = {}) {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Generation & { error?: { code: string } } };
}

const read = async (account: TestAccount, id: string) =>
  (await (await stack.fetch(`/v1/generations/${id}`, { headers: account.headers })).json()) as Generation;

const queueLength = () => stack.redis.xlen('q:demo-shapes');

describe('Idempotency-Key', () => {
  it('replays the same generation for the same key and body, 409s another body', async () => {
    const headers = { 'idempotency-key': 'order-1' };
    const first = await submit(alice, { prompt: 'idem', seed: 1 }, headers);
    expect(first.res.status).toBe(201);
    const second = await submit(alice, { prompt: 'idem', seed: 1 }, headers);
    expect(second.res.status).toBe(200);
    expect(second.res.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const other = await submit(alice, { prompt: 'something else' }, headers);
    expect(other.res.status).toBe(409);
    expect(other.body.error?.code).toBe('idempotency_conflict');
    // Keys are per account: bob's same key is his own.
    const bobs = await submit(bob, { prompt: 'idem', seed: 1 }, headers);
    expect(bobs.res.status).toBe(201);
    expect(bobs.body.id).not.toBe(first.body.id);
  });

  it('makes one job of concurrent duplicates', async () => {
    const before = await queueLength();
    const headers = { 'idempotency-key': `burst-${Date.now()}` };
    const results = await Promise.all(
      Array.from({ length: 12 }, () => submit(alice, { prompt: 'burst' }, headers)),
    );
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.res.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.res.status === 200)).toHaveLength(11);
    expect(await queueLength()).toBe(before + 1);
  });

  it('rejects a malformed key with 422 naming the header', async () => {
    const { res, body } = await submit(alice, { prompt: 'x' }, { 'idempotency-key': 'k'.repeat(256) });
    expect(res.status).toBe(422);
    expect(JSON.stringify(body)).toContain('Idempotency-Key');
  });
});

describe('result cache', () => {
  it('answers an identical seeded request of the same account from stored outputs: cached, own id, no GPU work', async () => {
    const request = { prompt: 'a blue square', seed: 7, steps: 10 };
    const original = await submit(alice, request);
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(original.body.id);
    await completeWithPng(stack, job!);

    const before = await queueLength();
    const hit = await submit(alice, request);
    expect(hit.res.status).toBe(201);
    expect(hit.body).toMatchObject({ status: 'succeeded', cached: true, usage: { units: 0 } });
    expect(hit.body.id).not.toBe(original.body.id);
    expect(hit.body.outputs).toHaveLength(1);
    expect(hit.body.outputs[0].url).toContain(`/v1/outputs/${alice.id}/${hit.body.id}/0.png`);
    expect(await queueLength()).toBe(before);
    expect(await leaseOne(stack)).toBeNull();
    const image = await fetch(hit.body.outputs[0].url);
    expect(image.status).toBe(200);

    // Any parameter change is a different request; no seed is never cached.
    expect((await submit(alice, { ...request, steps: 11 })).body.cached).toBe(false);
    expect((await submit(alice, { prompt: 'a blue square', steps: 10 })).body.cached).toBe(false);
  });

  it('never answers another account from the cache: it pays for its own job, or gets 402 with no credits', async () => {
    const request = { prompt: 'alice’s private square', seed: 4242, steps: 10 };
    const original = await submit(alice, request);
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(original.body.id);
    await completeWithPng(stack, job!);
    expect((await submit(alice, request)).body.cached).toBe(true);

    // An account with no credits gets no free copy of alice's image: it is asked to pay.
    const broke = await stack.createAccount({ name: 'broke', credits: 0 });
    const refused = await submit(broke, request);
    expect(refused.res.status).toBe(402);
    expect(refused.body.error?.code).toBe('insufficient_credits');

    // An account with credits gets a job of its own, queued, its full price held.
    const before = await queueLength();
    const own = await submit(bob, request);
    expect(own.res.status).toBe(201);
    expect(own.body).toMatchObject({ status: 'queued', cached: false, outputs: [] });
    expect(own.body.usage.units).toBeGreaterThan(0);
    expect(await queueLength()).toBe(before + 1);
    const bobsAccount = (await (await stack.fetch('/v1/account', { headers: bob.headers })).json()) as {
      reserved: number;
    };
    expect(bobsAccount.reserved).toBe(own.body.usage.units);
    const bobsJob = await leaseOne(stack);
    expect(bobsJob?.jobId).toBe(own.body.id);
    await completeWithPng(stack, bobsJob!);
    // Bob's outputs are his own objects, not alice's.
    const bobs = await read(bob, own.body.id);
    const alices = await read(alice, original.body.id);
    expect(bobs).toMatchObject({ status: 'succeeded', cached: false });
    const [bobKey] = JSON.parse((await stack.redis.hget(`job:${own.body.id}`, 'outputs')) as string);
    expect(bobKey.key).toContain(`outputs/${bob.id}/${own.body.id}/`);
    expect(alices.outputs[0].url).not.toBe(bobs.outputs[0].url);
  });

  it('coalesces identical requests of one account in flight onto one job; the follower gets its own id and result', async () => {
    const request = { prompt: 'coalesce me', seed: 99 };
    const leader = await submit(alice, request);
    const follower = await submit(alice, request);
    expect(follower.res.status).toBe(201);
    expect(follower.body.id).not.toBe(leader.body.id);
    expect(follower.body.status).toBe('queued');
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(leader.body.id);
    expect(await leaseOne(stack)).toBeNull();
    expect((await read(alice, follower.body.id)).status).toBe('running');
    await completeWithPng(stack, job!);

    const done = await read(alice, follower.body.id);
    expect(done).toMatchObject({ status: 'succeeded', cached: true });
    expect(done.outputs).toHaveLength(1);
    expect((await fetch(done.outputs[0].url)).status).toBe(200);
    const account = (await (await stack.fetch('/v1/account', { headers: alice.headers })).json()) as {
      reserved: number;
    };
    expect(account.reserved).toBe(0);
  });

  it('never coalesces across accounts: the same request of another account is its own job on the queue', async () => {
    const request = { prompt: 'coalesce across accounts', seed: 1234 };
    const before = await queueLength();
    const alices = await submit(alice, request);
    const bobs = await submit(bob, request);
    expect(bobs.res.status).toBe(201);
    expect(bobs.body).toMatchObject({ status: 'queued', cached: false });
    expect(await stack.redis.hget(`job:${bobs.body.id}`, 'leader')).toBeNull();
    expect(await queueLength()).toBe(before + 2);
    const first = await leaseOne(stack);
    const second = await leaseOne(stack);
    expect(new Set([first?.jobId, second?.jobId])).toEqual(new Set([alices.body.id, bobs.body.id]));
    await completeWithPng(stack, first!);
    // Completing one account's job settles nothing of the other's.
    const other =
      first?.jobId === alices.body.id ? { who: bob, id: bobs.body.id } : { who: alice, id: alices.body.id };
    expect((await read(other.who, other.id)).status).toBe('running');
    await completeWithPng(stack, second!);
    expect((await read(other.who, other.id)).cached).toBe(false);
  });

  it('promotes a follower when the leader is canceled: a cancel of the leader never fails it', async () => {
    const request = { prompt: 'leader canceled', seed: 5 };
    const leader = await submit(alice, request);
    const follower = await submit(alice, request);
    const cancel = await stack.fetch(`/v1/generations/${leader.body.id}/cancel`, {
      method: 'POST',
      headers: alice.headers,
    });
    expect(((await cancel.json()) as Generation).status).toBe('canceled');
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(follower.body.id);
    await completeWithPng(stack, job!);
    expect(await read(alice, follower.body.id)).toMatchObject({ status: 'succeeded', cached: false });
  });
});
