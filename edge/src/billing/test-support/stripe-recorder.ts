/// <reference types="node" />
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getFreePort } from '@ldm/infra/local/free-port';

/** One meter event as Stripe would store it. */
export interface RecordedMeterEvent {
  event_name: string;
  identifier: string;
  timestamp: number;
  customer: string;
  value: string;
}

export type RecorderMode =
  /** Answers like Stripe. */
  | 'ok'
  /** 500 api_error for every call; nothing is recorded. */
  | 'fail'
  /** Records the event, then answers only after `delayMs` (a client with a shorter timeout loses the answer). */
  | 'slow';

/**
 * A stand-in for Stripe's API on 127.0.0.1 that the real `stripe` SDK talks to (host/port/protocol
 * options): POST /v1/billing/meter_events, form-encoded as the SDK sends it. Like Stripe it keeps
 * every identifier it accepted and refuses a second event with one (400, "An event already exists
 * with identifier ..."), so `accepted` can never hold a duplicate and `duplicatesRefused` counts
 * the repeats. It can fail (5xx), be slow, or be down (not listening at all), and it can reject a
 * customer it does not know.
 */
export interface StripeRecorder {
  url: string;
  port: number;
  /** Accepted events, in order; identifiers are unique by construction. */
  accepted: RecordedMeterEvent[];
  /** Identifiers sent again after they were accepted (refused, as Stripe does). */
  duplicatesRefused: string[];
  /** Every request that reached the server, whatever the answer. */
  requests: number;
  /** Authorization headers seen (to check the key is sent; never printed). */
  authorizations: Set<string>;
  mode: RecorderMode;
  delayMs: number;
  /** Customers answered with 400 resource_missing. */
  unknownCustomers: Set<string>;
  /** Stops listening and drops open connections: calls fail with connection refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': `req_${Math.random().toString(36).slice(2)}`,
    ...headers,
  });
  res.end(JSON.stringify(body));
}

const stripeError = (type: string, message: string, extra: Record<string, string> = {}) => ({
  error: { type, message, ...extra },
});

export async function startStripeRecorder(): Promise<StripeRecorder> {
  const port = await getFreePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;

  const recorder: StripeRecorder = {
    url: `http://127.0.0.1:${port}`,
    port,
    accepted: [],
    duplicatesRefused: [],
    requests: 0,
    authorizations: new Set(),
    mode: 'ok',
    delayMs: 0,
    unknownCustomers: new Set(),
    down: () => close(),
    up: () => listen(),
    stop: () => close(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    recorder.requests++;
    recorder.authorizations.add(req.headers.authorization ?? '');
    const body = new URLSearchParams(await readBody(req));
    if (req.method !== 'POST' || req.url !== '/v1/billing/meter_events') {
      return send(
        res,
        404,
        stripeError('invalid_request_error', `Unrecognized request URL (${req.method}: ${req.url}).`),
      );
    }
    if (recorder.mode === 'fail') {
      return send(res, 500, stripeError('api_error', 'Something went wrong on our end.'), {
        'stripe-should-retry': 'true',
      });
    }
    const event: RecordedMeterEvent = {
      event_name: body.get('event_name') ?? '',
      identifier: body.get('identifier') ?? '',
      timestamp: Number(body.get('timestamp')),
      customer: body.get('payload[stripe_customer_id]') ?? '',
      value: body.get('payload[value]') ?? '',
    };
    if (recorder.unknownCustomers.has(event.customer)) {
      return send(
        res,
        400,
        stripeError('invalid_request_error', `No such customer: '${event.customer}'`, {
          code: 'resource_missing',
          param: 'payload[stripe_customer_id]',
        }),
        { 'stripe-should-retry': 'false' },
      );
    }
    if (recorder.accepted.some((e) => e.identifier === event.identifier)) {
      recorder.duplicatesRefused.push(event.identifier);
      return send(
        res,
        400,
        stripeError('invalid_request_error', `An event already exists with identifier ${event.identifier}.`),
        { 'stripe-should-retry': 'false' },
      );
    }
    recorder.accepted.push(event);
    if (recorder.mode === 'slow') await new Promise((r) => setTimeout(r, recorder.delayMs));
    send(res, 200, {
      object: 'billing.meter_event',
      created: Math.floor(Date.now() / 1000),
      event_name: event.event_name,
      identifier: event.identifier,
      livemode: false,
      payload: { stripe_customer_id: event.customer, value: event.value },
      timestamp: event.timestamp,
    });
  }

  function listen(): Promise<void> {
    if (server) return Promise.resolve();
    const s = createServer((req, res) => {
      handle(req, res).catch((error) => send(res, 500, stripeError('api_error', String(error))));
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server = s;
    return new Promise((resolve) => s.listen(port, '127.0.0.1', resolve));
  }

  function close(): Promise<void> {
    const s = server;
    if (!s) return Promise.resolve();
    server = null;
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  await listen();
  return recorder;
}
