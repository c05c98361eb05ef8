import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every loop whose length a caller picks is bounded before it runs: these requests would each
// cost seconds of the isolate's CPU (and stall every other request on it) if it were not.
let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount({ limits: { requests_per_minute: 100_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('GET /v1/usage over a caller-chosen period', () => {
  it('refuses a 10,000-year period by its count of days, before building any of them', async () => {
    const started = performance.now();
    const [usage, health] = await Promise.all([
      stack.fetch('/v1/usage?from=0000-01-01&to=9999-12-31', { headers: account.headers }),
      // Sent together: before the fix this waited ~4 s behind the usage request's loop.
      new Promise<Response>((resolve) => setTimeout(resolve, 20)).then(() => stack.fetch('/healthz')),
    ]);
    const elapsed = performance.now() - started;
    expect(usage.status).toBe(422);
    const body = (await usage.json()) as {
      error: { code: string; details: { field: string; limit: number }[] };
    };
    expect(body.error.code).toBe('validation_error');
    expect(body.error.details[0]).toMatchObject({ field: 'to', limit: 366 });
    expect(health.status).toBeLessThan(600);
    // Generous for a shared 2-core box; the unbounded loop took ~4 s here.
    expect(elapsed).toBeLessThan(1_500);
  });

  it('still answers the longest legal period', async () => {
    const res = await stack.fetch('/v1/usage?from=2025-01-01&to=2026-01-01', { headers: account.headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: unknown[] };
    expect(body.rows).toHaveLength(366);
  });
});
