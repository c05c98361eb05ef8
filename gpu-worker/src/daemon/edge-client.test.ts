import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getFreePort } from '@ldm/infra/local/free-port';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeClient } from './edge-client';
import { EdgeRequestError, LeaseLostError } from './edge-errors';
import { createLogger } from './logger';

// The edge's failure modes (a 503 from a restarting deployment, a refused connection, a 409) are
// awkward to provoke on the real edge at a chosen moment; a plain HTTP server answers on cue.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: Handler, port = 0): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const quiet = createLogger({ write: () => {} });
const client = (baseUrl: string) =>
  new EdgeClient({ baseUrl, token: 'wrk_test_token', log: quiet, retryMaxDelayMs: 50 });
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('edge client', () => {
  it('retries 5xx with backoff, sends the bearer token, and parses the typed answer', async () => {
    let calls = 0;
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(String(req.headers.authorization));
      if (++calls < 3) return json(res, 503, { error: { code: 'service_unavailable', message: 'x' } });
      json(res, 200, { lease_expires_at: 123, cancel: true });
    });
    const answer = await client(url).heartbeat('gen_1', { lease_token: 'lt' });
    expect(answer).toEqual({ lease_expires_at: 123, cancel: true });
    expect(calls).toBe(3);
    expect(new Set(seen)).toEqual(new Set(['Bearer wrk_test_token']));
  });

  it('keeps retrying a completion through a refused connection until the edge is back', async () => {
    const port = await getFreePort();
    const c = client(`http://127.0.0.1:${port}`);
    const done = c.complete('gen_2', {
      lease_token: 'lt',
      outputs: [{ index: 0, width: 8, height: 8, seed: 1, content_type: 'image/png' }],
      metrics: { inference_ms: 1 },
    });
    await new Promise((r) => setTimeout(r, 300));
    let body = '';
    await serve((_req, res, b) => {
      body = b;
      json(res, 200, { job_id: 'gen_2', status: 'succeeded', units: 1 });
    }, port);
    await expect(done).resolves.toEqual({ job_id: 'gen_2', status: 'succeeded', units: 1 });
    expect(JSON.parse(body).lease_token).toBe('lt');
    expect(c.lastContactAt).toBeGreaterThan(0);
  });

  it('turns 409 lease_lost into LeaseLostError without retrying', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 409, { error: { code: 'lease_lost', message: 'stale token' } });
    });
    const upload = client(url).uploadOutput('gen_3', 0, 'lt', new Uint8Array([1]), 'image/png');
    await expect(upload).rejects.toBeInstanceOf(LeaseLostError);
    expect(calls).toBe(1);
  });

  it('keeps a 409 other than lease_lost a refusal of the call, not a lost lease', async () => {
    const url = await serve((_req, res) => {
      json(res, 409, { error: { code: 'invalid_state', message: 'outputs.0 not uploaded' } });
    });
    const complete = client(url).complete('gen_4', {
      lease_token: 'lt',
      outputs: [{ index: 0, width: 64, height: 64, seed: 1, content_type: 'image/png' }],
      metrics: { inference_ms: 10 },
    });
    await expect(complete).rejects.toBeInstanceOf(EdgeRequestError);
    await expect(complete).rejects.toThrow(/409 invalid_state/);
  });

  it('does not retry other 4xx answers', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 401, { error: { code: 'unauthorized', message: 'bad token' } });
    });
    const lease = client(url).lease({ worker_id: 'w', models: ['m'], max_jobs: 1, wait_ms: 0 });
    await expect(lease).rejects.toBeInstanceOf(EdgeRequestError);
    await expect(lease).rejects.toThrow(/401 unauthorized/);
    expect(calls).toBe(1);
  });

  it('stops retrying when its signal aborts', async () => {
    const url = await serve((_req, res) => json(res, 502, {}));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('drain')), 200);
    await expect(
      client(url).fail(
        'gen_4',
        { lease_token: 'lt', error: { code: 'internal_error', message: 'x' }, retryable: true },
        controller.signal,
      ),
    ).rejects.toThrow('drain');
  });

  it('lets a lease call in flight finish after stopRetrying aborts, but makes no new attempt', async () => {
    let calls = 0;
    const stop = new AbortController();
    const url = await serve((_req, res) => {
      calls++;
      // The first attempt fails; the second is parked (long poll) when the drain begins.
      if (calls === 1) return json(res, 503, {});
      setTimeout(() => json(res, 200, { jobs: [], lease_ttl_ms: 1000 }), 300);
    });
    const lease = client(url).lease(
      { worker_id: 'w', models: ['m'], max_jobs: 1, wait_ms: 1000 },
      undefined,
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 150));
    stop.abort(new Error('draining'));
    await expect(lease).resolves.toEqual({ jobs: [], lease_ttl_ms: 1000 });
    expect(calls).toBe(2);

    const refused = client(`http://127.0.0.1:${await getFreePort()}`).lease(
      { worker_id: 'w', models: ['m'], max_jobs: 1, wait_ms: 0 },
      undefined,
      stop.signal,
    );
    await expect(refused).rejects.toThrow('draining');
  });

  it('sends the worker token to the edge origin only: another origin is refused unsent', async () => {
    let foreignCalls = 0;
    const foreign = await serve((_req, res) => {
      foreignCalls++;
      res.end('x');
    });
    const edge = await serve((_req, res) => json(res, 200, {}));
    const error = await client(edge)
      .downloadInput('gen_1', `${foreign}/worker/v1/jobs/gen_1/inputs/image`, 'lt')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeRequestError);
    expect((error as EdgeRequestError).code).toBe('foreign_origin');
    expect(foreignCalls).toBe(0);
  });

  it('does not follow a redirect (which would carry the token elsewhere)', async () => {
    const seenElsewhere: string[] = [];
    const elsewhere = await serve((req, res) => {
      seenElsewhere.push(String(req.headers.authorization));
      res.end('stolen');
    });
    const edge = await serve((_req, res) => {
      res.writeHead(302, { location: `${elsewhere}/grab` }).end();
    });
    const error = await client(edge)
      .downloadInput('gen_1', '/worker/v1/jobs/gen_1/inputs/image', 'lt')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeRequestError);
    expect((error as EdgeRequestError).status).toBe(302);
    expect(seenElsewhere).toEqual([]);
  });

  it('remembers an outright refusal (401, refused lease) until a call succeeds, for readiness', async () => {
    let status = 401;
    const url = await serve((_req, res) =>
      status === 200
        ? json(res, 200, { lease_expires_at: 1, cancel: false })
        : json(res, status, {
            error: { code: status === 401 ? 'unauthorized' : 'unknown_model', message: 'x' },
          }),
    );
    const c = client(url);
    expect(c.refusal).toBeUndefined();
    await expect(c.heartbeat('gen_9', { lease_token: 'lt' })).rejects.toThrow(EdgeRequestError);
    expect(c.refusal).toBe('/worker/v1/jobs/gen_9/heartbeat: 401 unauthorized');
    status = 200;
    await c.heartbeat('gen_9', { lease_token: 'lt' });
    expect(c.refusal).toBeUndefined();
    status = 422;
    await expect(c.lease({ worker_id: 'w', models: ['nope'], max_jobs: 1, wait_ms: 0 })).rejects.toThrow(
      EdgeRequestError,
    );
    expect(c.refusal).toBe('/worker/v1/lease: 422 unknown_model');
  });
});
