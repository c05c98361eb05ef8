import { describe, expect, it } from 'vitest';
import { guide, rescaleGuidance } from './guidance';

// Figures from diffusers' rescale_noise_cfg run in torch 1.13 (float32) on these inputs:
// g = u + 7.5 (c - u); rescale_noise_cfg(g, c, 0.7) and (g, c, 1.0).
const uncond = Float32Array.from([0.1, -0.2, 0.3, 0.05, -0.4, 0.25, 0.0, 0.15]);
const cond = Float32Array.from([0.3, -0.1, 0.2, 0.4, -0.3, 0.1, 0.2, -0.05]);
const TORCH_GUIDED = [
  1.6000001430511475, 0.550000011920929, -0.4500000476837158, 2.674999952316284, 0.34999993443489075, -0.875,
  1.5, -1.350000023841858,
];
const TORCH_RESCALE_07 = [
  0.6682004928588867, 0.22969390451908112, -0.18793140351772308, 1.1171475648880005, 0.14616882801055908,
  -0.3654221296310425, 0.6264379024505615, -0.5637941360473633,
];
const TORCH_RESCALE_1 = [
  0.26885777711868286, 0.09241985529661179, -0.075616255402565, 0.4494965672492981, 0.05881262570619583,
  -0.14703159034252167, 0.2520541548728943, -0.22684873640537262,
];

const maxError = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('guidance_rescale (diffusers rescale_noise_cfg)', () => {
  const guided = guide(uncond, cond, 7.5);

  it('guided prediction as torch computes it', () => {
    expect(maxError(guided, TORCH_GUIDED)).toBeLessThan(1e-6);
  });

  it.each([
    [0.7, TORCH_RESCALE_07],
    [1, TORCH_RESCALE_1],
  ])('rescale %f matches torch within 1e-6', (rescale, expected) => {
    expect(maxError(rescaleGuidance(guided, cond, rescale), expected)).toBeLessThan(1e-6);
  });

  it('rescale 1 gives the text prediction’s standard deviation; 0 returns the guided prediction itself', () => {
    const std = (a: Float32Array) => {
      const m = a.reduce((x, y) => x + y, 0) / a.length;
      return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
    };
    expect(std(rescaleGuidance(guided, cond, 1))).toBeCloseTo(std(cond), 6);
    expect(rescaleGuidance(guided, cond, 0)).toBe(guided);
  });

  it('leaves a constant prediction alone instead of dividing by a zero spread', () => {
    const flat = new Float32Array(8).fill(0.5);
    expect(Array.from(rescaleGuidance(flat, cond, 0.7))).toEqual(Array.from(flat));
  });
});
