import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LdmAdminClient } from '../admin/admin-client';
import { LdmClient } from '../client';
import { LdmApiError } from '../errors';
import { verifyWebhook } from '../verify-webhook';

export interface SmokeOptions {
  baseUrl: string;
  adminToken: string;
  /** Model to generate with; default: the first the catalog lists. */
  model?: string;
  /** Size and steps of the one generation (small: this checks the path, not the model). */
  width?: number;
  height?: number;
  steps?: number;
  /**
   * Where the edge delivers the webhook. Unset: a receiver this run starts on `listen` (the edge
   * must reach it: the local stack, or `publicUrl` forwarding to it). Set to a URL of your own:
   * only the edge's delivery log is checked.
   */
  webhookUrl?: string;
  listen?: { host: string; port: number };
  publicUrl?: string;
  /** Overall wait for the generation (a cold GPU pool takes minutes) and the webhook. */
  timeoutMs?: number;
  /** Keep the smoke key instead of revoking it at the end. */
  keepKey?: boolean;
  log?: (line: string) => void;
}

export interface SmokeStep {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface SmokeReport {
  ok: boolean;
  steps: SmokeStep[];
  accountId?: string;
  generationId?: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Received {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A webhook receiver for this run: records every POST, answers 204. */
async function startReceiver(host: string, port: number) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // A Generation is a few KiB; anything far larger is not the edge's delivery.
      if (size <= 1_000_000) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method === 'POST')
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/ldm-smoke`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Checks a deployed stack end to end, as a customer and its operator would use it: the edge
 * answers, an account and a live key are made with the admin API, one generation runs on a real
 * worker and its image downloads, the webhook arrives signed (or the delivery log says it was
 * delivered), and usage counts the job. Every step is reported; the first failure ends the run.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 600_000;
  const report: SmokeReport = { ok: false, steps: [] };
  const admin = new LdmAdminClient({ baseUrl: options.baseUrl, adminToken: options.adminToken });
  let client: LdmClient | undefined;
  let keyId: string | undefined;
  let apiKey = '';
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;

  const step = async <T>(name: string, work: () => Promise<[T, string]>): Promise<T> => {
    const started = performance.now();
    try {
      const [value, detail] = await work();
      const done = { name, ok: true, ms: Math.round(performance.now() - started), detail };
      report.steps.push(done);
      log(`ok    ${name.padEnd(10)} ${String(done.ms).padStart(6)} ms  ${detail}`);
      return value;
    } catch (error) {
      const detail =
        error instanceof LdmApiError
          ? `${error.code}: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
      report.steps.push({ name, ok: false, ms: Math.round(performance.now() - started), detail });
      log(`FAIL  ${name.padEnd(10)} ${detail}`);
      throw error;
    }
  };

  try {
    await step('health', async () => {
      const response = await fetch(`${options.baseUrl}/healthz`, { signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      if (!response.ok) throw new Error(`GET /healthz answered ${response.status}: ${text.slice(0, 200)}`);
      return [undefined, `GET /healthz ${response.status}`];
    });

    const account = await step('account', async () => {
      const created = await admin.createAccount({
        name: `smoke ${new Date().toISOString()}`,
        credits: 100_000,
      });
      const key = await admin.createKey(created.id, { mode: 'live', name: 'smoke test' });
      keyId = key.id;
      apiKey = key.key;
      client = new LdmClient({ baseUrl: options.baseUrl, apiKey: key.key });
      const seen = await client.account();
      if (seen.id !== created.id) throw new Error(`the new key reads account ${seen.id}, not ${created.id}`);
      return [created, `account ${created.id}, live key ${key.id}`];
    });
    report.accountId = account.id;
    const api = client as unknown as LdmClient;

    const model = await step('models', async () => {
      const models = await api.models();
      const chosen = options.model ?? models[0]?.name;
      if (!chosen) throw new Error('GET /v1/models lists no model: set MODELS_JSON (infra/README.md)');
      if (!models.some((m) => m.name === chosen))
        throw new Error(`model ${chosen} is not in the catalog (${models.map((m) => m.name).join(', ')})`);
      return [chosen, `${models.length} model(s), using ${chosen}`];
    });

    if (!options.webhookUrl) {
      const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
      receiver = await startReceiver(listen.host, listen.port);
    }
    const webhook = options.webhookUrl ?? options.publicUrl ?? receiver?.url;

    const generation = await step('generate', async () => {
      const done = await api.run(
        {
          prompt: 'smoke test: a red circle on a blue background',
          model,
          width: options.width ?? 64,
          height: options.height ?? 64,
          steps: options.steps ?? 2,
          seed: 1,
          webhook,
        },
        { timeoutMs },
      );
      if (done.status !== 'succeeded')
        throw new Error(`generation ${done.id} ended ${done.status}: ${JSON.stringify(done.error)}`);
      const bytes = await api.download(done.outputs[0]);
      if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b))
        throw new Error(`output 0 of ${done.id} is not a PNG (${bytes.length} bytes)`);
      return [done, `${done.id} succeeded, ${bytes.length} byte PNG, ${done.usage.units} units`];
    });
    report.generationId = generation.id;

    await step('webhook', async () => {
      const deadline = Date.now() + Math.min(timeoutMs, 180_000);
      let detail = '';
      if (receiver) {
        const secret = await api.webhookSecret();
        while (!receiver.received.some((r) => r.headers['ldm-event'] === 'completed')) {
          if (Date.now() > deadline) throw new Error(`no completed webhook reached ${webhook}`);
          await sleep(500);
        }
        for (const delivery of receiver.received) {
          const payload = verifyWebhook<{ id: string }>(delivery.body, delivery.headers, secret);
          if (payload.id !== generation.id)
            throw new Error(`a webhook for ${payload.id}, not ${generation.id}`);
        }
        detail = `${receiver.received.length} signed deliveries received; `;
      }
      for (;;) {
        const deliveries = await fetchDeliveries(options.baseUrl, apiKey, generation.id);
        const completed = deliveries.find((d) => d.event === 'completed');
        if (completed?.status === 'delivered')
          return [undefined, `${detail}delivery log: completed delivered to ${completed.url}`];
        if (completed?.status === 'failed' || Date.now() > deadline) {
          const last = completed?.attempts.at(-1);
          throw new Error(
            `completed webhook ${completed?.status ?? 'never queued'} (last attempt: ${last ? `${last.status_code ?? 'no answer'} ${last.error ?? ''}` : 'none'})`,
          );
        }
        await sleep(1_000);
      }
    });

    await step('usage', async () => {
      const usage = await api.usage({ groupBy: 'model' });
      const row = usage.rows.find((r) => r.key === model);
      if (!row || row.jobs < 1 || row.units <= 0)
        throw new Error(`usage by model has no units for ${model}: ${JSON.stringify(usage.rows)}`);
      return [undefined, `${row.jobs} job(s), ${row.units} units for ${model}`];
    });
    report.ok = true;
  } catch {
    report.ok = false;
  } finally {
    await receiver?.close();
    if (keyId && !options.keepKey) {
      await admin
        .revokeKey(keyId)
        .catch((error) => log(`note  could not revoke smoke key ${keyId}: ${error}`));
    }
  }
  return report;
}

interface Delivery {
  event: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: { status_code: number | null; error: string | null }[];
}

/** GET /v1/generations/{id}/webhooks: the edge's delivery log of this generation. */
async function fetchDeliveries(baseUrl: string, apiKey: string, id: string): Promise<Delivery[]> {
  const response = await fetch(`${baseUrl}/v1/generations/${encodeURIComponent(id)}/webhooks`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok)
    throw new Error(`delivery log answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return ((await response.json()) as { data: Delivery[] }).data;
}
