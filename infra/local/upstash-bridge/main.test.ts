import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../redis-server';

const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer({ appendOnly: false });
});
afterAll(() => redis?.stop());

/** Runs main.ts with the given env; resolves with its output once it exits. */
function launch(env: Record<string, string>) {
  const child = spawn(tsx, [main], { env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    exited.then(() => reject(new Error(`main.ts exited: ${output}`)));
  });
  // A run expected to fail never awaits `listening`; its rejection is not an error then.
  listening.catch(() => {});
  return { child, exited, listening, output: () => output };
}

describe('main.ts', () => {
  it('serves from env config, never prints the token, and exits 0 on SIGTERM', async () => {
    const token = 'main-test-secret-token';
    const run = launch({ REDIS_URL: redis.url, UPSTASH_TOKEN: token, PORT: '0' });
    const url = await run.listening;
    const client = new Redis({ url, token });
    expect(await client.set('from-main', 'ok')).toBe('OK');
    expect(await client.get('from-main')).toBe('ok');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toContain(token);
  });

  it('refuses to start without its settings, naming each one', async () => {
    const run = launch({ PORT: 'eighty' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/REDIS_URL must be set/);
    expect(run.output()).toMatch(/UPSTASH_TOKEN must be set/);
    expect(run.output()).toMatch(/PORT must be an integer/);
  });
});
