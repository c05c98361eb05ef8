import { describe, expect, it } from 'vitest';
import { TorchCpuGenerator } from './torch-cpu-randn';

// Reference values printed by torch (CPU, float32) after torch.manual_seed(seed).
// torch's vectorised path uses SLEEF log/sin/cos (1-ulp), so allow a few float32 ulps.
const TOL = 5e-6;

function expectClose(got: ArrayLike<number>, expected: number[]) {
  expect(got).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(TOL);
}

describe('TorchCpuGenerator reproduces torch.randn on CPU', () => {
  it('small tensors (< 16 values) use the cached double Box-Muller path', () => {
    const expected = [
      1.5409960746765137, -0.293428897857666, -2.1787893772125244, 0.5684312582015991, -1.0845223665237427,
      -1.3985954523086548,
    ];
    expectClose(new TorchCpuGenerator(0).randn(6), expected);
    // Two calls of 3 continue the same stream, including the cached second normal.
    const g = new TorchCpuGenerator(0);
    expectClose([...g.randn(3), ...g.randn(3)], expected);
  });

  it('an SD latent (1x4x64x64) matches at both ends', () => {
    const x = new TorchCpuGenerator(0).randn(4 * 64 * 64);
    expectClose(
      x.subarray(0, 4),
      [-1.1258398294448853, -1.152360200881958, -0.2505785822868347, -0.4338788092136383],
    );
    expectClose(
      x.subarray(-4),
      [-1.0407140254974365, 0.09078387916088104, -1.3664697408676147, -1.0782079696655273],
    );
    let sum = 0;
    for (const v of x) sum += v;
    expect(sum).toBeCloseTo(-124.1127, 2);
  });

  it('a length that is not a multiple of 16 redoes the last 16 values with fresh uniforms', () => {
    const x = new TorchCpuGenerator(1234).randn(2 * 3 * 7 * 5);
    expectClose(x.subarray(190, 193), [-0.9930011034011841, 1.4080265760421753, -0.7945422530174255]);
    expectClose(x.subarray(-3), [-0.2572998106479645, 0.6365218162536621, -0.4851662516593933]);
    expectClose([new TorchCpuGenerator(0).randn(20)[19]], [0.05373690277338028]);
  });

  it('rejects seeds torch would not accept as a 32-bit seed', () => {
    expect(() => new TorchCpuGenerator(-1)).toThrow(RangeError);
    expect(() => new TorchCpuGenerator(1.5)).toThrow(RangeError);
  });
});
