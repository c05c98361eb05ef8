import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A self-hosted edge can have workerd itself check the address every fetch connects to (its
// network allow list), which closes DNS rebinding between the SSRF check and the connection.
// Here only 127.0.0.1 (Redis's REST bridge, the control receiver) is allowed besides public
// addresses: a webhook to 127.0.0.2, which the app's check lets through in local mode, is refused
// by the runtime at connect time.
let stack: EdgeStack;
let account: TestAccount;
const servers: Server[] = [];

async function receiver(host: string): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(204).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}/hook`, hits };
}

beforeAll(async () => {
  stack = await startEdgeStack({ egressAllow: ['public', '127.0.0.1/32'] });
  account = await stack.createAccount();
});
afterAll(async () => {
  await stack?.stop();
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
});

async function canceledWithWebhook(webhook: string): Promise<string> {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a red circle', webhook, webhook_events_filter: ['completed'] }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as Generation;
  expect(
    (await stack.fetch(`/v1/generations/${id}/cancel`, { method: 'POST', headers: account.headers })).status,
  ).toBe(200);
  return id;
}

async function deliveries(id: string) {
  const res = await stack.fetch(`/v1/generations/${id}/webhooks`, { headers: account.headers });
  return ((await res.json()) as { data: { status: string; attempts: { error: string | null }[] }[] }).data;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("workerd's egress allow list", () => {
  it('delivers to an allowed address and refuses, at connect time, one outside the list', async () => {
    const allowed = await receiver('127.0.0.1');
    const denied = await receiver('127.0.0.2');
    const ok = await canceledWithWebhook(allowed.url);
    const refused = await canceledWithWebhook(denied.url);
    for (let i = 0; i < 100 && ((await deliveries(refused))[0]?.attempts.length ?? 0) === 0; i++)
      await sleep(50);
    expect(allowed.hits).toEqual(['/hook']);
    expect((await deliveries(ok))[0].status).toBe('delivered');
    expect(denied.hits).toEqual([]);
    const [delivery] = await deliveries(refused);
    expect(delivery.status).not.toBe('delivered');
    expect(delivery.attempts[0].error).toMatch(/connection failed/);
  }, 30_000);
});
