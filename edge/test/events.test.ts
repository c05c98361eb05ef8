import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeWithPng, heartbeat, leaseOne } from './fake-worker';

let stack: EdgeStack;
let account: TestAccount;
beforeAll(async () => {
  stack = await startEdgeStack({ vars: { POLL_INTERVAL_MS: '40' } });
  account = await stack.createAccount();
});
afterAll(async () => {
  await stack?.stop();
});

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream to its end. */
async function readEvents(res: Response, onEvent: (e: SseEvent) => Promise<void>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const parsed = { event, data: JSON.parse(data) };
        events.push(parsed);
        await onEvent(parsed);
      }
      end = buffer.indexOf('\n\n');
    }
  }
  return events;
}

describe('GET /v1/generations/{id}/events', () => {
  it('streams status changes and progress, ends with the finished generation', async () => {
    const created = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'watch me', steps: 3 }),
    });
    const { id } = (await created.json()) as Generation;
    const res = await stack.fetch(`/v1/generations/${id}/events`, { headers: account.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');

    // Drive the job when the stream shows each state, so every step is seen.
    let job: Awaited<ReturnType<typeof leaseOne>> = null;
    let step = 0;
    const events = await readEvents(res, async (e) => {
      if (e.event === 'status' && (e.data as { status: string }).status === 'queued') {
        job = await leaseOne(stack);
        await heartbeat(stack, job!, ++step, 3);
      } else if (e.event === 'progress' && job) {
        if (step < 3) await heartbeat(stack, job, ++step, 3);
        else await completeWithPng(stack, job);
      }
    });
    const statuses = events
      .filter((e) => e.event === 'status')
      .map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    const steps = events.filter((e) => e.event === 'progress').map((e) => (e.data as { step: number }).step);
    expect(steps).toEqual([1, 2, 3]);
    const last = events.at(-1)?.data as Generation;
    expect(last).toMatchObject({ id, status: 'succeeded' });
    expect(last.outputs).toHaveLength(1);
  });

  it('ends at once for a finished generation and 404s another account', async () => {
    const created = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'cancel then watch' }),
    });
    const { id } = (await created.json()) as Generation;
    await stack.fetch(`/v1/generations/${id}/cancel`, { method: 'POST', headers: account.headers });
    const events = await readEvents(
      await stack.fetch(`/v1/generations/${id}/events`, { headers: account.headers }),
      async () => {},
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'canceled' } });
    const other = await stack.createAccount();
    expect((await stack.fetch(`/v1/generations/${id}/events`, { headers: other.headers })).status).toBe(404);
  });
});
