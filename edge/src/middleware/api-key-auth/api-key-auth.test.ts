/// <reference types="node" />

import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// In workerd, against real Redis through the bridge, with the edge's REST requests counted.
let stack: EdgeStack;
let account: TestAccount;
beforeAll(async () => {
  stack = await startEdgeStack({ countRestRequests: true });
  account = await stack.createAccount({ limits: { requests_per_minute: 10_000, concurrent_jobs: 100 } });
});
afterAll(async () => {
  await stack?.stop();
});

async function restRequestsFor(request: () => Promise<Response>) {
  const before = stack.restRequests();
  const res = await request();
  await res.arrayBuffer();
  return { status: res.status, rest: stack.restRequests() - before };
}

describe('API-key auth and its rate limit share one REST request', () => {
  it('authenticates and rate-limits a request in one round trip to Redis', async () => {
    await stack.fetch('/v1/account', { headers: account.headers }); // learns the key's limit
    // /v1/account = auth + rate limit (one pipeline) + the account read.
    expect(await restRequestsFor(() => stack.fetch('/v1/account', { headers: account.headers }))).toEqual({
      status: 200,
      rest: 2,
    });
  });

  it('looks a key new to this isolate up before its limiter runs: one more request, once', async () => {
    const fresh = await stack.createAccount();
    const first = await restRequestsFor(() => stack.fetch('/v1/account', { headers: fresh.headers }));
    expect(first).toEqual({ status: 200, rest: 3 });
    const next = await restRequestsFor(() => stack.fetch('/v1/account', { headers: fresh.headers }));
    expect(next).toEqual({ status: 200, rest: 2 });
  });

  it('submits a generation in at most two REST requests', async () => {
    const submit = () =>
      stack.fetch('/v1/generations', {
        method: 'POST',
        headers: { ...account.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'counted' }),
      });
    await submit();
    for (let i = 0; i < 5; i++) expect(await restRequestsFor(submit)).toEqual({ status: 201, rest: 2 });
  });

  it('refuses an unknown key after two REST requests (lookup, per-address failure count), a malformed one with none', async () => {
    const unknownKey = () =>
      stack.fetch('/v1/account', { headers: { authorization: `Bearer ldm_test_${'Z'.repeat(32)}` } });
    await unknownKey(); // loads the failure-count script (EVALSHA, NOSCRIPT, EVAL) once
    expect(await restRequestsFor(unknownKey)).toEqual({ status: 401, rest: 2 });
    const malformed = await restRequestsFor(() =>
      stack.fetch('/v1/account', { headers: { authorization: 'Bearer nope' } }),
    );
    expect(malformed).toEqual({ status: 401, rest: 0 });
  });
});
