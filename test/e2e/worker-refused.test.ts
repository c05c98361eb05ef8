import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorker } from './support/worker-process';

// A worker whose token the edge refuses exits with its own code (5) and says why, instead of
// crash-looping as "worker crashed". A plain HTTP server stands in for the edge's 401.
let edge: Server;
let edgeUrl: string;
let tmp: string;
const TOKEN = 'wrk_refused_token_0123456789';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ldm-refused-'));
  edge = createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'bad worker token' } }));
  });
  await new Promise<void>((r) => edge.listen(0, '127.0.0.1', () => r()));
  edgeUrl = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => edge?.close(() => r()));
  await rm(tmp, { recursive: true, force: true });
});

describe('a worker the edge refuses', () => {
  it('exits 5 with "edge refused this worker", the status and code, and never the token', async () => {
    const worker = spawnWorker({
      name: 'w-refused',
      edgeUrl,
      workerToken: TOKEN,
      modelDirs: { demo: join(tmp, 'model') },
      spoolDir: join(tmp, 'spool'),
      env: { PROVIDER: 'cpu' },
    });
    const { code } = await worker.exited;
    expect(code).toBe(5);
    const refused = worker.logs.find((l) => l.msg === 'edge refused this worker');
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(worker.logs.some((l) => l.msg === 'worker crashed')).toBe(false);
    expect(JSON.stringify(worker.logs)).not.toContain(TOKEN);
  }, 60_000);
});
