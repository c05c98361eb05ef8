import { GENERATION_ERROR_MESSAGES, type Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseOne } from './fake-worker';

// A GPU worker's error text (an exception message, a path, a stack line) is the operator's, not
// the customer's: the customer reads the code and a fixed message; the admin API has the text.
let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount();
});
afterAll(async () => {
  await stack?.stop();
});

const RAW = 'RuntimeError: CUDA error at /opt/ldm/kernels/attn.cu:212 (worker gpu-7, token wrk_...)';

describe('a failed generation', () => {
  it('shows the customer the code and a safe message; the admin API shows the worker text', async () => {
    const created = (await (
      await stack.fetch('/v1/generations', {
        method: 'POST',
        headers: { ...account.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a red circle' }),
      })
    ).json()) as Generation;
    const lease = await leaseOne(stack);
    expect(lease?.jobId).toBe(created.id);
    const failed = await stack.fetch(`/worker/v1/jobs/${created.id}/fail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.workerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        lease_token: lease?.leaseToken,
        error: { code: 'model_error', message: RAW },
        retryable: false,
      }),
    });
    expect(failed.status).toBe(200);

    const res = await stack.fetch(`/v1/generations/${created.id}`, { headers: account.headers });
    const text = await res.text();
    expect(text).not.toContain('CUDA');
    expect((JSON.parse(text) as Generation).error).toEqual({
      code: 'model_error',
      message: GENERATION_ERROR_MESSAGES.model_error,
    });

    const admin = await stack.fetch(`/admin/v1/generations/${created.id}`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as Generation).error).toEqual({ code: 'model_error', message: RAW });
  });
});
