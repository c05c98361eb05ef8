import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookReceiver } from '@ldm/edge/webhooks/test-support/webhook-receiver';
import Replicate, { type Prediction, validateWebhook } from 'replicate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, MODEL, startE2eStack } from './support/e2e-stack';

// Webhooks verified by the replicate client's own validator, replicate.stream() over the signed
// stream URL, an input image given by URL, and the 429 burst of the client's retries.
let e2e: E2eStack;
let receiver: WebhookReceiver;
let replicate: Replicate;
let imageServer: Server;
let imageUrl: string;
const REF = `ldm/${MODEL}` as const;
const SMALL = { width: 64, height: 64, num_inference_steps: 4 };

beforeAll(async () => {
  [e2e, receiver] = await Promise.all([
    startE2eStack({ vars: { LEASE_TTL_MS: '10000' }, model: 'demo' }),
    WebhookReceiver.start(),
  ]);
  const png = await sharp(Buffer.alloc(64 * 64 * 3, 200), { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toBuffer();
  imageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/input.png`;
  replicate = new Replicate({ auth: e2e.account.apiKey, baseUrl: `${e2e.baseUrl}/replicate/v1` });
  // Frequent heartbeats: progress (the stream's `logs`) reaches the edge several times per job.
  const worker = e2e.startWorker('w-replicate-hooks', { env: { HEARTBEAT_INTERVAL_MS: '100' } });
  await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
}, 120_000);
afterAll(async () => {
  await Promise.all([e2e?.stop(), receiver?.stop(), new Promise((r) => imageServer?.close(r))]);
});

describe('Replicate webhooks, stream and inputs', () => {
  it('sends the prediction object as the webhook body, verifiable with validateWebhook', async () => {
    const { key } = await replicate.webhooks.default.secret.get();
    const created = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'a webhook', ...SMALL },
      webhook: receiver.url('/hook'),
      webhook_events_filter: ['start', 'output', 'logs', 'completed'],
    });
    const hooks = await receiver.waitFor('/hook', 2, 60_000);
    for (const hook of hooks) {
      expect(await validateWebhook({ headers: hook.headers, body: hook.body } as never, key)).toBe(true);
      expect(await validateWebhook({ headers: hook.headers, body: `${hook.body} ` } as never, key)).toBe(
        false,
      );
    }
    const bodies = hooks.map((h) => JSON.parse(h.body) as Prediction);
    expect(bodies.map((b) => b.id)).toEqual([created.id, created.id]);
    expect(bodies[0].status).not.toBe('succeeded');
    const last = bodies[1];
    expect(last.status).toBe('succeeded');
    expect(last.model).toBe(REF);
    expect(last.version).toBe('demo-shapes-v1');
    expect(last.output).toHaveLength(1);
    expect((await fetch((last.output as string[])[0])).status).toBe(200);
  });

  it('replicate.stream() reads logs, output and done from the signed urls.stream', async () => {
    const events: { event: string; data: string }[] = [];
    for await (const event of replicate.stream(REF, {
      input: { prompt: 'a stream', width: 128, height: 128, num_inference_steps: 40 },
    })) {
      events.push({ event: event.event, data: String(event.data) });
    }
    const kinds = events.map((e) => e.event);
    expect(kinds.at(-1)).toBe('done');
    expect(kinds.filter((k) => k === 'output')).toHaveLength(1);
    const output = events.find((e) => e.event === 'output')?.data as string;
    expect((await fetch(output)).status).toBe(200);
    const logs = events.filter((e) => e.event === 'logs').map((e) => e.data);
    expect(logs.length).toBeGreaterThan(1);
    for (const line of logs) expect(line).toMatch(/^\s*\d+%\|.*\| \d+\/40$/);
    // One line per step, in order, none twice (a new progress sends only the steps not yet sent).
    expect(logs.map((l) => Number(/(\d+)\/40$/.exec(l)?.[1]))).toEqual(logs.map((_, i) => i + 1));
  });

  it('refuses a stream URL whose signature was tampered with, and opens it with the key', async () => {
    const created = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'keyed stream', ...SMALL },
    });
    const signed = new URL(created.urls.stream as string);
    expect(signed.searchParams.get('sig')).toBeTruthy();
    signed.searchParams.set('sig', '0'.repeat(64));
    const forged = await fetch(signed);
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ status: 403 });
    const keyed = await fetch(`${e2e.baseUrl}/replicate/v1/predictions/${created.id}/stream`, {
      headers: { ...e2e.account.headers, accept: 'text/event-stream' },
    });
    expect(keyed.status).toBe(200);
    expect(await keyed.text()).toMatch(/event: done/);
  });

  it('takes the input image as a URL fetched by the edge (img2img)', async () => {
    const prediction = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'from a url', image: imageUrl, prompt_strength: 0.5, ...SMALL },
      wait: 30,
    });
    expect(prediction.status).toBe('succeeded');
    const record = await e2e.jobRecord(prediction.id);
    expect(JSON.parse(record.input).task).toBe('img2img');
    const broken = await replicate.predictions
      .create({ model: REF, input: { prompt: 'x', image: `${imageUrl.replace(/:\d+\//, ':1/')}` } })
      .catch((e: Error) => e);
    expect((broken as Error).message).toMatch(/422.*input\.image/s);
  });

  it('inpaints with image and mask as data URLs, leaving the unmasked pixels as they were', async () => {
    const colour = (x: number, y: number) => [x * 4, y * 4, 60];
    const raw = Buffer.alloc(64 * 64 * 3);
    const grey = Buffer.alloc(64 * 64);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        raw.set(colour(x, y), (y * 64 + x) * 3);
        grey[y * 64 + x] = y < 32 ? 255 : 0; // white = repaint the top half
      }
    }
    const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;
    const image = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const mask = await sharp(grey, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer();
    const prediction = await replicate.predictions.create({
      model: REF,
      input: { prompt: 'a circle', image: dataUrl(image), mask: dataUrl(mask), ...SMALL },
      wait: 30,
    });
    expect(prediction.status).toBe('succeeded');
    const out = (prediction.output as string[])[0];
    const { data, info } = await sharp(Buffer.from(out.slice(out.indexOf(',') + 1), 'base64'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    let keptSame = 0;
    for (let y = 32; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        keptSame += colour(x, y).every((v, c) => data[(y * 64 + x) * info.channels + c] === v) ? 1 : 0;
      }
    }
    expect(keptSame).toBe(32 * 64);
    expect(JSON.parse((await e2e.jobRecord(prediction.id)).input).task).toBe('inpaint');
  });

  it("answers the client's burst of five quick 429 retries without charging them to the limit", async () => {
    const limited = await e2e.stack.createAccount({ limits: { requests_per_minute: 3 } });
    const client = new Replicate({ auth: limited.apiKey, baseUrl: `${e2e.baseUrl}/replicate/v1` });
    for (let i = 0; i < 3; i++) await client.predictions.list();
    const refused = (await client.predictions.list().catch((e: unknown) => e)) as {
      response: Response;
      message: string;
    };
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toMatch(/^\d+$/);
    // The client read the body into its message.
    expect(refused.message).toMatch(/"title":"Too many requests"/);
    // The limiter's counters (sliding window: this window and the last) hold the 3 admitted
    // requests only: the six refused attempts (first try + 5 retries) added nothing.
    const hash = createHash('sha256').update(limited.apiKey).digest('hex');
    const counters = (await e2e.stack.redis.keys(`rl:${hash}:*`)) as string[];
    expect(counters.length).toBeGreaterThan(0);
    let admitted = 0;
    for (const key of counters) admitted += Number(await e2e.stack.redis.get(key));
    expect(admitted).toBe(3);
  });
});
