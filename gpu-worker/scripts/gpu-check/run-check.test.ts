import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LatentDiffusionPipeline, loadPipeline } from '../../src/index';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { runCheck } from './run-check';

// The GPU check must be able to fail: a "device" whose pixels drift from the CPU's is reported.
let root: string;
let cpu: LatentDiffusionPipeline;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-run-check-'));
  cpu = await loadPipeline(await writeTinyModel(join(root, 'model')), { provider: 'cpu' });
});
afterAll(async () => {
  await cpu?.release();
  await rm(root, { recursive: true, force: true });
});

/** The real pipeline, but every image it returns gets +-24 of deterministic noise on each channel. */
function perturbed(real: LatentDiffusionPipeline): LatentDiffusionPipeline {
  const wrapper = Object.create(real) as LatentDiffusionPipeline;
  wrapper.generate = async (request, options) => {
    const result = await real.generate(request, options);
    let state = 12345;
    for (const image of result.images) {
      const rgb = Uint8Array.from(image.rgb);
      for (let i = 0; i < rgb.length; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        rgb[i] = Math.max(0, Math.min(255, rgb[i] + ((state >>> 16) % 49) - 24));
      }
      image.rgb = rgb;
    }
    return result;
  };
  return wrapper;
}

describe('runCheck', () => {
  const options = { steps: 2, runs: 1, thresholdDb: 35 };

  it('passes a device that matches the CPU exactly (the CPU against itself)', async () => {
    const report = await runCheck(cpu, cpu, options);
    expect(report.cases).toHaveLength(6);
    expect(report.cases.every((c) => c.pass && c.psnrDb === Number.POSITIVE_INFINITY)).toBe(true);
    expect(report.passed).toBe(true);
  });

  it('fails a device whose images drift from the CPU, with each PSNR below the threshold', async () => {
    const lines: string[] = [];
    const report = await runCheck(perturbed(cpu), cpu, {
      ...options,
      onCase: (c) => lines.push(`${c.pass ? 'ok' : 'FAIL'} ${c.name}`),
    });
    expect(report.passed).toBe(false);
    for (const c of report.cases) {
      expect(c.pass).toBe(false);
      expect(c.psnrDb).toBeLessThan(options.thresholdDb);
      expect(c.psnrDb).toBeGreaterThan(10);
    }
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.startsWith('FAIL'))).toBe(true);
  });
});
