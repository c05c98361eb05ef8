/// <reference types="node" />
import { request } from 'node:http';
import { WORKER_LIMITS } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../store/keys';
import { readHash } from '../../store/scripts/test-support/state-snapshot';
import { leaseSegment } from './output-object';
import { getGeneration, submit, workerClient } from './worker-test-client';

let stack: EdgeStack;
let account: TestAccount;
let worker: ReturnType<typeof workerClient>;
let png: Uint8Array;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount({ credits: 10_000, limits: { concurrent_jobs: 100 } });
  worker = workerClient(stack);
  png = new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c03' } })
      .png()
      .toBuffer(),
  );
});
afterAll(async () => {
  await stack?.stop();
});

async function leaseOne(model = 'demo-shapes') {
  const res = await worker.lease([model]);
  expect(res.status).toBe(200);
  expect(res.body.jobs).toHaveLength(1);
  return res.body.jobs[0] as { job_id: string; lease_token: string; attempt: number; image_url?: string };
}

const upload = (jobId: string, index: number, token: string, bytes: Uint8Array, type = 'image/png') =>
  worker.call('PUT', `/jobs/${jobId}/outputs/${index}`, bytes, {
    'x-lease-token': token,
    'content-type': type,
  });

describe('worker protocol routes', () => {
  it('refuses a missing or wrong worker token', async () => {
    const res = await stack.fetch('/worker/v1/queue', { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('lease -> heartbeat -> upload -> complete: the customer sees the output bytes', async () => {
    const generation = await submit(stack, account, { seed: 7, num_outputs: 2 });
    const job = await leaseOne();
    expect(job).toMatchObject({ job_id: generation.id, attempt: 1 });

    const beat = await worker.call('POST', `/jobs/${job.job_id}/heartbeat`, {
      lease_token: job.lease_token,
      progress: { step: 10, total: 20 },
    });
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ cancel: false });

    for (const index of [0, 1]) {
      const put = await upload(job.job_id, index, job.lease_token, png);
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ index, content_type: 'image/png', bytes: png.length });
      expect(put.body.key).toBe(
        `outputs/${account.id}/${job.job_id}/${await leaseSegment(job.lease_token)}/${index}.png`,
      );
    }
    const done = await worker.call('POST', `/jobs/${job.job_id}/complete`, {
      lease_token: job.lease_token,
      outputs: [0, 1].map((index) => ({
        index,
        width: 64,
        height: 64,
        seed: 7 + index,
        content_type: 'image/png',
      })),
      metrics: { inference_ms: 321 },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ job_id: job.job_id, status: 'succeeded' });
    // A worker that lost the reply and sends complete again gets the same answer, and nothing moves.
    const record = await readHash(stack.redis, keys.job(job.job_id));
    const repeated = await worker.call('POST', `/jobs/${job.job_id}/complete`, {
      lease_token: job.lease_token,
      outputs: [0, 1].map((index) => ({
        index,
        width: 64,
        height: 64,
        seed: 7 + index,
        content_type: 'image/png',
      })),
      metrics: { inference_ms: 321 },
    });
    expect(repeated).toMatchObject({ status: 200, body: done.body });
    expect(await readHash(stack.redis, keys.job(job.job_id))).toEqual(record);

    const finished = await getGeneration(stack, account, generation.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.outputs).toHaveLength(2);
    const image = await fetch(finished.outputs[1].url, { headers: account.headers });
    expect(image.status).toBe(200);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
  });

  it('answers 409 lease_lost to a stale token on every call and changes nothing', async () => {
    const generation = await submit(stack, account, {});
    const job = await leaseOne();
    const before = await readHash(stack.redis, keys.job(generation.id));
    const stale = 'lt_00000000000000000000000000000000';
    const calls = [
      worker.call('POST', `/jobs/${job.job_id}/heartbeat`, { lease_token: stale }),
      upload(job.job_id, 0, stale, png),
      worker.call('POST', `/jobs/${job.job_id}/complete`, {
        lease_token: stale,
        outputs: [{ index: 0, width: 64, height: 64, seed: 1, content_type: 'image/png' }],
        metrics: { inference_ms: 1 },
      }),
      worker.call('POST', `/jobs/${job.job_id}/fail`, {
        lease_token: stale,
        error: { code: 'model_error', message: 'x' },
        retryable: true,
      }),
      worker.call('POST', `/jobs/${job.job_id}/release`, { lease_token: stale }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('lease_lost');
    }
    expect(await readHash(stack.redis, keys.job(generation.id))).toEqual(before);
    const bucket = await stack.mf.getR2Bucket('OUTPUTS');
    expect((await bucket.list({ prefix: `outputs/${account.id}/${job.job_id}/` })).objects).toEqual([]);
  });

  it('refuses to complete before the outputs are uploaded, naming the missing one', async () => {
    await submit(stack, account, {});
    const job = await leaseOne();
    const res = await worker.call('POST', `/jobs/${job.job_id}/complete`, {
      lease_token: job.lease_token,
      outputs: [{ index: 0, width: 64, height: 64, seed: 1, content_type: 'image/png' }],
      metrics: { inference_ms: 1 },
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'invalid_state', details: [{ field: 'outputs.0' }] });
    expect((await readHash(stack.redis, keys.job(job.job_id))).status).toBe('running');
  });

  it('refuses uploads that are not the image the job owes', async () => {
    await submit(stack, account, { output_format: 'png' });
    const job = await leaseOne();
    const wrongType = await upload(job.job_id, 0, job.lease_token, png, 'image/jpeg');
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.details[0]).toMatchObject({ field: 'Content-Type', limit: 'image/png' });

    const notPng = await upload(
      job.job_id,
      0,
      job.lease_token,
      new TextEncoder().encode('GIF89a, not a png at all'),
    );
    expect(notPng.status).toBe(415);
    expect(notPng.body.error.details[0].field).toBe('(body)');

    const badIndex = await upload(job.job_id, 1, job.lease_token, png);
    expect(badIndex.status).toBe(422);
    expect(badIndex.body.error.details[0]).toMatchObject({ field: 'index', limit: 0 });

    const noToken = await worker.call('PUT', `/jobs/${job.job_id}/outputs/0`, png, {
      'content-type': 'image/png',
    });
    expect(noToken.status).toBe(422);
    expect(noToken.body.error.details[0].field).toBe('X-Lease-Token');
  });

  it('a retryable failure requeues the job: the next lease is attempt 2', async () => {
    const generation = await submit(stack, account, {});
    const job = await leaseOne();
    const failed = await worker.call('POST', `/jobs/${job.job_id}/fail`, {
      lease_token: job.lease_token,
      error: { code: 'out_of_memory', message: 'CUDA OOM' },
      retryable: true,
    });
    expect(failed.body).toEqual({ job_id: generation.id, status: 'queued' });
    const again = await leaseOne();
    expect(again).toMatchObject({ job_id: generation.id, attempt: 2 });
  });

  it('gives the lease holder its input image, and nobody else', async () => {
    const dataUrl = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    await submit(stack, account, { task: 'img2img', image: dataUrl, strength: 0.5 });
    const job = await leaseOne();
    expect(job.image_url).toMatch(new RegExp(`/worker/v1/jobs/${job.job_id}/inputs/image$`));

    const path = new URL(job.image_url ?? '').pathname.replace('/worker/v1', '');
    const ok = await worker.call('GET', path, undefined, { 'x-lease-token': job.lease_token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.body).toEqual(png);
    const stale = await worker.call('GET', path, undefined, { 'x-lease-token': 'lt_stale' });
    expect(stale.status).toBe(409);
  });

  it('refuses an upload whose declared size is over the limit before reading it', async () => {
    await submit(stack, account, {});
    const job = await leaseOne();
    const url = new URL(`/worker/v1/jobs/${job.job_id}/outputs/0`, stack.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${stack.workerToken}`,
          'x-lease-token': job.lease_token,
          'content-type': 'image/png',
          'content-length': String(WORKER_LIMITS.outputMaxBytes + 1),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(png); // a few bytes of the announced 32 MiB; the answer must not wait for the rest
    });
    expect(status).toBe(413);
  });

  it('hands every job to exactly one of many workers leasing at once', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) ids.add((await submit(stack, account, { prompt: `job ${i}` })).id);
    const leases = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        worker.lease(['demo-shapes'], { worker_id: `w${i}`, max_jobs: 2 }),
      ),
    );
    const granted = leases.flatMap((res) => res.body.jobs.map((j: { job_id: string }) => j.job_id));
    expect(new Set(granted).size).toBe(granted.length);
    expect(granted.filter((id) => ids.has(id)).sort()).toEqual([...ids].sort());
  });

  it('refuses a lease for an unknown model, naming it', async () => {
    const res = await worker.lease(['demo-shapes', 'no-such-model']);
    expect(res.status).toBe(422);
    expect(res.body.error.details[0]).toMatchObject({ field: 'models.1' });
  });
});
