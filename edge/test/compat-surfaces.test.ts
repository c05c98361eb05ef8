import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeWithPng, leaseOne } from './fake-worker';

// The compatibility surfaces in workerd with a scripted worker: the OpenAI hold running out, and
// accounts kept apart on the Replicate surface. (The real clients are in test/e2e.)
let stack: EdgeStack;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { OPENAI_HOLD_SECONDS: '2' } });
  [alice, bob] = await Promise.all([
    stack.createAccount({ name: 'alice' }),
    stack.createAccount({ name: 'bob' }),
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

const json = (account: TestAccount, path: string, body?: unknown) =>
  stack.fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function generationCount(account: TestAccount) {
  const res = await json(account, '/v1/generations?limit=100');
  return ((await res.json()) as { data: unknown[] }).data.length;
}

describe('OpenAI hold', () => {
  it('answers 504 timeout with x-should-retry: false when no image exists within OPENAI_HOLD_SECONDS', async () => {
    const before = await generationCount(alice);
    const started = Date.now();
    const res = await json(alice, '/openai/v1/images/generations', { prompt: 'nobody will draw this' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(504);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'timeout', type: 'server_error' });
    const id = res.headers.get('x-ldm-generation-id') as string;
    expect(body.error.message).toContain(id);
    expect(await generationCount(alice)).toBe(before + 1);
    // The work goes on: a worker finishing it later makes the images reachable by id.
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(id);
    await completeWithPng(stack, job as NonNullable<typeof job>);
    const done = (await (await json(alice, `/replicate/v1/predictions/${id}`)).json()) as { status: string };
    expect(done.status).toBe('succeeded');
  });
});

describe('Replicate surface between accounts', () => {
  it("gives another account's prediction the same 404 as a missing one, for get, cancel and stream", async () => {
    const created = (await (
      await json(alice, '/replicate/v1/models/ldm/demo-shapes/predictions', {
        input: { prompt: 'mine' },
      })
    ).json()) as { id: string; urls: { stream: string } };
    for (const [method, path] of [
      ['GET', `/replicate/v1/predictions/${created.id}`],
      ['POST', `/replicate/v1/predictions/${created.id}/cancel`],
      ['GET', `/replicate/v1/predictions/${created.id}/stream`],
    ] as const) {
      const res = await stack.fetch(path, { method, headers: bob.headers });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' });
    }
    const bobs = (await (await json(bob, '/replicate/v1/predictions')).json()) as {
      results: { id: string }[];
    };
    expect(bobs.results.map((p) => p.id)).not.toContain(created.id);
    // Alice's signed stream URL names her prediction only: moved to another id, it is refused.
    const moved = created.urls.stream.replace(created.id, 'gen_someoneelse123');
    expect((await fetch(moved)).status).toBe(403);
    expect((await json(alice, `/replicate/v1/predictions/${created.id}/cancel`, {})).status).toBe(200);
  });

  it('refuses an unknown owner, an unknown version and unknown input fields, naming them', async () => {
    const owner = await json(alice, '/replicate/v1/models/someone/demo-shapes/predictions', {
      input: { prompt: 'x' },
    });
    expect(owner.status).toBe(404);
    const version = await json(alice, '/replicate/v1/predictions', {
      version: 'nope',
      input: { prompt: 'x' },
    });
    expect(version.status).toBe(422);
    expect(await version.json()).toMatchObject({ invalid_fields: [{ field: 'version' }] });
    const field = await json(alice, '/replicate/v1/models/ldm/demo-shapes/predictions', {
      input: { prompt: 'x', steps: 3 },
    });
    expect(field.status).toBe(422);
    expect(await field.json()).toMatchObject({
      invalid_fields: [{ field: 'input.steps', description: 'unknown field' }],
    });
  });
});
