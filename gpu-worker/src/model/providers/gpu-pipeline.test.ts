import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psnr } from '../../../scripts/gpu-check/psnr';
import { writeTinyModel } from '../../../test-fixtures/tiny-sd-folder';
import { loadPipeline } from '../../pipeline/pipeline';
import { resolveAndGenerate } from '../../pipeline/standalone';
import { probeProvider } from './probe-provider';
import type { ProviderName } from './provider-names';

/**
 * The pipeline on each GPU provider against the CPU. These machines have neither (no CUDA
 * library, and Debian's software Vulkan lacks features Dawn needs): the tests are then skipped
 * with the probe's reason printed, never passed. `npm run check:gpu` is the full check on a GPU.
 */
const probes = await Promise.all((['webgpu', 'cuda'] as ProviderName[]).map((p) => probeProvider(p, 0)));
for (const p of probes) {
  if (!p.available) console.warn(`[skipped] the ${p.provider} pipeline test: ${p.reason}`);
}

let dir: string;
beforeAll(async () => {
  dir = await writeTinyModel(await mkdtemp(join(tmpdir(), 'ldm-gpu-')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const probe of probes) {
  describe.skipIf(!probe.available)(`the pipeline on ${probe.provider}`, () => {
    it('draws what the CPU draws (PSNR >= 35 dB) for txt2img under three schedulers', async () => {
      const gpu = await loadPipeline(dir, { provider: probe.provider });
      const cpu = await loadPipeline(dir, { provider: 'cpu' });
      try {
        expect(gpu.info.provider).toBe(probe.provider);
        for (const scheduler of ['ddim', 'euler_ancestral', 'dpmpp_2m']) {
          const request = { prompt: 'a red circle', steps: 4, seed: 3, scheduler };
          const [a, b] = [await resolveAndGenerate(gpu, request), await resolveAndGenerate(cpu, request)];
          expect(psnr(a.images[0].rgb, b.images[0].rgb)).toBeGreaterThanOrEqual(35);
        }
      } finally {
        await gpu.release();
        await cpu.release();
      }
    });
  });
}
