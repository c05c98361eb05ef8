import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// An OpenAI Images request holds one of its account's watch slots for its whole hold
// (OPENAI_HOLD_SECONDS), so held requests count against MAX_WATCHES_PER_ACCOUNT like
// `Prefer: wait`, and give their slot back when they answer. No worker runs: every job waits.
const HOLD_SECONDS = 3;
let stack: EdgeStack;
let carol: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack({
    vars: { MAX_WATCHES_PER_ACCOUNT: '2', OPENAI_HOLD_SECONDS: String(HOLD_SECONDS) },
  });
  carol = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 100 } });
});
afterAll(async () => {
  await stack?.stop();
});

const generate = (prompt: string) =>
  stack.fetch('/openai/v1/images/generations', {
    method: 'POST',
    headers: { ...carol.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });

async function generationCount() {
  const res = await stack.fetch('/v1/generations?limit=100', { headers: carol.headers });
  return ((await res.json()) as { data: unknown[] }).data.length;
}

describe('OpenAI hold and watch slots', () => {
  it('refuses a third held request with 429 at once, in OpenAI shape, and leaks no slot', async () => {
    const held = [generate('held one'), generate('held two')];
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = await generationCount();
    const started = Date.now();
    const third = await generate('one too many');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    const body = (await third.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('too_many_watches');
    expect(body.error.type).toBe('invalid_request_error');
    // Refused before anything was created.
    expect(await generationCount()).toBe(before);

    // The held ones answer their timeout, and their slots are back: two streams open.
    const answers = await Promise.all(held);
    for (const answer of answers) {
      expect(answer.status).toBe(504);
      await answer.body?.cancel();
    }
    const id = answers[0]?.headers.get('x-ldm-generation-id') as string;
    const streams = [];
    for (let i = 0; i < 2; i++) {
      const res = await stack.fetch(`/v1/generations/${id}/events`, { headers: carol.headers });
      expect(res.status).toBe(200);
      streams.push(res);
    }
    for (const res of streams) await res.body?.cancel();
  });
});
