import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LdmClient, LdmGenerationError, LdmTimeoutError, type ProgressUpdate } from '../src/index';
import { generationFixture } from './support/generation-fixture';
import { errorBody, type ScriptedServer, sendJson, startScriptedServer } from './support/scripted-server';

// run()/wait() against a real HTTP server speaking the edge's event stream format:
// `status` {id,status} (the terminal one carries the whole generation) and `progress` {step,total}.
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const done = generationFixture({
  status: 'succeeded',
  progress: { step: 4, total: 4 },
  outputs: [
    { url: '/v1/outputs/acc/gen_test/0.png', content_type: 'image/png', width: 64, height: 64, seed: 1 },
  ],
});

function openStream(res: ServerResponse): (chunk: string) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return (chunk) => res.write(chunk);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seen = (updates: ProgressUpdate[]) => updates.map((u) => `${u.status} ${u.step}/${u.total}`);

describe('run() over server-sent events', () => {
  it('reports each step as it streams in, chunked mid-event, and resolves with the final object', async () => {
    let getCount = 0;
    server = await startScriptedServer(async (req, res) => {
      if (req.method === 'POST') return sendJson(res, 201, generationFixture());
      if (req.path.endsWith('/events')) {
        const write = openStream(res);
        write(': connected\n\nevent: status\nid: 1\ndata: {"id":"gen_test","status":"running"}\n\n');
        for (let step = 1; step <= 4; step++) {
          await pause(20);
          const event = `event: progress\nid: ${step + 1}\ndata: {"step":${step},"total":4}\n\n`;
          write(event.slice(0, 9));
          await pause(5);
          write(event.slice(9));
        }
        write(`event: status\nid: 6\ndata: ${JSON.stringify(done)}\n\n`);
        return void res.end();
      }
      getCount++;
      sendJson(res, 200, done);
    });
    const updates: ProgressUpdate[] = [];
    const result = await new LdmClient({ baseUrl: server.baseUrl, apiKey: 'k' }).run(
      { prompt: 'a red circle' },
      { onProgress: (u) => updates.push(u) },
    );
    expect(result.outputs).toHaveLength(1);
    expect(seen(updates)).toEqual([
      'queued 0/0',
      'running 0/0',
      'running 1/4',
      'running 2/4',
      'running 3/4',
      'running 4/4',
      'succeeded 4/4',
    ]);
    expect(updates.at(-1)?.fraction).toBe(1);
    expect(updates[3].fraction).toBe(0.5);
    expect(getCount).toBe(1);
    const events = server.requests.find((r) => r.path.endsWith('/events'));
    expect(events?.headers.accept).toBe('text/event-stream');
    expect(events?.headers.authorization).toBe('Bearer k');
  });

  it('reconnects with Last-Event-ID when the stream closes before the end', async () => {
    let streams = 0;
    server = await startScriptedServer(async (req, res) => {
      if (req.path.endsWith('/events')) {
        streams++;
        const write = openStream(res);
        if (streams === 1) {
          write('retry: 50\nevent: progress\nid: 3\ndata: {"step":2,"total":4}\n\n');
        } else {
          write(`event: status\nid: 9\ndata: ${JSON.stringify(done)}\n\n`);
        }
        return void res.end();
      }
      sendJson(
        res,
        200,
        streams < 2 ? generationFixture({ status: 'running', progress: { step: 2, total: 4 } }) : done,
      );
    });
    const client = new LdmClient({ baseUrl: server.baseUrl, apiKey: 'k' });
    const result = await client.wait(generationFixture({ status: 'running' }));
    expect(result.status).toBe('succeeded');
    const eventRequests = server.requests.filter((r) => r.path.endsWith('/events'));
    expect(eventRequests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '3']);
  });

  it('falls back to polling when the events endpoint is not an event stream', async () => {
    let polls = 0;
    server = await startScriptedServer((req, res) => {
      if (req.path.endsWith('/events')) return sendJson(res, 404, errorBody('not_found', 'No route'));
      polls++;
      const step = Math.min(polls, 4);
      sendJson(
        res,
        200,
        polls >= 5 ? done : generationFixture({ status: 'running', progress: { step, total: 4 } }),
      );
    });
    const updates: ProgressUpdate[] = [];
    const result = await new LdmClient({
      baseUrl: server.baseUrl,
      apiKey: 'k',
      retry: { baseDelayMs: 1 },
    }).wait('gen_test', { onProgress: (u) => updates.push(u), pollIntervalMs: 10 });
    expect(result.status).toBe('succeeded');
    expect(seen(updates)).toEqual([
      'running 1/4',
      'running 2/4',
      'running 3/4',
      'running 4/4',
      'succeeded 4/4',
    ]);
    expect(server.requests.filter((r) => r.path.endsWith('/events'))).toHaveLength(2);
  });

  it('rejects with LdmGenerationError carrying the failed generation', async () => {
    const failed = generationFixture({
      status: 'failed',
      error: { code: 'model_error', message: 'NaN in latents' },
    });
    server = await startScriptedServer((req, res) => {
      if (req.method === 'POST') return sendJson(res, 201, generationFixture());
      if (req.path.endsWith('/events')) {
        openStream(res)(`event: status\ndata: ${JSON.stringify(failed)}\n\n`);
        return void res.end();
      }
      sendJson(res, 200, failed);
    });
    const error = await new LdmClient({ baseUrl: server.baseUrl, apiKey: 'k' })
      .run({ prompt: 'x' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LdmGenerationError);
    expect(error.message).toContain('model_error: NaN in latents');
    expect(error.generation.status).toBe('failed');
  });

  it('gives up waiting after timeoutMs with LdmTimeoutError, closing the stream', async () => {
    let closed = false;
    server = await startScriptedServer((req, res) => {
      if (req.path.endsWith('/events')) {
        openStream(res)('event: status\ndata: {"status":"running"}\n\n');
        res.on('close', () => {
          closed = true;
        });
        return; // never ends
      }
      sendJson(res, 200, generationFixture({ status: 'running' }));
    });
    const started = performance.now();
    const error = await new LdmClient({ baseUrl: server.baseUrl, apiKey: 'k' })
      .wait('gen_test', { timeoutMs: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LdmTimeoutError);
    expect(performance.now() - started).toBeLessThan(1500);
    await pause(50);
    expect(closed).toBe(true);
  });

  it('does not fall back to polling on bad credentials', async () => {
    server = await startScriptedServer((req, res) => {
      if (req.path.endsWith('/events'))
        return sendJson(res, 401, errorBody('unauthorized', 'unknown API key'));
      sendJson(res, 200, generationFixture({ status: 'running' }));
    });
    const error = await new LdmClient({ baseUrl: server.baseUrl, apiKey: 'k' })
      .wait(generationFixture())
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
  });
});
