import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverResult } from './deliver';
import { EdgeClient } from './edge-client';
import { EdgeRequestError } from './edge-errors';
import { createLogger } from './logger';
import { Spool } from './spool';

// The edge's refusals are provoked on cue by a plain HTTP server standing in for the worker API.
const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Counts PUTs; answers complete with `completeAnswers` in turn (status, error code). */
async function fakeEdge(completeAnswers: Array<[number, string?]>) {
  const seen = { puts: 0, completes: 0 };
  const completeBodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') completeBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.setHeader('content-type', 'application/json');
      if (req.method === 'PUT') {
        seen.puts++;
        res.end(JSON.stringify({ index: 0, key: 'k', content_type: 'image/png', bytes: 3 }));
        return;
      }
      const [status, code] = completeAnswers[Math.min(seen.completes++, completeAnswers.length - 1)];
      res.statusCode = status;
      res.end(
        JSON.stringify(
          status === 200 ? { job_id: 'gen_1', status: 'succeeded' } : { error: { code, message: code } },
        ),
      );
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, completeBodies };
}

async function spooledResult(nsfw?: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'ldm-deliver-test-'));
  dirs.push(dir);
  const spool = new Spool(dir);
  await spool.init();
  const result = await spool.save(
    { job_id: 'gen_1', lease_token: 'lt_1', model: 'demo-shapes', inference_ms: 10, heartbeat_ms: 1000 },
    [
      {
        index: 0,
        bytes: new Uint8Array([1, 2, 3]),
        contentType: 'image/png',
        extension: 'png',
        width: 64,
        height: 64,
        seed: 1,
        ...(nsfw === undefined ? {} : { nsfw }),
      },
    ],
  );
  return { spool, result, dir };
}

const log = createLogger({ write: () => {} });
const client = (baseUrl: string) =>
  new EdgeClient({ baseUrl, token: 'wrk_test_token', log, retryMaxDelayMs: 20 });

describe('deliverResult', () => {
  it('uploads the outputs again when complete answers invalid_state, and then succeeds', async () => {
    const edge = await fakeEdge([[409, 'invalid_state'], [200]]);
    const { spool, result, dir } = await spooledResult();
    await expect(deliverResult(result, { client: client(edge.url), spool, log })).resolves.toBe('accepted');
    expect(edge.seen).toEqual({ puts: 2, completes: 2 });
    expect(existsSync(join(dir, 'gen_1'))).toBe(false);
  });

  it('gives up after a few passes, keeping the result spooled', async () => {
    const edge = await fakeEdge([[409, 'invalid_state']]);
    const { spool, result, dir } = await spooledResult();
    await expect(deliverResult(result, { client: client(edge.url), spool, log })).rejects.toBeInstanceOf(
      EdgeRequestError,
    );
    expect(edge.seen.completes).toBe(3);
    expect(existsSync(join(dir, 'gen_1'))).toBe(true);
  });

  it('discards the result on lease_lost', async () => {
    const edge = await fakeEdge([[409, 'lease_lost']]);
    const { spool, result, dir } = await spooledResult();
    await expect(deliverResult(result, { client: client(edge.url), spool, log })).resolves.toBe('lease_lost');
    expect(edge.seen.completes).toBe(1);
    expect(existsSync(join(dir, 'gen_1'))).toBe(false);
  });

  it("carries the safety checker's nsfw flag of each output into complete, and none when no check ran", async () => {
    for (const nsfw of [true, undefined]) {
      const edge = await fakeEdge([[200]]);
      const { spool, result } = await spooledResult(nsfw);
      await deliverResult(result, { client: client(edge.url), spool, log });
      const body = edge.completeBodies[0] as { outputs: Record<string, unknown>[] };
      if (nsfw === undefined) expect(body.outputs[0]).not.toHaveProperty('nsfw');
      else expect(body.outputs[0].nsfw).toBe(true);
    }
  });
});
