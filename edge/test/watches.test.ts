import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, workerClient } from '../src/routes/worker/worker-test-client';

// `/events` streams and `Prefer: wait` requests: bounded per account and woken by the job's
// changes (its Durable Object wake point) instead of polling Redis every 250 ms.
const MAX_WATCHES = 3;
let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  // The default safety poll (10 s): anything seen sooner than that came from a wake.
  stack = await startEdgeStack({
    vars: { MAX_WATCHES_PER_ACCOUNT: String(MAX_WATCHES) },
    countRestRequests: true,
  });
  account = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 100 } });
});
afterAll(async () => {
  await stack?.stop();
});

interface Stream {
  events: { event: string; data: unknown; at: number }[];
  ended: Promise<void>;
  close: () => void;
}

/** Opens an event stream (as `account` unless `as` is given) and collects its events as they arrive. */
async function openStream(id: string, as: TestAccount = account): Promise<Stream> {
  const abort = new AbortController();
  const res = await stack.fetch(`/v1/generations/${id}/events`, {
    headers: as.headers,
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const events: Stream['events'] = [];
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
        }
      }
    } catch {
      // closed by the test
    }
  })();
  return { events, ended, close: () => abort.abort() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

describe('watches of a job', () => {
  it('cost almost no Redis commands while nothing changes, and are woken by a change', async () => {
    const job = await submit(stack, account, { steps: 4 });
    const streams = [await openStream(job.id), await openStream(job.id), await openStream(job.id)];
    await until(() => streams.every((s) => s.events.length === 1), 5_000); // `queued`
    const before = stack.restRequests();
    const seconds = 3;
    await sleep(seconds * 1000);
    const perStreamPerSecond = (stack.restRequests() - before) / streams.length / seconds;
    console.log(`Redis REST requests per open stream per second, nothing changing: ${perStreamPerSecond}`);
    // Polling every 250 ms was 4 per stream per second.
    expect(perStreamPerSecond).toBeLessThanOrEqual(0.2);

    // A lease and a heartbeat through the worker API wake the streams long before the 10 s poll.
    const worker = workerClient(stack);
    const leased = await worker.lease(['demo-shapes']);
    const grant = leased.body.jobs[0] as { job_id: string; lease_token: string };
    expect(grant.job_id).toBe(job.id);
    const running = await until(
      () =>
        streams.every((s) =>
          s.events.some((e) => e.event === 'status' && (e.data as Generation).status === 'running'),
        ),
      5_000,
    );
    const beat = await worker.call('POST', `/jobs/${job.id}/heartbeat`, {
      lease_token: grant.lease_token,
      progress: { step: 2, total: 4 },
    });
    expect(beat.status).toBe(200);
    const progressed = await until(
      () => streams.every((s) => s.events.some((e) => e.event === 'progress')),
      5_000,
    );
    expect(Math.max(running, progressed)).toBeLessThan(5_000);

    // A fourth watch of the account is refused while three are open: a stream, or a Prefer: wait
    // submit, which is refused before it creates anything.
    const fourth = await stack.fetch(`/v1/generations/${job.id}/events`, { headers: account.headers });
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { error: { code: string } }).error.code).toBe('too_many_watches');
    const listBefore = (await (
      await stack.fetch('/v1/generations', { headers: account.headers })
    ).json()) as { data: unknown[] };
    const waiting = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json', prefer: 'wait=5' },
      body: JSON.stringify({ prompt: 'refused before it exists' }),
    });
    expect(waiting.status).toBe(429);
    await waiting.body?.cancel();
    const listAfter = (await (await stack.fetch('/v1/generations', { headers: account.headers })).json()) as {
      data: unknown[];
    };
    expect(listAfter.data.length).toBe(listBefore.data.length);

    // The job fails through the worker API: every stream gets the final status and ends, and
    // their slots are free again.
    const failed = await worker.call('POST', `/jobs/${job.id}/fail`, {
      lease_token: grant.lease_token,
      error: { code: 'model_error', message: 'x' },
      retryable: false,
    });
    expect(failed.status).toBe(200);
    await Promise.race([
      Promise.all(streams.map((s) => s.ended)),
      sleep(5_000).then(() => Promise.reject(new Error('streams did not end'))),
    ]);
    for (const s of streams) expect(s.events.at(-1)?.data).toMatchObject({ status: 'failed' });
    await sleep(200); // the releases run as the streams close
    const again = await stack.fetch(`/v1/generations/${job.id}/events`, { headers: account.headers });
    expect(again.status).toBe(200);
    await again.text();
  }, 30_000);

  it('Prefer: wait answers as soon as the job ends, woken rather than polled', async () => {
    const worker = workerClient(stack);
    const pending = stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json', prefer: 'wait=20' },
      body: JSON.stringify({ prompt: 'wait for me' }),
    });
    let grant: { job_id: string; lease_token: string } | undefined;
    for (let i = 0; i < 100 && !grant; i++) {
      const leased = await worker.lease(['demo-shapes']);
      grant = leased.body.jobs[0];
      if (!grant) await sleep(50);
    }
    expect(grant).toBeDefined();
    const failedAt = Date.now();
    await worker.call('POST', `/jobs/${grant?.job_id}/fail`, {
      lease_token: grant?.lease_token,
      error: { code: 'model_error', message: 'x' },
      retryable: false,
    });
    const res = await pending;
    expect(res.status).toBe(201);
    expect(((await res.json()) as Generation).status).toBe('failed');
    expect(Date.now() - failedAt).toBeLessThan(5_000);
  }, 30_000);

  it('a stream client that goes away gives its slot back within seconds, not at the slot expiry', async () => {
    // Its own account, so the other tests' watches do not count.
    const owner = await stack.createAccount({
      limits: { requests_per_minute: 100_000, concurrent_jobs: 100 },
    });
    const job = await submit(stack, owner, { steps: 4 });
    const streams: Stream[] = [];
    for (let i = 0; i < MAX_WATCHES; i++) streams.push(await openStream(job.id, owner));
    await until(() => streams.every((s) => s.events.length === 1), 5_000);
    const full = await stack.fetch(`/v1/generations/${job.id}/events`, { headers: owner.headers });
    expect(full.status).toBe(429);
    await full.body?.cancel();

    // Every client leaves mid-stream. workerd notices a gone client at the stream's next write (an
    // event, or the 15 s keep-alive): the job's lease makes that write now. Before, each slot stayed
    // held until its expiry (the longest stream plus a minute: 11 minutes), the account 429 that long.
    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.ended));
    const leased = await workerClient(stack).lease(['demo-shapes']);
    expect(leased.body.jobs[0]?.job_id).toBe(job.id);
    const left = Date.now();
    const reopened: Stream[] = [];
    while (reopened.length < MAX_WATCHES && Date.now() - left < 5_000) {
      const res = await stack.fetch(`/v1/generations/${job.id}/events`, { headers: owner.headers });
      if (res.status === 200) {
        // Held open (read in the background) so that it keeps its slot while the next one is tried.
        const abort = new AbortController();
        const body = res.body as ReadableStream<Uint8Array>;
        const ended = body.pipeTo(new WritableStream(), { signal: abort.signal }).catch(() => {});
        reopened.push({ events: [], ended, close: () => abort.abort() });
      } else {
        await res.body?.cancel();
        await sleep(100);
      }
    }
    console.log(`${reopened.length} slots back ${Date.now() - left} ms after the stream clients left`);
    expect(reopened.length).toBe(MAX_WATCHES);
    for (const s of reopened) s.close();
    await Promise.all(reopened.map((s) => s.ended));
  }, 30_000);
});
