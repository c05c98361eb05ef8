import { readFileSync } from 'node:fs';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Malformed and hostile requests against every route of the OpenAPI document, through the real
// bundle in workerd: whatever comes in, the answer is a 4xx with `{error: {code}}` (or the error
// shape of the compatible surface it hit; see hasErrorShape) or a success, never a 5xx, a hang or
// a reset connection. Seeded, so a failure replays exactly.
const SEED = 16_2026;
const PER_ROUTE = 12;
const REQUEST_TIMEOUT_MS = 15_000;

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string }[];
  hasBody: boolean;
  auth: 'apiKey' | 'adminToken' | 'workerToken' | 'none';
}

const spec = JSON.parse(readFileSync(new URL('../../shared/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: unknown;
        security?: Record<string, unknown>[];
      }
    >
  >;
};
const OPERATIONS: Operation[] = Object.entries(spec.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    params: op.parameters ?? [],
    hasBody: op.requestBody !== undefined || method === 'post' || method === 'put' || method === 'patch',
    auth: (Object.keys(op.security?.[0] ?? {})[0] ?? 'none') as Operation['auth'],
  })),
);

/** mulberry32: a small seeded generator, enough to pick cases reproducibly. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}

const ODD = '\u202e\u200b\u0000\ufeff🙂\u{10ffff}é';
// biome-ignore format: one value per line reads as a list
const PATH_VALUES = [
  'gen_doesnotexist', '..%2F..%2Fadmin%2Fv1%2Faccounts', '%2e%2e', '..', '%00', '%ZZ', 'gen_%0d%0aX-Injected:1',
  `gen_${'a'.repeat(5_000)}`, encodeURIComponent(ODD), 'acct_1%2Fkeys', '0', '-1', '99999999999999999999', '1.png%00.html',
  'x.png', '0.png', '%F0%9F%99%82', 'image', 'mask', '../inputs',
];
// biome-ignore format: one value per line reads as a list
const QUERY_VALUES = [
  '', 'abc', '-1', '0', '1e309', 'NaN', '9007199254740993', '0000-01-01', '9999-12-31', '2026-02-30',
  encodeURIComponent(ODD), 'a'.repeat(3_000), '%ZZ', '[]', '{"$gt":""}', 'day&group_by=model',
];
const HUGE = [
  '1e308',
  '-1e308',
  '9007199254740993',
  '1e-400',
  '-0',
  '4294967296',
  '123456789012345678901234567890',
];
const FIELDS = [
  'prompt',
  'negative_prompt',
  'width',
  'height',
  'steps',
  'seed',
  'num_outputs',
  'model',
  'task',
  'image',
  'mask',
  'webhook',
  'worker_id',
  'models',
  'max_jobs',
  'wait_ms',
  'lease_token',
  'progress',
  'outputs',
  'error',
  'retryable',
  'name',
  'credits',
  'plan',
  'amount',
  'limits',
  'mode',
  'stripe_customer',
  'metrics',
];

function hostileBody(r: ReturnType<typeof seeded>): { body: string | Uint8Array; type: string } {
  const field = r.pick(FIELDS);
  const json = 'application/json';
  const variant = Math.floor(r.next() * 16);
  switch (variant) {
    case 0:
      return { body: '{"prompt": ', type: json };
    case 1:
      return { body: r.pick(['', 'null', '[]', '"str"', '1e309', '-0', 'true', '{}{}']), type: json };
    case 2:
      return { body: `{"${field}": ${r.pick(HUGE)}}`, type: json };
    case 3:
      return {
        body: JSON.stringify({ [field]: r.pick([[], {}, null, true, 'x', -1, 0.5, [1, [2]], { $gt: '' }]) }),
        type: json,
      };
    case 4:
      return { body: JSON.stringify({ [field]: ODD.repeat(50) }), type: json };
    case 5:
      return { body: `{"${field}": "\\ud800"}`, type: json }; // a lone surrogate
    case 6:
      return {
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d]),
        type: json,
      }; // invalid UTF-8
    case 7:
      return { body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, type: json };
    case 8:
      return {
        body: `{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "${field}": 1}`,
        type: json,
      };
    case 9:
      return {
        body: JSON.stringify(Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]))),
        type: json,
      };
    case 10:
      return { body: JSON.stringify({ [field]: 'x'.repeat(200_000) }), type: json };
    case 11:
      return {
        body: '{"prompt":"x"}',
        type: r.pick([
          'text/plain',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          '',
          'application/x-www-form-urlencoded',
        ]),
      };
    case 12:
      return { body: `{"${field}": "${'\\u0000'.repeat(100)}", "${field}": 2}`, type: json }; // duplicate keys
    case 13:
      return {
        body: JSON.stringify({ prompt: 'a red circle', [field]: r.pick(HUGE.map(Number)) }),
        type: json,
      };
    case 14:
      return {
        body: JSON.stringify({
          models: ['../../etc/passwd', ODD],
          worker_id: 'w'.repeat(10_000),
          max_jobs: 1e9,
          wait_ms: -5,
        }),
        type: json,
      };
    default:
      return {
        body: JSON.stringify({
          outputs: [{ index: -1, width: 1e9, height: 'x', seed: null, content_type: 'text/html' }],
          lease_token: ODD,
        }),
        type: json,
      };
  }
}

let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack({
    // No worker runs here: a valid OpenAI image request is held this long, then answered 504
    // timeout (its documented answer), instead of outliving REQUEST_TIMEOUT_MS.
    vars: { STRIPE_WEBHOOK_SECRET: 'whsec_fuzz_test_secret', OPENAI_HOLD_SECONDS: '1' },
  });
  account = await stack.createAccount({ limits: { requests_per_minute: 100_000, concurrent_jobs: 1_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

interface Case {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

function buildCases(): Case[] {
  const r = seeded(SEED);
  const goodAuth: Record<Operation['auth'], string | undefined> = {
    apiKey: `Bearer ${account.apiKey}`,
    adminToken: `Bearer ${stack.adminToken}`,
    workerToken: `Bearer ${stack.workerToken}`,
    none: undefined,
  };
  const badAuth = [
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer ',
    'bearer  x y',
    `Bearer ldm_live_${'Z'.repeat(32)}`,
    `Bearer ${'x'.repeat(4_000)}`,
    'Token abc',
    `Bearer ${stack.workerToken}`, // the right token for another realm
    'Bearer \u00e9\u00ff',
  ];
  const cases: Case[] = [];
  for (const op of OPERATIONS) {
    for (let i = 0; i < PER_ROUTE; i++) {
      let path = op.path;
      for (const p of op.params.filter((p) => p.in === 'path'))
        path = path.replace(`{${p.name}}`, r.pick(PATH_VALUES));
      const query = op.params
        .filter((p) => p.in === 'query')
        .filter(() => r.next() < 0.8)
        .map((p) => `${p.name}=${r.pick(QUERY_VALUES)}`);
      if (r.next() < 0.2)
        query.push(`${r.pick(['sig', 'expires', 'limit', '__proto__'])}=${r.pick(QUERY_VALUES)}`);
      const headers: Record<string, string> = {};
      const authRoll = r.next();
      const auth = authRoll < 0.7 ? goodAuth[op.auth] : authRoll < 0.9 ? r.pick(badAuth) : undefined;
      if (auth) headers.authorization = auth;
      if (r.next() < 0.1) headers['idempotency-key'] = r.pick(['', 'k'.repeat(300), 'ok-key']);
      if (r.next() < 0.1)
        headers['stripe-signature'] = r.pick(['t=1,v1=abc', 'garbage', `t=${'9'.repeat(30)},v1=`]);
      // Wrong methods: one case in six asks the route with a method it does not have.
      const method =
        r.next() < 1 / 6 ? r.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'GET']) : op.method;
      const sendsBody = method !== 'GET' && method !== 'HEAD' && (op.hasBody || r.next() < 0.3);
      const hostile = sendsBody ? hostileBody(r) : undefined;
      if (hostile) headers['content-type'] = hostile.type;
      cases.push({
        name: `${method} ${op.path} #${i}`,
        method,
        path: `${path}${query.length ? `?${query.join('&')}` : ''}`,
        headers,
        body: hostile?.body,
      });
    }
  }
  return cases;
}

/**
 * The error body each surface promises: `{error: {code}}` on the API's own routes; the compatible
 * surfaces answer as the services they imitate, so the official clients parse them: OpenAI's
 * `{error: {message, type}}` and Replicate's problem details `{title, detail, status}`.
 */
function hasErrorShape(path: string, status: number, text: string): boolean {
  let body: {
    error?: { code?: unknown; message?: unknown; type?: unknown };
    title?: unknown;
    status?: unknown;
  };
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (path.startsWith('/openai/'))
    return typeof body.error?.message === 'string' && typeof body.error?.type === 'string';
  if (path.startsWith('/replicate/')) return typeof body.title === 'string' && body.status === status;
  return typeof body.error?.code === 'string';
}

async function send(c: Case): Promise<{ status: number; type: string; text: string } | { failure: string }> {
  try {
    const res = await stack.fetch(c.path, {
      method: c.method,
      headers: c.headers,
      body: c.body as string | Uint8Array<ArrayBuffer> | undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const type = res.headers.get('content-type') ?? '';
    // An event stream that opened is not read to its end (it would last minutes).
    if (type.includes('event-stream')) {
      await res.body?.cancel();
      return { status: res.status, type, text: '' };
    }
    const text = await res.text();
    return { status: res.status, type, text };
  } catch (error) {
    return {
      failure: `${(error as Error).name}: ${(error as Error).message} ${String((error as Error).cause ?? '')}`,
    };
  }
}

describe('fuzzing every route of the OpenAPI document', () => {
  it('answers every malformed or hostile request with a success or a 4xx carrying {error: {code}}', async () => {
    const cases = buildCases();
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const problems: string[] = [];
    const statuses: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < cases.length) {
          const c = cases[next++];
          const result = await send(c);
          if ('failure' in result) {
            problems.push(`${c.name} ${c.path.slice(0, 120)}: no answer (${result.failure})`);
            continue;
          }
          statuses[result.status] = (statuses[result.status] ?? 0) + 1;
          // The one 5xx a request may earn here: OpenAI's synchronous answer when no image came (no worker).
          const noWorkerTimeout =
            result.status === 504 && c.path.startsWith('/openai/') && result.text.includes('"timeout"');
          if (result.status >= 500 && !noWorkerTimeout)
            problems.push(`${c.name} ${c.path.slice(0, 120)}: ${result.status} ${result.text.slice(0, 200)}`);
          if (result.status >= 400 && result.status < 500) {
            if (!hasErrorShape(c.path, result.status, result.text))
              problems.push(
                `${c.name} ${c.path.slice(0, 120)}: ${result.status} without its error shape: ${result.text.slice(0, 120)}`,
              );
          }
        }
      }),
    );
    console.log(`fuzz: ${cases.length} requests, statuses ${JSON.stringify(statuses)}`);
    expect(problems).toEqual([]);
  }, 180_000);
});
