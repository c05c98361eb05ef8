import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../free-port';
import { startRedisServer } from '../redis-server';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';
import { startUpstashBridge } from './server';

let stack: RedisWithBridge;
let redis: Redis;
let direct: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token });
  // Auto-pipelining off: commands go to `POST /`, whose errors are HTTP 400.
  direct = new Redis({ url: stack.bridgeUrl, token: stack.token, enableAutoPipelining: false });
});
afterAll(() => stack?.stop());

async function request(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? stack.token}`);
  const res = await fetch(stack.bridgeUrl + path, { method: 'POST', ...init, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('authentication', () => {
  it('a wrong token gets 401 and the client throws Unauthorized', async () => {
    const wrong = new Redis({ url: stack.bridgeUrl, token: `${stack.token}x`, retry: false });
    await expect(wrong.get('anything')).rejects.toThrow(/^Unauthorized, command was/);
    expect(await request('/', { body: '["PING"]', token: 'not-the-token' })).toEqual({
      status: 401,
      json: { error: 'Unauthorized' },
    });
  });

  it('a missing or non-bearer Authorization header gets 401', async () => {
    expect((await request('/pipeline', { body: '[["PING"]]', token: null })).status).toBe(401);
    const basic = await request('/', {
      body: '["PING"]',
      token: null,
      headers: { authorization: `Basic ${stack.token}` },
    });
    expect(basic.status).toBe(401);
  });

  it('the right token, in any case of "Bearer", is accepted', async () => {
    const res = await request('/', {
      body: '["PING"]',
      token: null,
      headers: { authorization: `bearer ${stack.token}` },
    });
    expect(res).toEqual({ status: 200, json: { result: 'PONG' } });
  });
});

describe('bad commands get the error Redis gives, as Upstash returns it', () => {
  it('unknown command: HTTP 400 on / and the client throws it', async () => {
    await expect(direct.exec(['FLYAWAY', 'x'])).rejects.toThrow(
      `ERR unknown command 'FLYAWAY', with args beginning with: 'x' , command was: ["FLYAWAY","x"]`,
    );
    expect(await request('/', { body: '["FLYAWAY"]' })).toEqual({
      status: 400,
      json: { error: "ERR unknown command 'FLYAWAY', with args beginning with: " },
    });
  });

  it('wrong arity', async () => {
    await expect(direct.exec(['GET'])).rejects.toThrow("ERR wrong number of arguments for 'get' command");
  });

  it('WRONGTYPE through / and through the auto-pipeline', async () => {
    await redis.set('a-string', 'v');
    await expect(direct.lpush('a-string', 'x')).rejects.toThrow(
      'WRONGTYPE Operation against a key holding the wrong kind of value, command was: ["lpush","a-string","x"]',
    );
    await expect(redis.lpush('a-string', 'x')).rejects.toThrow(
      'Command failed: WRONGTYPE Operation against a key holding the wrong kind of value',
    );
  });

  it('commands that would change a shared connection are refused by name', async () => {
    for (const command of [['SUBSCRIBE', 'ch'], ['SELECT', '1'], ['MULTI'], ['CLIENT', 'REPLY', 'OFF']]) {
      const { status, json } = await request('/', { body: JSON.stringify(command) });
      expect(status).toBe(400);
      expect(json.error).toMatch(new RegExp(`^ERR Command is not available: '${command[0].toLowerCase()}'`));
    }
    // The connection is still in a sane state afterwards.
    expect(await redis.get('a-string')).toBe('v');
  });
});

describe('malformed requests', () => {
  it.each([
    ['/', '{not json', 400, /not valid JSON/],
    ['/', '{"cmd":"GET"}', 400, /non-empty JSON array/],
    ['/', '[]', 400, /non-empty JSON array/],
    ['/', '["SET","k",{"a":1}]', 400, /argument 2 must be a string, a finite number or a boolean/],
    ['/', '["SET","k",null]', 400, /argument 2/],
    ['/pipeline', '[]', 400, /non-empty JSON array of commands/],
    ['/pipeline', '[["GET","k"],"GET"]', 400, /command 1 must be a non-empty JSON array/],
    ['/multi-exec', '[["GET","k"],[]]', 400, /command 1 must be a non-empty JSON array/],
    ['/nowhere', '["PING"]', 404, /unknown endpoint \/nowhere/],
  ])('POST %s %s -> %i', async (path, body, status, message) => {
    const res = await request(path, { body });
    expect(res.status).toBe(status);
    expect(res.json.error).toMatch(message);
  });

  it('a request for raw RESP2 replies is refused rather than answered in JSON', async () => {
    const res = await request('/', { body: '["PING"]', headers: { 'upstash-response-format': 'resp2' } });
    expect(res).toEqual({
      status: 400,
      json: { error: 'ERR only Upstash-Response-Format: json is supported by this bridge' },
    });
  });

  it('other methods get 405', async () => {
    const res = await request('/', { method: 'PUT', body: '["PING"]' });
    expect(res.status).toBe(405);
  });

  it('a body over the size limit gets 413 naming the limit', async () => {
    const small = await startUpstashBridge({
      redisUrl: stack.redisUrl,
      token: stack.token,
      maxRequestBytes: 1024,
      maxCommands: 3,
    });
    try {
      const post = (body: string) =>
        fetch(small.url + '/pipeline', {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.token}` },
          body,
        });
      const big = await post(JSON.stringify([['SET', 'k', 'x'.repeat(2000)]]));
      expect(big.status).toBe(413);
      expect(await big.json()).toEqual({
        error: 'ERR max request size exceeded: the body is larger than 1024 bytes',
      });
      const many = await post(JSON.stringify([['PING'], ['PING'], ['PING'], ['PING']]));
      expect(many.status).toBe(400);
      expect(await many.json()).toEqual({ error: 'ERR too many commands: 4 in one request, the limit is 3' });
      const fine = await post(JSON.stringify([['PING']]));
      expect(await fine.json()).toEqual([{ result: 'PONG' }]);
    } finally {
      await small.close();
    }
  });
});

describe('health and Redis outages', () => {
  it('/healthz answers without a token while Redis is up', async () => {
    const res = await fetch(stack.bridgeUrl + '/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports Redis down as 503/502 and recovers when Redis comes back on the same port', async () => {
    const port = await getFreePort();
    const token = 'outage-test-token';
    const bridge = await startUpstashBridge({ redisPort: port, token });
    const client = new Redis({ url: bridge.url, token, retry: false, enableAutoPipelining: false });
    try {
      expect((await fetch(bridge.url + '/healthz')).status).toBe(503);
      await expect(client.get('k')).rejects.toThrow(/ERR the bridge could not reach Redis/);

      const server = await startRedisServer({ port, appendOnly: false });
      try {
        expect((await fetch(bridge.url + '/healthz')).status).toBe(200);
        expect(await client.set('k', 'back')).toBe('OK');
        expect(await client.get('k')).toBe('back');
      } finally {
        await server.stop();
      }
      await expect(client.get('k')).rejects.toThrow(/ERR the bridge could not reach Redis/);
    } finally {
      await bridge.close();
    }
  });
});
