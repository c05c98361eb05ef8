import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failJob } from '../src/store/scripts/fail-job';
import { completeWithPng, type LeasedJob, leaseOne } from './fake-worker';

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

describe('OpenAI failed generations', () => {
  async function failedWith(code: string) {
    const answer = json(alice, '/openai/v1/images/generations', { prompt: `fails with ${code}` });
    let job: LeasedJob | null = null;
    for (let i = 0; i < 50 && !job; i++) {
      job = await leaseOne(stack);
      if (!job) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!job) throw new Error('no job to fail');
    await failJob(stack.redis, {
      jobId: job.jobId,
      leaseToken: job.leaseToken,
      error: { code, message: 'worker text' },
      retryable: false,
    });
    const res = await answer;
    return { status: res.status, body: (await res.json()) as { error: { type: string; code: string } } };
  }

  it("answers 400 invalid_request_error when the caller's image was the cause", async () => {
    const { status, body } = await failedWith('invalid_input_image');
    expect(status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
  });

  it('keeps 500 server_error for the platform failing (out of memory, internal error)', async () => {
    for (const code of ['out_of_memory', 'internal_error']) {
      const { status, body } = await failedWith(code);
      expect(status, code).toBe(500);
      expect(body.error.type, code).toBe('server_error');
    }
  });
});

describe('OpenAI model names', () => {
  it('reads OPENAI_MODEL_MAP own keys only: `constructor` or `__proto__` is an unknown model', async () => {
    for (const model of ['constructor', '__proto__', 'toString']) {
      const res = await json(alice, '/openai/v1/images/generations', { prompt: 'x', model });
      expect(res.status, model).toBe(404);
      expect(await res.json(), model).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
    }
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
