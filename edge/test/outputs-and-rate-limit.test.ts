import { createHmac } from 'node:crypto';
import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeWithPng, leaseOne, PNG_1X1 } from './fake-worker';

let stack: EdgeStack;
let alice: TestAccount;
let bob: TestAccount;
let done: Generation;

beforeAll(async () => {
  stack = await startEdgeStack();
  [alice, bob] = await Promise.all([
    stack.createAccount({ name: 'alice' }),
    stack.createAccount({ name: 'bob' }),
  ]);
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...alice.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'output test', num_outputs: 2 }),
  });
  const created = (await res.json()) as Generation;
  const job = await leaseOne(stack);
  await completeWithPng(stack, job!, 2);
  done = (await (
    await stack.fetch(`/v1/generations/${created.id}`, { headers: alice.headers })
  ).json()) as Generation;
});
afterAll(async () => {
  await stack?.stop();
});

const sign = (path: string, expires: number) =>
  createHmac('sha256', stack.urlSigningSecret).update(`${path}\n${expires}`).digest('base64url');

describe('outputs', () => {
  it('streams the image by signed URL with type and cache headers', async () => {
    expect(done.outputs).toHaveLength(2);
    const res = await fetch(done.outputs[1].url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toContain('immutable');
    // A signed URL is a bearer credential: private caches only, never past its expiry.
    const cacheControl = res.headers.get('cache-control') as string;
    expect(cacheControl).toMatch(/^private,/);
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
    const expires = Number(new URL(done.outputs[1].url).searchParams.get('expires'));
    expect(maxAge).toBeLessThanOrEqual(expires - Math.floor(Date.now() / 1000) + 1);
    expect(res.headers.get('etag')).toBeTruthy();
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG_1X1)).toBe(true);
  });

  it('refuses a tampered signature or path with 403, an expired one with url_expired', async () => {
    const url = new URL(done.outputs[0].url);
    const sig = url.searchParams.get('sig') as string;
    const flipped = new URL(url);
    flipped.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    expect((await fetch(flipped)).status).toBe(403);
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await fetch(longer)).status).toBe(403);
    const otherImage = new URL(url.href.replace('/0.png', '/1.png'));
    expect((await fetch(otherImage)).status).toBe(403);

    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await fetch(
      `${url.origin}${url.pathname}?expires=${past}&sig=${sign(url.pathname, past)}`,
    );
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('url_expired');
  });

  it('opens with the owner’s key, 404s another account’s key and 401s no credentials', async () => {
    const path = new URL(done.outputs[0].url).pathname;
    expect((await stack.fetch(path, { headers: alice.headers })).status).toBe(200);
    expect((await stack.fetch(path, { headers: bob.headers })).status).toBe(404);
    expect((await stack.fetch(path)).status).toBe(401);
    expect((await stack.fetch(path.replace('/0.png', '/7.png'), { headers: alice.headers })).status).toBe(
      404,
    );
    expect((await stack.fetch(path.replace('/0.png', '/0.webp'), { headers: alice.headers })).status).toBe(
      404,
    );
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and RateLimit-* once the key’s per-minute limit is spent', async () => {
    const limited = await stack.createAccount({ limits: { requests_per_minute: 3 } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await stack.fetch('/v1/account', { headers: limited.headers });
      statuses.push(last.status);
      if (i === 1) {
        expect(last.headers.get('ratelimit-limit')).toBe('3');
        expect(last.headers.get('ratelimit-remaining')).toBe('1');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = last as Response;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Another key is not affected.
    expect((await stack.fetch('/v1/account', { headers: bob.headers })).status).toBe(200);
  });
});
