import { request } from 'node:http';
import { LIMITS } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { peakResidentGrowth } from '@ldm/test/support/process-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPid } from '../bench/process-cpu';

let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 1_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

const json = { 'content-type': 'application/json' };

/** A stream of `bytes` bytes in 64 KiB chunks: fetch sends it chunked, without Content-Length. */
function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk.length, bytes - sent);
      controller.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
}

/** A PNG of the given header size, padded with zeros to `bytes` (the edge reads only the header). */
function paddedPng(width: number, height: number, bytes: number): Buffer {
  const png = Buffer.alloc(bytes);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(png, 0);
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt8(8, 24); // bit depth
  png.writeUInt8(2, 25); // RGB
  return png;
}

/**
 * POST on a connection of its own (no keep-alive reuse): on a loaded machine (the whole suite in
 * parallel), a pooled connection reused after a multi-megabyte request was twice met by EPIPE,
 * which is not what these tests are about (not understood yet; see notes/guard.md).
 */
function postFresh(
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, stack.baseUrl), { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function errorOf(
  res: Response,
): Promise<{ code: string; details?: { field: string; limit?: unknown }[] }> {
  return ((await res.json()) as { error: { code: string; details?: { field: string }[] } }).error;
}

describe('memory of the largest legal request', () => {
  // First in the file, on a fresh workerd: the resident peak includes growing the isolate's heap,
  // which a warmed process would hide. It is an upper bound on the isolate's own memory: workerd's
  // native copy of the 27 MB body and the local R2 store's buffers count in it too.
  it('an inpaint with image and mask at their byte limits peaks well under 128 MB in workerd', async () => {
    const png = paddedPng(4096, 4096, LIMITS.imageMaxBytes);
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
    const body = JSON.stringify({ prompt: 'a red circle', task: 'inpaint', image: dataUrl, mask: dataUrl });
    expect(body.length).toBeLessThanOrEqual(LIMITS.bodyMaxBytes);
    const pid = findPid('workerd', `entry=127.0.0.1:${new URL(stack.baseUrl).port}`);
    expect(pid).not.toBeNull();
    const { bytes, result: res } = await peakResidentGrowth(pid as number, () =>
      stack.fetch('/v1/generations', { method: 'POST', headers: { ...account.headers, ...json }, body }),
    );
    expect(res.status).toBe(201);
    console.log(
      `workerd peak resident growth for a ${body.length}-byte inpaint: ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    // Measured on a fresh workerd: 86-110 MiB, of which ~27 MiB is workerd's native copy of the body
    // and ~20 MiB the local R2 store's copies of the two images (neither is isolate memory); it was
    // 143 MiB before (30 MB limit, atob's intermediate strings, the body text kept).
    expect(bytes).toBeLessThan(120 * 2 ** 20);
  });
});

describe('an oversized body is answered 413 as JSON, never a reset connection', () => {
  const over = LIMITS.bodyMaxBytes + 1024 * 1024;
  const big = 'x'.repeat(40 * 1024 * 1024);

  it('with Content-Length, on routes that never read it (bad key, no route, admin, health)', async () => {
    const admin = { authorization: `Bearer ${stack.adminToken}` };
    const cases: [string, string, Record<string, string>, number][] = [
      ['POST', '/v1/generations', account.headers, 413],
      ['POST', '/v1/generations', { authorization: `Bearer ldm_live_${'a'.repeat(40)}` }, 401],
      ['POST', '/admin/v1/accounts', admin, 413],
      ['POST', '/healthz', {}, 404],
      ['PUT', '/v1/account', account.headers, 404],
    ];
    // Before the drain, workerd closed with the body unread and the client saw ECONNRESET on
    // about half of these; twice each makes a pass by luck unlikely.
    for (let round = 0; round < 2; round++) {
      for (const [method, path, headers, status] of cases) {
        const res = await stack.fetch(path, { method, headers: { ...headers, ...json }, body: big });
        expect(res.status, `${method} ${path}`).toBe(status);
        expect((await errorOf(res)).code).toBeTypeOf('string');
      }
    }
  });

  it('without Content-Length (chunked): 413 naming the limit once the limit is passed', async () => {
    const res = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, ...json },
      body: chunkedBody(over),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error.code).toBe('payload_too_large');
    expect(error.details?.[0]).toMatchObject({ field: '(body)', limit: LIMITS.bodyMaxBytes });
  });

  it('a body just under the limit gets through the limit to validation', async () => {
    const body = `{"prompt":"x","negative_prompt":"${' '.repeat(LIMITS.bodyMaxBytes - 100)}"}`;
    expect(body.length).toBeLessThanOrEqual(LIMITS.bodyMaxBytes);
    const res = await postFresh('/v1/generations', { ...account.headers, ...json }, body);
    expect(res.status).toBe(422);
    const { error } = JSON.parse(res.text) as { error: { details: { field: string }[] } };
    expect(error.details[0]).toMatchObject({ field: 'negative_prompt' });
  });

  it('the limit is what the largest legal request needs, no more', () => {
    expect(LIMITS.bodyMaxBytes).toBeLessThan(2 * LIMITS.imageInputMaxChars + 128 * 1024);
    expect(LIMITS.bodyMaxBytes).toBeLessThan(30 * 1024 * 1024);
  });
});

describe('error details are bounded', () => {
  it('200k unknown keys are answered with at most 20 details and a small body', async () => {
    const keys = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, 1]));
    const res = await postFresh(
      '/v1/generations',
      { ...account.headers, ...json },
      JSON.stringify({ prompt: 'x', ...keys }),
    );
    expect(res.status).toBe(422);
    const text = res.text;
    expect(text.length).toBeLessThan(10_000);
    const { error } = JSON.parse(text) as { error: { details: { field: string; message: string }[] } };
    expect(error.details).toHaveLength(LIMITS.errorDetailsMax);
    expect(error.details[0].field).toBe('k0');
    expect(error.details.at(-1)?.message).toBe(`and ${200_000 - 19} more issues`);
  });

  it('a megabyte-long unknown key is not echoed back whole', async () => {
    const res = await postFresh(
      '/v1/generations',
      { ...account.headers, ...json },
      JSON.stringify({ prompt: 'x', ['k'.repeat(1_000_000)]: 1 }),
    );
    expect(res.status).toBe(422);
    expect(res.text.length).toBeLessThan(2_000);
  });
});

describe('input images: the edge refuses what the GPU worker would', () => {
  it('an image over the worker pixel limit is 422 naming image and the limit', async () => {
    const image = `data:image/png;base64,${paddedPng(4097, 4096, 1024).toString('base64')}`;
    const res = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...account.headers, ...json },
      body: JSON.stringify({ prompt: 'x', task: 'img2img', image }),
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details?.[0]).toMatchObject({ field: 'image', limit: LIMITS.inputMaxPixels });
  });
});
