import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookReceiver } from '@ldm/edge/webhooks/test-support/webhook-receiver';
import { type LocalStack, startLocalStack } from '@ldm/infra/local/local-stack';
import type { Generation } from '@ldm/shared';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The stack `npm start` runs (startLocalStack, its cron timer included) and nothing driving the
// cron by hand: a webhook whose first attempt got a 500 must still be retried, by the Worker's
// own `scheduled` handler fired locally as Cloudflare's cron fires it in production.
let stack: LocalStack;
let receiver: WebhookReceiver;
const dataDir = mkdtempSync(join(tmpdir(), 'ldm-local-cron-'));

beforeAll(async () => {
  [stack, receiver] = await Promise.all([
    startLocalStack({ dataDir, port: 0, workers: 0, modelDir: dataDir, quiet: true }),
    WebhookReceiver.start(),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start runs the background work', () => {
  it('a receiver that answers 500 first gets the retry within 30 s, signed and verifiable', async () => {
    const { base_url, api_key } = stack.info;
    const headers = { authorization: `Bearer ${api_key}`, 'content-type': 'application/json' };
    const { secret } = (await (await fetch(`${base_url}/v1/webhooks/secret`, { headers })).json()) as {
      secret: string;
    };
    receiver.on('/flaky', (n) => (n === 0 ? 500 : 200));

    // No worker: the job stays queued and its cancel raises the `completed` event.
    const submitted = await fetch(`${base_url}/v1/generations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'a red circle', seed: 7, webhook: receiver.url('/flaky') }),
    });
    expect(submitted.status).toBe(201);
    const job = (await submitted.json()) as Generation;
    const canceled = await fetch(`${base_url}/v1/generations/${job.id}/cancel`, { method: 'POST', headers });
    expect(canceled.status).toBe(200);

    const [first] = await receiver.waitFor('/flaky', 1, 10_000);
    expect(first.answer).toBe(500);
    const [, retry] = await receiver.waitFor('/flaky', 2, 30_000);
    expect(retry.answer).toBe(200);
    expect(retry.receivedAt - first.receivedAt).toBeLessThan(30_000);
    // The same message again (same webhook-id), each attempt signed afresh and verified by the library.
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    for (const delivery of [first, retry]) {
      const body = new Webhook(secret).verify(delivery.body, delivery.headers) as Generation;
      expect([body.id, body.status]).toEqual([job.id, 'canceled']);
    }
    expect(stack.cronFired()).toBeGreaterThan(0);
  });
});
