import { WebhookReceiver } from '@ldm/edge/webhooks/test-support/webhook-receiver';
import type { Generation } from '@ldm/shared';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, startE2eStack } from './support/e2e-stack';

// A real worker process runs the job; the customer hears about it only through signed webhooks.
let e2e: E2eStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [e2e, receiver] = await Promise.all([
    startE2eStack({ vars: { LEASE_TTL_MS: '10000' } }),
    WebhookReceiver.start(),
  ]);
});
afterAll(async () => {
  await Promise.all([e2e?.stop(), receiver?.stop()]);
});

describe('webhooks with a real worker', () => {
  it('start then completed, each verified, and the image downloadable from the payload', async () => {
    const res = await fetch(`${e2e.baseUrl}/v1/webhooks/secret`, { headers: e2e.account.headers });
    const { secret } = (await res.json()) as { secret: string };
    const worker = e2e.startWorker('w-hooks');
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);

    const created = await e2e.submit({ width: 64, height: 64, steps: 4, webhook: receiver.url('/real') });
    const [start, completed] = await receiver.waitFor('/real', 2, 60_000);
    const events = [start, completed].map((r) => {
      const body = new Webhook(secret).verify(r.body, r.headers) as Generation;
      return [r.headers['ldm-event'], body.id, body.status];
    });
    // A payload is the generation as it is when sent: a quick job may already be done by then.
    expect(events[0].slice(0, 2)).toEqual(['start', created.id]);
    expect(['running', 'succeeded']).toContain(events[0][2]);
    expect(events[1]).toEqual(['completed', created.id, 'succeeded']);
    expect(start.headers['webhook-id']).not.toBe(completed.headers['webhook-id']);
    const body = JSON.parse(completed.body) as Generation;
    const image = await fetch(body.outputs[0].url);
    expect(image.status).toBe(200);
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    worker.kill('SIGTERM');
    await worker.exited;
  });
});
