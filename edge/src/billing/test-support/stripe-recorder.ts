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
 * options): POST /v1/billing/meter_events, form-encoded as the SDK sends it, and the v2 meter event
 * stream (a session, then JSON batches). Like Stripe it keeps
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
  /** Customers answered with 400 resource_missing (v1); dropped and reported later (v2 stream). */
  unknownCustomers: Set<string>;
  /**
   * v2 meter event stream calls (`POST /v2/billing/meter_event_stream`), each with its event count.
   * The stream validates asynchronously, as Stripe's does: a repeated identifier is dropped (into
   * `duplicatesRefused`) and an unknown customer's event into `asyncErrors`, both with a 200.
   */
  streamCalls: number[];
  /** Meter event sessions created (`POST /v2/billing/meter_event_session`). */
  sessions: number;
  /** Events the stream accepted and then dropped, with why (Stripe's error report webhook). */
  asyncErrors: { identifier: string; reason: string }[];
  /** Identifiers that make the stream refuse their whole batch with a 400 (a request it cannot take). */
  streamRefuses: Set<string>;
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
    streamCalls: [],
    sessions: 0,
    asyncErrors: [],
    streamRefuses: new Set(),
    down: () => close(),
    up: () => listen(),
    stop: () => close(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    recorder.requests++;
    recorder.authorizations.add(req.headers.authorization ?? '');
    const raw = await readBody(req);
    if (req.method === 'POST' && req.url?.startsWith('/v2/billing/')) return handleV2(req, res, raw);
    const body = new URLSearchParams(raw);
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
    if (isAccepted(event.identifier)) {
      recorder.duplicatesRefused.push(event.identifier);
      return send(
        res,
        400,
        stripeError('invalid_request_error', `An event already exists with identifier ${event.identifier}.`),
        { 'stripe-should-retry': 'false' },
      );
    }
    accept(event);
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

  const sessionTokens = new Set<string>();
  // A set beside `accepted` keeps the duplicate check O(1) for benchmarks; tests empty `accepted`
  // by setting its length to 0, which the size check notices.
  let acceptedIds = new Set<string>();
  const isAccepted = (identifier: string) => {
    if (recorder.accepted.length !== acceptedIds.size)
      acceptedIds = new Set(recorder.accepted.map((e) => e.identifier));
    return acceptedIds.has(identifier);
  };
  const accept = (event: RecordedMeterEvent) => {
    isAccepted(event.identifier);
    recorder.accepted.push(event);
    acceptedIds.add(event.identifier);
  };

  /** Stripe's v2 high-throughput meter events: a session token, then batches of up to 100 as JSON. */
  async function handleV2(req: IncomingMessage, res: ServerResponse, raw: string) {
    if (recorder.mode === 'fail') {
      return send(res, 500, {
        error: { type: 'api_error', code: 'internal_error', message: 'Something went wrong.' },
      });
    }
    if (req.url === '/v2/billing/meter_event_session') {
      recorder.sessions++;
      const token = `mes_tok_${Math.random().toString(36).slice(2)}`;
      sessionTokens.add(token);
      return send(res, 200, {
        id: `mes_${recorder.sessions}`,
        object: 'v2.billing.meter_event_session',
        authentication_token: token,
        created: new Date().toISOString(),
        expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
        livemode: false,
      });
    }
    if (req.url !== '/v2/billing/meter_event_stream') {
      return send(res, 404, {
        error: { type: 'invalid_request_error', code: 'not_found', message: 'Unrecognized request URL.' },
      });
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!sessionTokens.has(token)) {
      return send(res, 401, {
        error: {
          type: 'temporary_session_expired',
          code: 'temporary_session_expired',
          message: 'The session expired.',
        },
      });
    }
    let events: {
      event_name?: string;
      identifier?: string;
      timestamp?: string;
      payload?: Record<string, string>;
    }[];
    try {
      events = (JSON.parse(raw) as { events: typeof events }).events;
    } catch {
      return send(res, 400, {
        error: { type: 'invalid_request_error', code: 'invalid_json', message: 'Bad JSON.' },
      });
    }
    if (!Array.isArray(events) || events.length === 0 || events.length > 100) {
      return send(res, 400, {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_request',
          message: 'events: 1 to 100 required.',
        },
      });
    }
    const refused = events.find((e) => recorder.streamRefuses.has(e.identifier ?? ''));
    if (refused) {
      return send(res, 400, {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_request',
          message: `Event ${refused.identifier} is invalid.`,
        },
      });
    }
    recorder.streamCalls.push(events.length);
    for (const e of events) {
      const event: RecordedMeterEvent = {
        event_name: e.event_name ?? '',
        identifier: e.identifier ?? '',
        timestamp: Math.floor(Date.parse(e.timestamp ?? '') / 1000),
        customer: e.payload?.stripe_customer_id ?? '',
        value: e.payload?.value ?? '',
      };
      if (recorder.unknownCustomers.has(event.customer)) {
        recorder.asyncErrors.push({ identifier: event.identifier, reason: 'no_meter' });
      } else if (isAccepted(event.identifier)) {
        recorder.duplicatesRefused.push(event.identifier);
      } else {
        accept(event);
      }
    }
    if (recorder.mode === 'slow') await new Promise((r) => setTimeout(r, recorder.delayMs));
    send(res, 200, {});
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

/** The Stripe secret key an edge pointed at a recorder uses (a test asserts it never leaks). */
export const RECORDER_SECRET_KEY = 'sk_test_edge_recorder';
/** The meter the edge reports usage to in these tests. */
export const RECORDER_METER_EVENT_NAME = 'ldm_units_test';

/** The edge vars that send its billing calls to `recorder`, with a short Stripe timeout. */
export function recorderEdgeVars(recorder: StripeRecorder): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: RECORDER_SECRET_KEY,
    STRIPE_API_BASE: recorder.url,
    STRIPE_METER_EVENT_NAME: RECORDER_METER_EVENT_NAME,
    STRIPE_TIMEOUT_MS: '1000',
  };
}
