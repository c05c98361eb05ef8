import { getFreePort } from '@ldm/infra/local/free-port';
import { afterEach, describe, expect, it } from 'vitest';
import { LdmApiError, LdmClient, LdmConnectionError, LdmTimeoutError } from '../src/index';
import { generationFixture } from './support/generation-fixture';
import { errorBody, type ScriptedServer, sendJson, startScriptedServer } from './support/scripted-server';

// The client's retry rules against a real HTTP server that answers as scripted per request.
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const fast = { baseDelayMs: 20, maxDelayMs: 100 };
const client = (baseUrl: string, extra: Partial<ConstructorParameters<typeof LdmClient>[0]> = {}) =>
  new LdmClient({ baseUrl, apiKey: 'ldm_test_key', retry: fast, ...extra });

describe('retries', () => {
  it('retries 5xx and reuses one Idempotency-Key on every attempt of a create', async () => {
    server = await startScriptedServer((_req, res, i) => {
      if (i < 2) return sendJson(res, i === 0 ? 503 : 500, errorBody('service_unavailable', 'down'));
      sendJson(res, 201, generationFixture({ id: 'gen_1' }));
    });
    const created = await client(server.baseUrl).create({ prompt: 'a red circle' });
    expect(created.id).toBe('gen_1');
    expect(server.requests).toHaveLength(3);
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer ldm_test_key')).toBe(true);
    expect(JSON.parse(server.requests[2].body)).toEqual({ prompt: 'a red circle' });
  });

  it('uses the caller’s Idempotency-Key and sends Prefer: wait', async () => {
    server = await startScriptedServer((_req, res) => sendJson(res, 201, generationFixture()));
    await client(server.baseUrl).create({ prompt: 'x' }, { idempotencyKey: 'order-42', waitSeconds: 5 });
    expect(server.requests[0].headers['idempotency-key']).toBe('order-42');
    expect(server.requests[0].headers.prefer).toBe('wait=5');
  });

  it('waits at least Retry-After before retrying a 429', async () => {
    server = await startScriptedServer((_req, res, i) => {
      if (i === 0) return sendJson(res, 429, errorBody('rate_limited', 'slow down'), { 'retry-after': '1' });
      sendJson(res, 200, generationFixture());
    });
    const retries: number[] = [];
    await client(server.baseUrl, { onRetry: (r) => retries.push(r.delayMs) }).get('gen_test');
    const gap = server.requests[1].at - server.requests[0].at;
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThan(1600);
    expect(retries[0]).toBeGreaterThanOrEqual(1000);
  });

  it('backs off exponentially when the server gives no Retry-After', async () => {
    server = await startScriptedServer((_req, res) =>
      sendJson(res, 502, errorBody('service_unavailable', 'x')),
    );
    const delays: number[] = [];
    const error = await client(server.baseUrl, {
      maxRetries: 4,
      retry: { baseDelayMs: 40, maxDelayMs: 1000 },
      onRetry: (r) => delays.push(r.delayMs),
    })
      .get('gen_test')
      .catch((e) => e);
    expect(error).toBeInstanceOf(LdmApiError);
    expect(error.status).toBe(502);
    expect(server.requests).toHaveLength(5);
    // Full jitter: each delay lies under its doubling ceiling.
    delays.forEach((d, attempt) => {
      expect(d).toBeLessThanOrEqual(40 * 2 ** attempt);
    });
    const gaps = server.requests.slice(1).map((r, i) => r.at - server!.requests[i].at);
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(delays[i] - 5);
    });
  });

  it('does not retry a 4xx and carries code, status, request id and field details', async () => {
    server = await startScriptedServer((_req, res) =>
      sendJson(
        res,
        422,
        errorBody('validation_error', 'width: must be a multiple of 8', [
          { field: 'width', message: 'must be a multiple of 8', limit: 8 },
        ]),
        { 'x-request-id': 'req_header' },
      ),
    );
    const error = await client(server.baseUrl)
      .create({ prompt: 'x', width: 65 })
      .catch((e) => e);
    expect(server.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(LdmApiError);
    expect(error).toMatchObject({
      code: 'validation_error',
      status: 422,
      requestId: 'req_test',
      details: [{ field: 'width', message: 'must be a multiple of 8', limit: 8 }],
    });
  });

  it('hands a Retry-After longer than the limit straight to the caller', async () => {
    server = await startScriptedServer((_req, res) =>
      sendJson(res, 429, errorBody('concurrency_limited', 'too many jobs'), { 'retry-after': '3600' }),
    );
    const error = await client(server.baseUrl)
      .get('gen_test')
      .catch((e) => e);
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: 'concurrency_limited', status: 429, retryAfterSeconds: 3600 });
  });

  it('reports a body that is not our error format as unknown_error with the status', async () => {
    server = await startScriptedServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not Found</h1>');
    });
    const error = await client(server.baseUrl)
      .get('gen_test')
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'unknown_error', status: 404 });
    expect(error.message).toContain('Not Found');
  });

  it('retries a connection the server drops, then succeeds', async () => {
    server = await startScriptedServer((_req, res, i) => {
      if (i === 0) return void res.socket?.destroy();
      sendJson(res, 200, generationFixture());
    });
    await expect(client(server.baseUrl).get('gen_test')).resolves.toMatchObject({ id: 'gen_test' });
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a refused connection with LdmConnectionError after the retries', async () => {
    const port = await getFreePort();
    const tries: number[] = [];
    const error = await client(`http://127.0.0.1:${port}`, {
      maxRetries: 2,
      onRetry: (r) => tries.push(r.attempt),
    })
      .account()
      .catch((e) => e);
    expect(error).toBeInstanceOf(LdmConnectionError);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(tries).toEqual([0, 1]);
  });

  it('times out a slow attempt and retries it', async () => {
    server = await startScriptedServer(async (_req, res, i) => {
      if (i === 0) await new Promise((r) => setTimeout(r, 1500));
      sendJson(res, 200, generationFixture());
    });
    const retried: Error[] = [];
    await client(server.baseUrl, { timeoutMs: 300, onRetry: (r) => retried.push(r.error) }).get('gen_test');
    expect(retried[0]).toBeInstanceOf(LdmTimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it('stops at once when the caller aborts during a backoff wait', async () => {
    server = await startScriptedServer((_req, res) =>
      sendJson(res, 503, errorBody('service_unavailable', 'x'), { 'retry-after': '30' }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 200);
    const started = performance.now();
    await expect(client(server.baseUrl).get('gen_test', { signal: controller.signal })).rejects.toThrow(
      'user gave up',
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });
});

describe('cancel', () => {
  it('answers the generation when a retried cancel finds it already canceled', async () => {
    server = await startScriptedServer((req, res, i) => {
      if (i === 0) return void res.socket?.destroy(); // the cancel landed, the answer was lost
      if (req.method === 'POST') return sendJson(res, 409, errorBody('invalid_state', 'already canceled'));
      sendJson(res, 200, generationFixture({ status: 'canceled' }));
    });
    const result = await client(server.baseUrl).cancel('gen_test');
    expect(result.status).toBe('canceled');
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/generations/gen_test/cancel',
      'POST /v1/generations/gen_test/cancel',
      'GET /v1/generations/gen_test',
    ]);
  });
});

describe('downloads', () => {
  it('sends the API key to its own origin only', async () => {
    server = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    });
    const other = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([1, 2, 3]));
    });
    try {
      const c = client(server.baseUrl);
      expect([...(await c.download(`${server.baseUrl}/v1/outputs/a/b/0.png`))]).toEqual([
        0x89, 0x50, 0x4e, 0x47,
      ]);
      expect([
        ...(await c.download({
          url: `${other.baseUrl}/x.png`,
          content_type: 'image/png',
          width: 1,
          height: 1,
          seed: 1,
        })),
      ]).toEqual([1, 2, 3]);
      expect(server.requests[0].headers.authorization).toBe('Bearer ldm_test_key');
      expect(other.requests[0].headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
