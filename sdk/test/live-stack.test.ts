import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@ldm/infra/local/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LdmApiError,
  LdmClient,
  type ProgressUpdate,
  verifyWebhook,
  WebhookVerificationError,
} from '../src/index';
import { type LiveStack, startLiveStack } from './support/live-stack';
import { pngSize } from './support/png-size';
import { runLdm, startLdm } from './support/run-ldm';
import { startScriptedServer } from './support/scripted-server';

// The SDK and the `ldm` CLI against the whole local stack: edge in workerd, real Redis, a real gpu-worker.
let live: LiveStack;
let client: LdmClient;

beforeAll(async () => {
  live = await startLiveStack();
  client = new LdmClient({ baseUrl: live.stack.info.base_url, apiKey: live.stack.info.api_key });
}, 180_000);
afterAll(async () => {
  await live?.stop();
});

const PROMPT = 'a red circle on a blue background';
// Long enough on CPU that several heartbeats report steps while it runs.
const slow = () => ({ prompt: PROMPT, seed: 7, ...live.slowJob });
const slowFlags = () => [
  '--width',
  String(live.slowJob.width),
  '--height',
  String(live.slowJob.height),
  '--steps',
  String(live.slowJob.steps),
];

describe('LdmClient against the local stack', () => {
  it('run() follows real step progress over SSE and the output downloads as the asked-for PNG', async () => {
    const updates: ProgressUpdate[] = [];
    const done = await client.run(slow(), { onProgress: (u) => updates.push(u), timeoutMs: 120_000 });
    expect(done.status).toBe('succeeded');
    const steps = new Set(updates.filter((u) => u.status === 'running' && u.total > 0).map((u) => u.step));
    expect(steps.size).toBeGreaterThanOrEqual(2);
    expect(updates.at(-1)).toMatchObject({ status: 'succeeded', fraction: 1 });
    // Steps only move forward.
    const ordered = updates.map((u) => u.step);
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
    expect(done.outputs).toHaveLength(1);
    const bytes = await client.download(done.outputs[0]);
    expect(pngSize(bytes)).toEqual({ width: live.slowJob.width, height: live.slowJob.height });
    expect(done.usage.units).toBeGreaterThan(0);
  }, 150_000);

  it('create with the same Idempotency-Key twice makes one generation', async () => {
    const key = `test-${Date.now()}`;
    const request = { prompt: 'a green square', width: 64, height: 64, steps: 2, seed: 1 };
    const first = await client.create(request, { idempotencyKey: key });
    const second = await client.create(request, { idempotencyKey: key });
    expect(second.id).toBe(first.id);
    const other = await client.create({ ...request, seed: 2 }, { idempotencyKey: key }).catch((e) => e);
    expect(other).toBeInstanceOf(LdmApiError);
    expect(other.code).toBe('idempotency_conflict');
    await client.wait(first, { timeoutMs: 120_000 });
  }, 150_000);

  it('names the field and its limit in a validation error', async () => {
    const error = await client.create({ prompt: 'x', width: 65, steps: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(LdmApiError);
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_error');
    expect(error.requestId).toMatch(/^req_/);
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'width', limit: 8 }),
        expect.objectContaining({ field: 'steps', limit: 150 }),
      ]),
    );
  });

  it('lists the account’s generations page by page, newest first', async () => {
    const pages = [];
    for await (const page of client.listPages({ limit: 1 })) {
      pages.push(page);
      if (pages.length === 3) break;
    }
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.every((p) => p.data.length === 1)).toBe(true);
    const all = [];
    for await (const g of client.listAll({ limit: 2 })) all.push(g);
    expect(new Set(all.map((g) => g.id)).size).toBe(all.length);
    const created = all.map((g) => g.created_at);
    expect(created).toEqual([...created].sort().reverse());
    expect(all[0].id).toBe(pages[0].data[0].id);
  });

  it('cancels queued work and a second cancel still answers the canceled generation', async () => {
    const queued = await client.create({ ...slow(), seed: 99 });
    const canceled = await client.cancel(queued.id);
    expect(['canceled', 'running']).toContain(canceled.status);
    const final = await client.wait(queued.id, { timeoutMs: 60_000 });
    expect(final.status).toBe('canceled');
    await expect(client.cancel(queued.id)).resolves.toMatchObject({ status: 'canceled' });
  }, 90_000);

  it('reads the account', async () => {
    const account = await client.account();
    expect(account.id).toBe(live.stack.info.account_id);
    expect(account.credits).toBeGreaterThan(0);
  });

  it('lists the models with what the running worker read from each export', async () => {
    const models = await client.models();
    const served = models.find((m) => m.name === 'demo-shapes');
    expect(served?.export).toMatchObject({ scheduler_class_supported: true });
    expect(served?.export?.scheduler_class).toMatch(/Scheduler$/);
  });

  it('reads usage by model', async () => {
    const usage = await client.usage({ groupBy: 'model' });
    expect(usage.group_by).toBe('model');
    expect(usage.total_jobs).toBeGreaterThanOrEqual(1);
  });

  it("verifyWebhook accepts the edge's signed delivery and refuses it altered", async () => {
    const secret = await client.webhookSecret();
    expect(secret).toMatch(/^whsec_/);
    const receiver = await startScriptedServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    try {
      const done = await client.run(
        { prompt: 'a webhook', width: 64, height: 64, steps: 2, webhook: `${receiver.baseUrl}/hook` },
        { timeoutMs: 120_000 },
      );
      await expect.poll(() => receiver.requests.length, { timeout: 90_000 }).toBeGreaterThan(0);
      for (const delivery of receiver.requests) {
        const payload = verifyWebhook(delivery.body, delivery.headers, secret);
        expect(payload.id).toBe(done.id);
        expect(['start', 'completed']).toContain(delivery.headers['ldm-event']);
        expect(() =>
          verifyWebhook(delivery.body.replace(done.id, 'gen_other'), delivery.headers, secret),
        ).toThrow(WebhookVerificationError);
      }
    } finally {
      await receiver.close();
    }
  }, 200_000);

  it('a wrong key is an unauthorized LdmApiError, not retried', async () => {
    const bad = new LdmClient({
      baseUrl: live.stack.info.base_url,
      apiKey: 'ldm_test_00000000000000000000000000000000',
    });
    await expect(bad.account()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('ldm CLI against the local stack (child processes, key from .data/stack.json)', () => {
  const ldm = (...args: string[]) => runLdm(args, { cwd: live.dir });

  it('generate writes the image and shows real step progress', async () => {
    const out = join(live.dir, 'circle.png');
    const run = await ldm('generate', PROMPT, '-o', out, ...slowFlags(), '--seed', '11');
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(out);
    expect(pngSize(readFileSync(out))).toEqual({ width: live.slowJob.width, height: live.slowJob.height });
    const stepLines = run.stderr.matchAll(new RegExp(`running step (\\d+)/${live.slowJob.steps}`, 'g'));
    const steps = new Set([...stepLines].map((m) => m[1]));
    expect(steps.size).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toMatch(/succeeded/);
  }, 150_000);

  it('generate --json with several outputs names the files and takes the format from -o', async () => {
    const run = await ldm(
      'generate',
      'a blue square',
      '-o',
      join(live.dir, 'sq.webp'),
      '--num-outputs',
      '2',
      '--width',
      '64',
      '--height',
      '64',
      '--steps',
      '2',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.files).toEqual([join(live.dir, 'sq-1.webp'), join(live.dir, 'sq-2.webp')]);
    expect(result.outputs.map((o: { content_type: string }) => o.content_type)).toEqual([
      'image/webp',
      'image/webp',
    ]);
    for (const file of result.files)
      expect(readFileSync(file).subarray(8, 12).toString('latin1')).toBe('WEBP');
    const got = await ldm('get', result.id, '--json');
    expect(JSON.parse(got.stdout)).toMatchObject({ id: result.id, status: 'succeeded' });
    const listed = await ldm('list', '--limit', '5');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(result.id);
  }, 150_000);

  it('generate --image runs img2img on a local file (task inferred, strength sent)', async () => {
    const input = join(live.dir, 'circle.png');
    expect(pngSize(readFileSync(input)).width).toBe(live.slowJob.width); // written by the first CLI test
    const run = await ldm(
      'generate',
      'a blue circle',
      '--image',
      input,
      '--strength',
      '0.5',
      '--steps',
      '4',
      '-o',
      join(live.dir, 'i2i.png'),
      '--json',
      '-q',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.input).toMatchObject({ task: 'img2img', strength: 0.5 });
    expect(pngSize(readFileSync(join(live.dir, 'i2i.png'))).width).toBeGreaterThan(0);
    const notImage = await ldm('generate', 'x', '--image', join(live.dir, '.data', 'stack.json'));
    expect(notImage.code).toBe(2);
    expect(notImage.stderr).toMatch(/^error: --image: .*stack\.json is not a PNG, JPEG or WebP image\n/);
  }, 120_000);

  it('cancel stops queued work', async () => {
    // The only worker is busy with a long job, so the one canceled below is surely still queued.
    const blocker = await client.create({ ...slow(), num_outputs: 4, seed: 5 });
    await expect.poll(async () => (await client.get(blocker.id)).status, { timeout: 60_000 }).toBe('running');
    const queued = await ldm('generate', 'to be canceled', '--width', '64', '--height', '64', '--no-wait');
    expect(queued.code, queued.stderr).toBe(0);
    const id = queued.stdout.split(/\s+/)[0];
    expect(id).toMatch(/^gen_/);
    const canceled = await ldm('cancel', id);
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(canceled.stdout).toBe(`${id}  canceled\n`);
    expect((await ldm('get', id)).stdout).toMatch(/canceled/);
    // A second cancel of the same job still answers it (the SDK reads the invalid_state as done).
    expect((await ldm('cancel', id)).code).toBe(0);
    await client.cancel(blocker.id);
  }, 90_000);

  it('Ctrl-C during generate cancels the job and exits 130', async () => {
    // Four images: long enough that the job is still running when the interrupt lands.
    const run = startLdm(['generate', 'interrupted', ...slowFlags(), '--num-outputs', '4'], {
      cwd: live.dir,
    });
    await expect.poll(() => run.output().stderr, { timeout: 60_000 }).toMatch(/running step [1-9]\d*\//);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const id = result.stderr.match(/interrupted: generation (gen_\w+) (\w+)/);
    expect(id?.[2]).toMatch(/canceled|running/);
    const final = await client.wait(id?.[1] ?? '', { timeoutMs: 60_000 });
    expect(final.status).toBe('canceled');
  }, 120_000);

  it('account prints credits', async () => {
    const account = await ldm('account');
    expect(account.code).toBe(0);
    expect(account.stdout).toMatch(/credits\s+[\d.]+ units available/);
    const json = JSON.parse((await ldm('account', '--json')).stdout);
    expect(json.id).toBe(live.stack.info.account_id);
  });

  it('usage prints a table per model', async () => {
    const run = await ldm('usage', '--group-by', 'model');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^model\s+units\s+jobs$/m);
    expect(run.stdout).toMatch(/^demo-shapes\s+[\d.]+\s+\d+$/m);
    expect(run.stdout).toMatch(/^total\s+[\d.]+\s+\d+$/m);
  });

  it('a bad field is one error line naming the field and the limit, exit 1', async () => {
    const run = await ldm('generate', 'x', '--width', '65');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: validation_error: width must be a multiple of 8 (limit 8)\n');
    expect(run.stdout).toBe('');
  });

  it('wrong key, unknown generation, unreachable server: one line each, exit 1', async () => {
    const badKey = await ldm('account', '--api-key', 'ldm_test_00000000000000000000000000000000');
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^error: unauthorized: .+\n$/);
    const missing = await ldm('get', 'gen_doesnotexist0000000000');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: not_found: .+\n$/);
    const port = await getFreePort();
    const down = await runLdm(['account'], {
      cwd: live.dir,
      env: { LDM_BASE_URL: `http://127.0.0.1:${port}`, LDM_API_KEY: 'k' },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^error: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*npm start\)\n$/,
    );
  }, 60_000);

  it('usage mistakes exit 2; the stack key is not sent to another server', async () => {
    const unknown = await ldm('list', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: .*--bogus/);
    const noPrompt = await ldm('generate', '-o', 'x.png');
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toMatch(/^error: generate needs a prompt/);
    const notNumber = await ldm('generate', 'x', '--steps', 'many');
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toMatch(/--steps must be a whole number/);
    const otherServer = await runLdm(['account'], {
      cwd: live.dir,
      env: { LDM_BASE_URL: 'http://127.0.0.1:9' },
    });
    expect(otherServer.code).toBe(2);
    expect(otherServer.stderr).toMatch(/^error: no API key for http:\/\/127\.0\.0\.1:9/);
    const nowhere = await runLdm(['account'], { cwd: tmpdir() });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/^error: no API base URL/);
  }, 60_000);
});
