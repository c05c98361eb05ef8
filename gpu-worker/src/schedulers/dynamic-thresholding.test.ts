import { describe, expect, it } from 'vitest';
import { applyDynamicThresholding } from './dynamic-thresholding';
import { createScheduler } from './index';

describe('dynamic thresholding (Imagen, Saharia et al. 2022)', () => {
  it('clips each image at its own |x0| quantile (>= 1, <= sample_max_value) and rescales', () => {
    // Image 0: |x| = 0..4, 80% quantile (torch.quantile, linear) = 3.2 -> s = min(3.2, 2.5) = 2.5.
    // Image 1: all small, quantile < 1 -> s = 1 (plain clipping to [-1, 1]).
    const x0 = new Float32Array([0, -1, 2, -3, 4, 0.1, -0.2, 0.3, -0.4, 0.5]);
    applyDynamicThresholding(x0, 2, { ratio: 0.8, maxValue: 2.5 });
    const expected = [0, -1 / 2.5, 2 / 2.5, -1, 1, 0.1, -0.2, 0.3, -0.4, 0.5];
    for (const [i, v] of expected.entries()) expect(x0[i]).toBeCloseTo(v, 6);
  });

  it('interpolates the quantile between neighbours like torch.quantile', () => {
    const x0 = new Float32Array([1, 2, 3, 10]);
    applyDynamicThresholding(x0, 1, { ratio: 0.5, maxValue: 100 }); // rank 1.5 -> 2.5
    expect(Array.from(x0)).toEqual([1 / 2.5, 2 / 2.5, 1, 1].map(Math.fround));
  });

  it('uses the batch size to know where each image starts (default: one image)', () => {
    const ddim = createScheduler('ddim', { thresholding: true });
    ddim.setTimesteps(10);
    const x = new Float32Array(8).fill(0.5);
    expect(() => ddim.step(x, 901, x, { batchSize: 3 })).toThrow(/batchSize/);
    expect(ddim.step(x, 901, x, { batchSize: 2 })).toHaveLength(8);
    const split = new Float32Array([0, 0, 0, 4, 0.1, 0.1, 0.1, 0.1]);
    const asOne = split.slice();
    applyDynamicThresholding(split, 2, { ratio: 0.9, maxValue: 10 });
    applyDynamicThresholding(asOne, undefined, { ratio: 0.9, maxValue: 10 });
    expect(split[4]).toBeCloseTo(0.1, 6); // second image's quantile < 1: plain clipping
    expect(asOne[4]).toBeLessThan(0.1); // one image: the 4 sets a larger s for everything
  });

  it('is applied by ddim and lcm instead of clip_sample', () => {
    for (const name of ['ddim', 'lcm'] as const) {
      const plain = createScheduler(name, { clip_sample: false });
      const thresholded = createScheduler(name, {
        clip_sample: false,
        thresholding: true,
        sample_max_value: 1,
      });
      plain.setTimesteps(4);
      thresholded.setTimesteps(4);
      const t = plain.timesteps.at(-1) as number;
      const x = new Float32Array([3, -3, 0.2, 0.1]);
      const eps = new Float32Array([0, 0, 0, 0]);
      // A large x0 is clipped to +-1 when sample_max_value = 1.
      const a = plain.step(eps, t, x, { batchSize: 1, generator: { randn: (n) => new Float32Array(n) } });
      const b = thresholded.step(eps, t, x, {
        batchSize: 1,
        generator: { randn: (n) => new Float32Array(n) },
      });
      expect(Math.abs(b[0])).toBeLessThan(Math.abs(a[0]));
      expect(b[2]).toBeCloseTo(a[2], 5);
    }
  });
});
