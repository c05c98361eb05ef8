import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

describe('JSON logger', () => {
  it('writes one JSON object per line with level filtering and child fields', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', base: { worker_id: 'w1' }, write: (l) => lines.push(l) });
    log.debug('hidden');
    log.child({ job_id: 'j' }).warn('slow', { ms: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'warn',
      msg: 'slow',
      worker_id: 'w1',
      job_id: 'j',
      ms: 3,
    });
  });

  it('redacts credential-like fields at any depth and serialises errors', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    const error = Object.assign(new Error('boom'), { code: 'E1' });
    log.error('x', {
      lease_token: 'lt_1',
      request: { headers: { Authorization: 'Bearer wrk_secret' } },
      WORKER_TOKEN: 'wrk_secret',
      error,
    });
    expect(lines[0]).not.toContain('wrk_secret');
    expect(lines[0]).not.toContain('lt_1');
    expect(JSON.parse(lines[0]).error).toEqual({ name: 'Error', message: 'boom', code: 'E1' });
  });
});
