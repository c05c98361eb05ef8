import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context';
import { requestOrigin, utcDay } from './load-generation';

describe('utcDay', () => {
  it('names the UTC day of any moment, also across midnight and back again', () => {
    const midnight = Date.UTC(2026, 10, 26);
    for (const [ms, day] of [
      [midnight - 1, '2026-11-25'],
      [midnight, '2026-11-26'],
      [midnight + 86_399_999, '2026-11-26'],
      [midnight + 86_400_000, '2026-11-27'],
      [midnight - 1, '2026-11-25'],
      [0, '1970-01-01'],
      [-1, '1969-12-31'],
    ] as const) {
      expect(utcDay(ms)).toBe(day);
      expect(utcDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }
  });
});

describe('requestOrigin', () => {
  it('is what URL.origin gives for the request URLs a Worker sees', () => {
    for (const url of [
      'http://127.0.0.1:8787/v1/generations',
      'https://api.example.com/v1/generations?x=1',
      'https://api.example.com/',
      'http://localhost:3000/worker/v1/jobs/gen_1/outputs/0',
    ]) {
      const c = { req: { url } } as unknown as Context<AppEnv>;
      expect(requestOrigin(c)).toBe(new URL(url).origin);
    }
  });
});
