import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';
import { RedisConnection } from './redis-connection';
import { parseRedisUrl } from './redis-url';

let stack: RedisWithBridge;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token });
});
afterAll(() => stack?.stop());

async function post(path: string, body: unknown) {
  const res = await fetch(stack.bridgeUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'upstash-encoding': 'base64' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe('pipelines', () => {
  it('auto-pipelining batches concurrent commands into few requests with results in order', async () => {
    // The auto-pipeline proxy counts the HTTP requests it sent; the type does not declare it.
    const counter = () => (redis as unknown as { pipelineCounter: number }).pipelineCounter;
    const before = counter();
    const writes = Array.from({ length: 50 }, (_, i) => redis.set(`auto:${i}`, `v${i} é`));
    await Promise.all(writes);
    const reads = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.get(`auto:${i}`)));
    expect(reads).toEqual(Array.from({ length: 50 }, (_, i) => `v${i} é`));
    // 100 commands, one write batch and one read batch.
    expect(counter() - before).toBe(2);
  });

  it('an explicit pipeline reports a failing entry and still runs the others', async () => {
    await redis.set('pipe:str', 'text');
    const failing = redis.pipeline().set('pipe:a', 1).hset('pipe:str', { f: 1 }).incr('pipe:a');
    await expect(failing.exec()).rejects.toThrow(
      'Command 2 [ hset ] failed: WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    expect(await redis.get('pipe:a')).toBe(2);

    const kept = await redis.pipeline().get('pipe:a').hset('pipe:str', { f: 1 }).exec({ keepErrors: true });
    expect(kept[0]).toEqual({ result: 2, error: undefined });
    expect(kept[1].error).toMatch(/^WRONGTYPE/);
  });

  it('answers /pipeline with one {result} or {error} per command on the wire', async () => {
    const { status, json } = await post('/pipeline', [
      ['SET', 'w', '1'],
      ['NOPE'],
      ['INCR', 'w'],
      ['GET', 'w'],
    ]);
    expect(status).toBe(200);
    expect(json).toEqual([
      { result: 'OK' },
      { error: "ERR unknown command 'NOPE', with args beginning with: " },
      { result: 2 },
      { result: 'Mg==' },
    ]);
  });
});

describe('transactions', () => {
  it('redis.multi() runs the commands and returns every result', async () => {
    const tx = redis.multi().set('tx:n', 10).incrby('tx:n', 5).get('tx:n').lpush('tx:l', 'a', 'b');
    expect(await tx.exec()).toEqual(['OK', 15, 15, 2]);
  });

  it('keeps runtime errors per entry and still runs the rest, like Redis and Upstash', async () => {
    await redis.set('tx:s', 'text');
    const { status, json } = await post('/multi-exec', [
      ['SET', 'tx:r', '1'],
      ['INCR', 'tx:s'],
      ['INCR', 'tx:r'],
    ]);
    expect(status).toBe(200);
    expect(json).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 2 },
    ]);
  });

  it('discards the whole transaction when a command cannot be queued', async () => {
    const tx = redis.multi().set('tx:discarded', 'yes');
    // Wrong arity on purpose, as a buggy caller would send it.
    (tx as unknown as { get: () => void }).get();
    await expect(tx.exec()).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    expect(await redis.get('tx:discarded')).toBeNull();

    const { status, json } = await post('/multi-exec', [['SET', 'tx:discarded', '1'], ['NOPE']]);
    expect(status).toBe(400);
    expect(json).toEqual({ error: "ERR unknown command 'NOPE', with args beginning with: " });
    expect(await redis.get('tx:discarded')).toBeNull();
  });

  it('is atomic: a concurrent reader never sees the inside of a transaction', async () => {
    // Redis reads a connection's input 16 KiB at a time and serves other clients in between, so a
    // ~200 KiB transaction sent without MULTI/EXEC would let the reader catch the flag set.
    const tx = redis.multi().set('tx:flag', 'inside');
    for (let i = 0; i < 200; i++) tx.set(`tx:pad:${i}`, 'p'.repeat(1024));
    tx.del('tx:flag');
    let done = false;
    const seen = new Set<string>();
    const observer = new RedisConnection(parseRedisUrl(stack.redisUrl));
    const observe = async () => {
      while (!done) {
        const replies = await observer.send(Array.from({ length: 50 }, () => ['GET', 'tx:flag']));
        for (const reply of replies) seen.add(String(reply));
      }
    };
    const execCalls = async () => {
      const [stats] = await observer.send([['INFO', 'commandstats']]);
      return Number(/cmdstat_exec:calls=(\d+)/.exec(String(stats))?.[1] ?? 0);
    };
    const execsBefore = await execCalls();
    const watching = Promise.all([observe(), observe(), observe(), observe()]);
    const results = await Promise.all(Array.from({ length: 30 }, () => tx.exec()));
    done = true;
    await watching;
    // The mechanism, counted by Redis itself: one EXEC per transaction (the observer is probabilistic).
    const execsAfter = await execCalls();
    observer.close();
    expect((results as unknown[][]).every((r) => r.length === 202)).toBe(true);
    expect([...seen]).toEqual(['null']);
    expect(execsAfter - execsBefore).toBe(30);
  });

  it('refuses commands that would leave the shared connection in a transaction', async () => {
    const { status, json } = await post('/multi-exec', [['MULTI'], ['SET', 'x', '1']]);
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(/^ERR Command is not available: 'multi'/);
  });
});
