/// <reference types="node" />
import { type ClientRequest, request } from 'node:http';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGeneration, submit, workerClient } from './worker-test-client';

// The shortest lease the edge accepts, so a lease can run out while its upload is still arriving.
const LEASE_TTL_MS = 1_000;

let stack: EdgeStack;
let account: TestAccount;
let worker: ReturnType<typeof workerClient>;

const solidPng = async (background: string) =>
  new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background } })
      .png()
      .toBuffer(),
  );

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { LEASE_TTL_MS: String(LEASE_TTL_MS) } });
  account = await stack.createAccount({ limits: { concurrent_jobs: 10 } });
  worker = workerClient(stack);
});
afterAll(async () => {
  await stack?.stop();
});

/**
 * A PUT of output 0 whose body arrives in two parts: the headers and the first bytes now (the
 * edge checks the lease and starts streaming to R2), the rest when `finish` is called.
 */
function slowUpload(jobId: string, leaseToken: string, bytes: Uint8Array) {
  const url = new URL(`/worker/v1/jobs/${jobId}/outputs/0`, stack.baseUrl);
  let req: ClientRequest | undefined;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request(url, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${stack.workerToken}`,
        'x-lease-token': leaseToken,
        'content-type': 'image/png',
        'content-length': String(bytes.length),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(bytes.subarray(0, 64));
  });
  return {
    answered,
    finish: () => req?.end(bytes.subarray(64)),
  };
}

describe('outputs are immutable once a job completes', () => {
  it('an upload admitted under a lease that then expired cannot change the bytes of the completed job', async () => {
    const [late, live] = await Promise.all([solidPng('#00f'), solidPng('#f00')]);
    expect(late).not.toEqual(live);
    const generation = await submit(stack, account, { seed: 11 });

    // Worker A leases, starts its upload, then stalls past its lease.
    const first = await worker.lease(['demo-shapes'], { worker_id: 'w-stale' });
    const stale = first.body.jobs[0] as { job_id: string; lease_token: string };
    expect(stale.job_id).toBe(generation.id);
    const upload = slowUpload(stale.job_id, stale.lease_token, late);
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 300));

    // Worker B takes the job over as attempt 2, uploads and completes it.
    const second = await worker.lease(['demo-shapes'], { worker_id: 'w-live' });
    const rescue = second.body.jobs[0] as { job_id: string; lease_token: string; attempt: number };
    expect(rescue).toMatchObject({ job_id: generation.id, attempt: 2 });
    const put = await worker.call('PUT', `/jobs/${rescue.job_id}/outputs/0`, live, {
      'x-lease-token': rescue.lease_token,
      'content-type': 'image/png',
    });
    expect(put.status).toBe(200);
    const done = await worker.call('POST', `/jobs/${rescue.job_id}/complete`, {
      lease_token: rescue.lease_token,
      outputs: [{ index: 0, width: 64, height: 64, seed: 11, content_type: 'image/png' }],
      metrics: { inference_ms: 5 },
    });
    expect(done.status).toBe(200);
    const completed = await getGeneration(stack, account, generation.id);
    const served = async () =>
      new Uint8Array(
        await (await fetch(completed.outputs[0].url, { headers: account.headers })).arrayBuffer(),
      );
    expect(await served()).toEqual(live);
    const storedBefore = await stack.redis.hget(`job:${generation.id}`, 'outputs');

    // Worker A's body now arrives in full. Whatever the edge answers, the job's bytes stay B's.
    upload.finish();
    const answer = await upload.answered;
    expect([200, 409]).toContain(answer.status);
    expect(await served()).toEqual(live);
    expect(await stack.redis.hget(`job:${generation.id}`, 'outputs')).toBe(storedBefore);
    const bucket = await stack.mf.getR2Bucket('OUTPUTS');
    const [stored] = JSON.parse(String(storedBefore)) as { key: string }[];
    const object = await bucket.get(stored.key);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? [])).toEqual(live);
    expect(object?.customMetadata?.lease_token).toBe(rescue.lease_token);

    // And the stale worker cannot complete with its own upload either.
    const staleComplete = await worker.call('POST', `/jobs/${stale.job_id}/complete`, {
      lease_token: stale.lease_token,
      outputs: [{ index: 0, width: 64, height: 64, seed: 11, content_type: 'image/png' }],
      metrics: { inference_ms: 5 },
    });
    expect(staleComplete.status).toBe(409);
    expect(await served()).toEqual(live);
  });
});
