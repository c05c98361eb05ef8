import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeWithPng, heartbeat, leaseOne } from './fake-worker';

let stack: EdgeStack;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack({ countRestRequests: true });
  [alice, bob] = await Promise.all([
    stack.createAccount({ name: 'alice' }),
    stack.createAccount({ name: 'bob' }),
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

async function submit(account: TestAccount, body: object, headers: Record<string, string> = {}) {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Generation & { error?: { code: string; details?: unknown[] } } };
}

const get = (account: TestAccount, path: string) => stack.fetch(path, { headers: account.headers });

async function credits(account: TestAccount) {
  return (await (await get(account, '/v1/account')).json()) as { credits: number; reserved: number };
}

describe('create and read', () => {
  it('creates a queued generation with every default resolved, 201 + Location', async () => {
    const { res, body } = await submit(alice, {
      prompt: 'a red circle',
      webhook: 'https://hooks.example.com/ldm',
      webhook_events_filter: ['completed'],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(body.urls.get);
    expect(body).toMatchObject({
      model: 'demo-shapes',
      status: 'queued',
      cached: false,
      outputs: [],
      input: { width: 64, height: 64, steps: 20, scheduler: 'dpmpp_2m', guidance_scale: 5, num_outputs: 1 },
    });
    expect(body.id).toMatch(/^gen_/);
    // 1 per image + 10 per megapixel-step: 64x64 px, 20 steps.
    expect(body.usage.units).toBeCloseTo(1 + 10 * ((64 * 64) / 1e6) * 20, 6);
    const read = await get(alice, `/v1/generations/${body.id}`);
    expect(read.status).toBe(200);
    // The create answer is built from what the edge sent, not read back: it must be the object a
    // read of the stored record gives, field for field.
    expect((await read.json()) as Generation).toEqual(body);
    expect(body.input).toMatchObject({
      webhook: 'https://hooks.example.com/ldm',
      webhook_events_filter: ['completed'],
    });
  });

  it('prices a second-order scheduler by its 2N - 1 model evaluations', async () => {
    const { res, body } = await submit(alice, { prompt: 'a red circle', scheduler: 'heun', steps: 20 });
    expect(res.status).toBe(201);
    expect(body.usage.units).toBeCloseTo(1 + 10 * ((64 * 64) / 1e6) * 39, 6);
  });

  it('hides another account’s generation, list and cancel behind 404', async () => {
    const { body } = await submit(alice, { prompt: 'private' });
    expect((await get(bob, `/v1/generations/${body.id}`)).status).toBe(404);
    expect((await get(bob, `/v1/generations/${body.id}/events`)).status).toBe(404);
    const cancel = await stack.fetch(`/v1/generations/${body.id}/cancel`, {
      method: 'POST',
      headers: bob.headers,
    });
    expect(cancel.status).toBe(404);
    const list = (await (await get(bob, '/v1/generations')).json()) as { data: Generation[] };
    expect(list.data.map((g) => g.id)).not.toContain(body.id);
    // and it is still queued for its owner
    expect(((await (await get(alice, `/v1/generations/${body.id}`)).json()) as Generation).status).toBe(
      'queued',
    );
  });

  it('lists newest first with cursor pages that neither skip nor repeat', async () => {
    const carol = await stack.createAccount({ name: 'carol', limits: { concurrent_jobs: 100 } });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await submit(carol, { prompt: `item ${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await get(carol, `/v1/generations?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as {
        data: Generation[];
        next_cursor: string | null;
      };
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((g) => g.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const bad = await get(carol, '/v1/generations?cursor=nonsense');
    expect(bad.status).toBe(422);

    // A page costs three REST requests whatever its size: key lookup + rate limit, the index read,
    // and every record of the page read together.
    const before = stack.restRequests();
    const page = await get(carol, '/v1/generations?limit=5');
    expect(((await page.json()) as { data: unknown[] }).data).toHaveLength(5);
    expect(stack.restRequests() - before).toBe(3);
  });
});

describe('image inputs resolved as diffusers', () => {
  const pngDataUrl = async (width: number, height: number) => {
    const png = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  };

  it('img2img without a size takes the input image size rounded down to a multiple of 8; strength 0.8', async () => {
    const { res, body } = await submit(alice, {
      prompt: 'x',
      task: 'img2img',
      image: await pngDataUrl(101, 77),
    });
    expect(res.status).toBe(201);
    expect(body.input).toMatchObject({ width: 96, height: 72, strength: 0.8 });
  });

  it('inpaint defaults strength to 1.0 and keeps a size the request names', async () => {
    const image = await pngDataUrl(101, 77);
    const { res, body } = await submit(alice, {
      prompt: 'x',
      task: 'inpaint',
      image,
      mask: image,
      width: 128,
    });
    expect(res.status).toBe(201);
    expect(body.input).toMatchObject({ width: 128, height: 72, strength: 1 });
  });

  it('an input image past the model limits gives an output size within them (demo: 512 px a side)', async () => {
    const { res, body } = await submit(bob, {
      prompt: 'x',
      task: 'img2img',
      image: await pngDataUrl(1200, 300),
    });
    expect(res.status).toBe(201);
    expect(body.input).toMatchObject({ width: 512, height: 128 });
  });
});

describe('cancel', () => {
  it('cancels a queued job at once, releases its credits, and no worker ever gets it', async () => {
    const dave = await stack.createAccount({ name: 'dave', credits: 100 });
    const { body } = await submit(dave, { prompt: 'cancel me', model: 'demo-shapes' });
    expect(await credits(dave)).toMatchObject({ reserved: body.usage.units });
    const res = await stack.fetch(`/v1/generations/${body.id}/cancel`, {
      method: 'POST',
      headers: dave.headers,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Generation).status).toBe('canceled');
    expect(await credits(dave)).toEqual(expect.objectContaining({ credits: 100, reserved: 0 }));
    // Drain the queue: the canceled job must not be leased.
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) {
      expect(job.jobId).not.toBe(body.id);
      await completeWithPng(stack, job);
    }
    const again = await stack.fetch(`/v1/generations/${body.id}/cancel`, {
      method: 'POST',
      headers: dave.headers,
    });
    expect(again.status).toBe(200);
  });

  it('flags a running job; the next heartbeat answers cancel: true', async () => {
    const erin = await stack.createAccount({ name: 'erin' });
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
    const { body } = await submit(erin, { prompt: 'running' });
    const leased = await leaseOne(stack);
    expect(leased?.jobId).toBe(body.id);
    const res = await stack.fetch(`/v1/generations/${body.id}/cancel`, {
      method: 'POST',
      headers: erin.headers,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Generation).status).toBe('running');
    const beat = await heartbeat(stack, leased!, 3, 20);
    expect(beat).toMatchObject({ outcome: 'ok', cancel: true });
  });

  it('refuses to cancel finished work with 409', async () => {
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
    const { body } = await submit(alice, { prompt: 'finish first' });
    const job = await leaseOne(stack);
    await completeWithPng(stack, job!);
    const res = await stack.fetch(`/v1/generations/${body.id}/cancel`, {
      method: 'POST',
      headers: alice.headers,
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_state');
  });
});

describe('Prefer: wait', () => {
  it('returns the finished object when the job ends in time', async () => {
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
    const pending = submit(alice, { prompt: 'wait for me' }, { prefer: 'wait=10' });
    let job = null;
    for (let i = 0; i < 100 && !job; i++) {
      job = await leaseOne(stack);
      if (!job) await new Promise((r) => setTimeout(r, 20));
    }
    await completeWithPng(stack, job!);
    const { res, body } = await pending;
    expect(res.status).toBe(201);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(body.status).toBe('succeeded');
    expect(body.outputs).toHaveLength(1);
    const image = await fetch(body.outputs[0].url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('returns the current object when the wait runs out', async () => {
    const started = Date.now();
    const { res, body } = await submit(alice, { prompt: 'nobody works' }, { prefer: 'wait=1' });
    expect(res.status).toBe(201);
    expect(body.status).toBe('queued');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('credits and limits', () => {
  it('refuses a job the account cannot pay for with 402 and the shortfall', async () => {
    const poor = await stack.createAccount({ credits: 1 });
    const { res, body } = await submit(poor, { prompt: 'too big', width: 512, height: 512, steps: 50 });
    expect(res.status).toBe(402);
    expect(body.error?.code).toBe('insufficient_credits');
    expect(JSON.stringify(body.error)).toMatch(/short by/);
    expect(await credits(poor)).toMatchObject({ credits: 1, reserved: 0 });
  });

  it('caps queued + running jobs per account with 429 concurrency_limited', async () => {
    const capped = await stack.createAccount({ limits: { concurrent_jobs: 2 } });
    expect((await submit(capped, { prompt: 'one' })).res.status).toBe(201);
    expect((await submit(capped, { prompt: 'two' })).res.status).toBe(201);
    const third = await submit(capped, { prompt: 'three' });
    expect(third.res.status).toBe(429);
    expect(third.body.error?.code).toBe('concurrency_limited');
    expect(third.res.headers.get('retry-after')).toBeTruthy();
  });
});
