/// <reference types="node" />
import type { WebhookDeliveryList } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsJsonServer, type Zone } from './test-support/dns-json-server';

// The edge in workerd with DEPLOY_MODE=production: webhook targets must be public https hosts.
// Names resolve through a local DNS-over-HTTPS server (WEBHOOK_DNS_RESOLVER_URL), whose zone the
// test changes to show the check running again at send time.

const zone: Zone = {
  'hooks.example.com': { A: ['93.184.216.34'] },
  'internal.example.com': { A: ['10.0.0.5'] },
  'rebind.example.com': { A: ['93.184.216.35'] },
};
let dns: Awaited<ReturnType<typeof startDnsJsonServer>>;
let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  dns = await startDnsJsonServer(zone);
  stack = await startEdgeStack({ vars: { DEPLOY_MODE: 'production', WEBHOOK_DNS_RESOLVER_URL: dns.url } });
  account = await stack.createAccount({ credits: 10_000, limits: { concurrent_jobs: 50 } });
});
afterAll(async () => {
  await stack?.stop();
  await dns?.stop();
});

const post = (webhook: string) =>
  stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a red circle', webhook }),
  });

interface ErrorBody {
  error: { code: string; message: string; details: { field: string; message: string }[] };
}

describe('webhook SSRF protection at submit (production mode, workerd)', () => {
  it.each([
    ['http://hooks.example.com/x', /https/],
    ['https://user:secret@hooks.example.com/x', /credentials/],
    ['https://127.0.0.1/x', /loopback/],
    ['https://0x7f.1/x', /loopback/],
    ['https://2852039166/latest/meta-data/', /metadata/], // 169.254.169.254 as one decimal number
    ['https://[::ffff:10.0.0.1]/x', /private/],
    ['https://[fd00:ec2::254]/x', /unique local/],
    ['https://localhost/x', /local or internal/],
    ['https://metadata.google.internal/x', /local or internal/],
    ['https://internal.example.com/x', /resolves to a private address \(10\.0\.0\.5\)/],
    ['https://nonexistent.example.com/x', /does not exist/],
  ])('refuses %s with 422 naming webhook', async (url, reason) => {
    const res = await post(url);
    expect(res.status).toBe(422);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('validation_error');
    expect(body.error.details).toHaveLength(1);
    expect(body.error.details[0].field).toBe('webhook');
    expect(body.error.details[0].message).toMatch(reason);
  });

  it('accepts a public https host', async () => {
    const res = await post('https://hooks.example.com/ldm');
    expect(res.status).toBe(201);
  });

  it('checks again at send time: a name that now resolves to a private address is not sent to', async () => {
    const res = await post('https://rebind.example.com/ldm');
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    zone['rebind.example.com'] = { A: ['192.168.0.10'] };
    await stack.fetch(`/v1/generations/${id}/cancel`, { method: 'POST', headers: account.headers });
    let log: WebhookDeliveryList = { data: [] };
    for (let i = 0; i < 100 && log.data[0]?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = (await (
        await stack.fetch(`/v1/generations/${id}/webhooks`, { headers: account.headers })
      ).json()) as WebhookDeliveryList;
    }
    expect(log.data[0]).toMatchObject({ event: 'completed', status: 'failed', next_attempt_at: null });
    expect(log.data[0].attempts[0].error).toMatch(/target refused: .*private address \(192\.168\.0\.10\)/);
  });
});
