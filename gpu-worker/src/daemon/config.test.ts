import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkerConfig } from './config';

const base = { EDGE_URL: 'http://127.0.0.1:8787/', WORKER_TOKEN: 'wrk_secret_value', MODELS_ROOT: '/models' };

describe('worker configuration', () => {
  it('fills defaults and trims the edge URL', () => {
    const c = loadWorkerConfig(base);
    expect(c.edgeUrl).toBe('http://127.0.0.1:8787');
    expect(c).toMatchObject({
      provider: 'auto',
      requireGpu: false,
      concurrency: 1,
      maxBatch: 4,
      drainGraceMs: 120_000,
    });
    expect(c.workerId).toMatch(/-\d+$/);
  });

  it('reads PROVIDER, the older EXECUTION_PROVIDER name, REQUIRE_GPU and the WebGPU layout', () => {
    expect(loadWorkerConfig({ ...base, PROVIDER: 'webgpu' }).provider).toBe('webgpu');
    expect(loadWorkerConfig({ ...base, EXECUTION_PROVIDER: 'cuda' }).provider).toBe('cuda');
    expect(loadWorkerConfig({ ...base, PROVIDER: 'cpu', EXECUTION_PROVIDER: 'cuda' }).provider).toBe('cpu');
    expect(loadWorkerConfig({ ...base, REQUIRE_GPU: 'true' }).requireGpu).toBe(true);
    expect(loadWorkerConfig({ ...base, WEBGPU_LAYOUT: 'NCHW' }).webgpuLayout).toBe('NCHW');
    expect(() => loadWorkerConfig({ ...base, PROVIDER: 'metal' })).toThrow(/PROVIDER/);
    expect(() => loadWorkerConfig({ ...base, REQUIRE_GPU: 'yes' })).toThrow(/REQUIRE_GPU/);
  });

  it('parses MODEL_DIRS as name=path pairs', () => {
    const c = loadWorkerConfig({ ...base, MODELS_ROOT: '', MODEL_DIRS: 'a=/m/a, b = /m/b' });
    expect(c.modelDirs).toEqual({ a: '/m/a', b: '/m/b' });
  });

  it('names the bad variable and its limit, never the token', () => {
    const attempt = () =>
      loadWorkerConfig({ ...base, MAX_BATCH: '17', EXECUTION_PROVIDER: 'tpu', WORKER_TOKEN: 'tok-1234' });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/MAX_BATCH: .*16/);
    expect(message).toMatch(/EXECUTION_PROVIDER/);
    expect(message).toMatch(/WORKER_TOKEN: WORKER_TOKEN must be at least 16 characters/);
    expect(message).not.toContain('tok-1234');
  });

  it('requires a model source', () => {
    expect(() => loadWorkerConfig({ EDGE_URL: base.EDGE_URL, WORKER_TOKEN: base.WORKER_TOKEN })).toThrow(
      /MODEL_DIRS: set MODEL_DIRS/,
    );
    expect(() => loadWorkerConfig({ ...base, MODELS_ROOT: '', MODEL_DIRS: 'nopath' })).toThrow(
      /expected name=path/,
    );
  });

  it('DETERMINISTIC is 0 (default) or 1, nothing else', () => {
    expect(loadWorkerConfig(base).deterministic).toBe(false);
    expect(loadWorkerConfig({ ...base, DETERMINISTIC: '1' }).deterministic).toBe(true);
    expect(() => loadWorkerConfig({ ...base, DETERMINISTIC: 'yes' })).toThrow(/DETERMINISTIC/);
  });
});
