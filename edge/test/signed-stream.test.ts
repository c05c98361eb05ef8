import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNED_STREAMS_PER_PREDICTION, streamPath } from '../src/compat/replicate-prediction';
import { signPath } from '../src/lib/signed-url';
import { workerClient } from '../src/routes/worker/worker-test-client';

// A prediction's signed stream URL in workerd: it opens without the key, an expired one is
// refused, and its opens come from the prediction's own small pool of watch slots, never from the
// owner's MAX_WATCHES_PER_ACCOUNT (whoever holds the URL must not lock the owner out).
let stack: EdgeStack;
let alice: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { MAX_WATCHES_PER_ACCOUNT: '2' } });
  alice = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 100 } });
});
afterAll(async () => {
  await stack?.stop();
});

async function createPrediction(): Promise<{ id: string; urls: { stream: string } }> {
  const res = await stack.fetch('/replicate/v1/models/ldm/demo-shapes/predictions', {
    method: 'POST',
    headers: { ...alice.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { prompt: 'nobody draws this' } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; urls: { stream: string } };
}

/** Opens a stream without any key; `close` cancels its body, which closes the connection. */
async function openSigned(url: string) {
  const res = await fetch(url);
  return { res, close: () => res.body?.cancel().catch(() => {}) };
}

/** Opens as many signed streams as the prediction's pool holds, each answered 200. */
async function fillPool(url: string) {
  const opened = [];
  for (let i = 0; i < SIGNED_STREAMS_PER_PREDICTION; i++) {
    const open = await openSigned(url);
    expect(open.res.status).toBe(200);
    opened.push(open);
  }
  return opened;
}

describe('signed stream URL', () => {
  it('opens without a key; an expired one is refused with url_expired', async () => {
    const prediction = await createPrediction();
    const open = await openSigned(prediction.urls.stream);
    expect(open.res.status).toBe(200);
    expect(open.res.headers.get('content-type')).toContain('text/event-stream');
    await open.close();

    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = stack.baseUrl + (await signPath(stack.urlSigningSecret, streamPath(prediction.id), past));
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { detail: string; status: number };
    expect(body.status).toBe(403);
    expect(body.detail).toContain('expired');
  });

  it("takes slots from the prediction's own pool, not the owner's watches", async () => {
    const prediction = await createPrediction();
    const opened = await fillPool(prediction.urls.stream);
    // One more signed open is refused, with the engine's Retry-After and limit passed through.
    const refused = await fetch(prediction.urls.stream);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    const refusedBody = (await refused.json()) as {
      detail: string;
      invalid_fields?: { type: string; field: string }[];
    };
    expect(refusedBody.invalid_fields?.[0]).toMatchObject({ type: 'too_many_watches', field: 'Prefer' });

    // The owner's own watches (MAX_WATCHES_PER_ACCOUNT = 2) are all still there.
    const events = await stack.fetch(`/v1/generations/${prediction.id}/events`, { headers: alice.headers });
    expect(events.status).toBe(200);
    const waited = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...alice.headers, 'content-type': 'application/json', prefer: 'wait=1' },
      body: JSON.stringify({ prompt: 'the owner still waits' }),
    });
    expect(waited.status).not.toBe(429);
    await waited.body?.cancel();
    await events.body?.cancel();

    for (const open of opened) await open.close();
  });

  it('gives a slot back when its client leaves, so a reconnecting client is not locked out', async () => {
    const prediction = await createPrediction();
    const opened = await fillPool(prediction.urls.stream);
    for (const open of opened) await open.close();
    // workerd notices a gone client at the stream's next write: a progress report (passed on as a
    // `logs` line) makes one now, and the stream stays open (the job is not over). Before, each
    // slot stayed held for 11 minutes. Earlier tests' predictions are queued first, so lease until
    // the job is ours.
    const worker = workerClient(stack);
    let grant: { job_id: string; lease_token: string } | undefined;
    for (let i = 0; i < 10 && !grant; i++) {
      const leased = await worker.lease(['demo-shapes']);
      grant = (leased.body.jobs as { job_id: string; lease_token: string }[]).find(
        (j) => j.job_id === prediction.id,
      );
    }
    expect(grant).toBeDefined();
    const beat = await worker.call('POST', `/jobs/${prediction.id}/heartbeat`, {
      lease_token: grant?.lease_token,
      progress: { step: 1, total: 4 },
    });
    expect(beat.status).toBe(200);
    const left = Date.now();
    const reopened = [];
    while (reopened.length < SIGNED_STREAMS_PER_PREDICTION && Date.now() - left < 5_000) {
      const open = await openSigned(prediction.urls.stream);
      if (open.res.status === 200) reopened.push(open);
      else {
        await open.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(reopened.length).toBe(SIGNED_STREAMS_PER_PREDICTION);
    for (const open of reopened) await open.close();
  });
});
