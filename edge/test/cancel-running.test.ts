import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount({ credits: 500 });
});
afterAll(async () => {
  await stack?.stop();
});

async function worker(path: string, body: unknown) {
  const res = await stack.fetch(`/worker/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.workerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('cancel while running, through the worker protocol routes', () => {
  it('flags the job, the heartbeat says cancel, the worker acknowledges, credits come back', async () => {
    const created = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'stop me', steps: 30 }),
    });
    const generation = (await created.json()) as Generation;

    const lease = await worker('/lease', {
      worker_id: 'w1',
      models: ['demo-shapes'],
      max_jobs: 1,
      wait_ms: 0,
    });
    expect(lease.status).toBe(200);
    const [job] = lease.body.jobs as { job_id: string; lease_token: string }[];
    expect(job.job_id).toBe(generation.id);

    const progress = await worker(`/jobs/${job.job_id}/heartbeat`, {
      lease_token: job.lease_token,
      progress: { step: 4, total: 30 },
    });
    expect(progress.body).toMatchObject({ cancel: false });
    const running = (await (
      await stack.fetch(`/v1/generations/${generation.id}`, { headers: account.headers })
    ).json()) as Generation;
    expect(running).toMatchObject({ status: 'running', progress: { step: 4, total: 30 } });

    const cancel = await stack.fetch(`/v1/generations/${generation.id}/cancel`, {
      method: 'POST',
      headers: account.headers,
    });
    expect(((await cancel.json()) as Generation).status).toBe('running');
    const beat = await worker(`/jobs/${job.job_id}/heartbeat`, { lease_token: job.lease_token });
    expect(beat.body).toMatchObject({ cancel: true });

    const ack = await worker(`/jobs/${job.job_id}/fail`, {
      lease_token: job.lease_token,
      error: { code: 'canceled', message: 'stopped at step 5' },
      retryable: false,
    });
    expect(ack.status).toBe(200);
    const ended = (await (
      await stack.fetch(`/v1/generations/${generation.id}`, { headers: account.headers })
    ).json()) as Generation;
    expect(ended.status).toBe('canceled');
    const acct = (await (await stack.fetch('/v1/account', { headers: account.headers })).json()) as {
      credits: number;
      reserved: number;
    };
    expect(acct).toMatchObject({ credits: 500, reserved: 0 });
  });
});
