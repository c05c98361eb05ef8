/// <reference types="node" />
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  /** The raw body, as a signature must be checked against it. */
  body: string;
  /** What the receiver answered: a status, or 'dropped' (connection destroyed: receiver down). */
  answer: number | 'dropped';
  receivedAt: number;
}

/** How to answer the nth (0-based) request on a path: a status (with headers), or drop the connection. */
export type Behaviour = (
  n: number,
  req: ReceivedWebhook,
) => number | 'drop' | { status: number; headers: Record<string, string> };

/**
 * A webhook receiver on 127.0.0.1: records every request in arrival order, and answers as the
 * behaviour set for its path says (200 by default). Each test uses its own path.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      void readBody(req).then((body) => receiver?.handle(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  on(path: string, behaviour: Behaviour): void {
    this.behaviours.set(path, behaviour);
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `path` got at least `count` requests. */
  async waitFor(path: string, count: number, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `receiver: ${this.at(path).length} of ${count} requests on ${path} after ${timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.at(path);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, body: string, res: import('node:http').ServerResponse) {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
    const record: ReceivedWebhook = { path, headers, body, answer: 200, receivedAt: Date.now() };
    const n = this.at(path).length;
    this.received.push(record);
    const decision = this.behaviours.get(path)?.(n, record) ?? 200;
    if (decision === 'drop') {
      record.answer = 'dropped';
      req.socket.destroy();
      return;
    }
    const { status, headers: extra } =
      typeof decision === 'number' ? { status: decision, headers: {} } : decision;
    record.answer = status;
    res.writeHead(status, extra).end();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
