import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { createLogger } from './logger';
import { ModelRegistry, type ModelRegistryOptions, sessionTuning } from './model-registry';

describe('model registry', () => {
  it('gives upscalers and pipelines the same session settings (layout and determinism included)', () => {
    const options: ModelRegistryOptions = {
      modelDirs: {},
      provider: 'webgpu',
      deviceId: 1,
      webgpuLayout: 'NCHW',
      threads: 3,
      deterministic: true,
      log: createLogger({ write: () => {} }),
    };
    expect(sessionTuning(options)).toEqual({
      provider: 'webgpu',
      deviceId: 1,
      webgpuLayout: 'NCHW',
      threads: 3,
      deterministic: true,
    });
  });

  it('rethrows the failure of a later model after the earlier ones loaded', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ldm-registry-'));
    try {
      const sd = await writeTinyModel(join(root, 'sd'));
      const load = ModelRegistry.load({
        modelDirs: { sd, broken: join(root, 'missing') },
        provider: 'cpu',
        deviceId: 0,
        log: createLogger({ write: () => {} }),
      });
      await expect(load).rejects.toThrow(/missing/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
