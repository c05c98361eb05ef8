import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from './verify-webhook';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function signed(secret: string, payload: string, at = new Date()) {
  const id = `msg_${randomBytes(6).toString('hex')}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  };
}

describe('verifyWebhook', () => {
  const secret = newSecret();
  const payload = JSON.stringify({
    type: 'generation.completed',
    data: { id: 'gen_1', status: 'succeeded' },
  });

  it('returns the parsed payload of a correctly signed delivery, from a record or Headers', () => {
    const headers = signed(secret, payload);
    expect(verifyWebhook(payload, headers, secret)).toEqual(JSON.parse(payload));
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(new TextEncoder().encode(payload), new Headers(upper), secret)).toEqual(
      JSON.parse(payload),
    );
  });

  it('refuses a changed body, another secret, and a stale timestamp', () => {
    const headers = signed(secret, payload);
    expect(() => verifyWebhook(payload.replace('succeeded', 'failed'), headers, secret)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(payload, headers, newSecret())).toThrow(WebhookVerificationError);
    const old = signed(secret, payload, new Date(Date.now() - 10 * 60_000));
    expect(() => verifyWebhook(payload, old, secret)).toThrow(/timestamp/i);
    expect(() => verifyWebhook(payload, {}, secret)).toThrow(WebhookVerificationError);
  });

  it('accepts a delivery signed by both secrets during a rotation', () => {
    const next = newSecret();
    const at = new Date();
    const headers = signed(secret, payload, at);
    const nextSignature = new Webhook(next).sign(headers['webhook-id'], at, payload);
    const both = { ...headers, 'webhook-signature': `${headers['webhook-signature']} ${nextSignature}` };
    expect(verifyWebhook(payload, both, next)).toEqual(JSON.parse(payload));
    expect(verifyWebhook(payload, both, secret)).toEqual(JSON.parse(payload));
    expect(() => verifyWebhook(payload, headers, next)).toThrow(WebhookVerificationError);
  });
});
