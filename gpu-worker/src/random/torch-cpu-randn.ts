/**
 * `torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed))` in float32, draw for
 * draw: the noise diffusers draws for its latents, ancestral/SDE steps and VAE posteriors when a
 * pipeline is given CPU generators, so a seed here gives the image diffusers gives on CPU.
 *
 * torch's CPU generator is a 32-bit Mersenne Twister (Matsumoto & Nishimura 1998) seeded with
 * the low 32 bits of the seed. For a float32 tensor of >= 16 elements, randn fills the tensor
 * with uniforms u = (r & 0xFFFFFF) / 2^24 and then applies Box-Muller in blocks of 16 (pairing
 * element j with j + 8); a tail that is not a multiple of 16 is redone with 16 fresh uniforms
 * over the last 16 slots. Smaller tensors use a double-precision Box-Muller that caches its
 * second value in the generator for the next small draw.
 *
 * How close (measured against torch 1.13 on x86-64, random.test fixtures):
 * - below 16 values: identical (the double path, rounded once to float32);
 * - 16 values or more, torch's scalar kernel (ATEN_CPU_CAPABILITY=default): identical except
 *   about 1 value in 75 that differs by one float32 ulp (<= 2.4e-7 here), because torch calls
 *   glibc's float logf/cosf/sinf, which are not correctly rounded, where we round the exact
 *   (V8 fdlibm, double) results once;
 * - the AVX2 kernel (torch's default on x86-64): within 2e-6 (it uses SLEEF's vector log/sin/cos).
 */
export interface TorchNoiseSource {
  randn(n: number): Float32Array;
}

const N = 624;
const M = 397;

class MersenneTwister {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      // 1812433253 * prev + i, mod 2^32, without losing bits to float64.
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  next(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % N] & 0x7fffffff);
      s[i] = s[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

const f32 = Math.fround;
const TWO_PI = 2 * Math.PI;

export class TorchCpuGenerator implements TorchNoiseSource {
  private readonly engine: MersenneTwister;
  private cachedNormal: number | null = null;

  /** Any integer in [0, 2^53); torch's mt19937 keeps its low 32 bits (manual_seed(2^32 + 1) = manual_seed(1)). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
    }
    this.engine = new MersenneTwister(seed % 0x100000000);
  }

  /** float32 uniform in [0, 1) from 24 random bits. */
  private uniform24(): number {
    return (this.engine.next() & 0xffffff) / 0x1000000;
  }

  /** float64 uniform in [0, 1) from 53 of 64 random bits (two draws, high word first). */
  private uniform53(): number {
    const hi = this.engine.next();
    const lo = this.engine.next();
    return ((hi & 0x1fffff) * 0x100000000 + lo) / 2 ** 53;
  }

  randn(n: number): Float32Array {
    const out = new Float32Array(n);
    if (n >= 16) {
      for (let i = 0; i < n; i++) out[i] = this.uniform24();
      for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
      if (n % 16 !== 0) {
        const start = n - 16;
        for (let i = 0; i < 16; i++) out[start + i] = this.uniform24();
        boxMuller16(out, start);
      }
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = this.normalDouble();
    return out;
  }

  private normalDouble(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.uniform53();
    const u2 = this.uniform53();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = TWO_PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** Box-Muller over 16 uniforms in place, in float32 as torch's normal_fill_16 does. */
function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - data[offset + j]);
    const u2 = data[offset + j + 8];
    const radius = f32(Math.sqrt(f32(-2 * f32(Math.log(u1)))));
    const theta = f32(TWO_PI * u2);
    data[offset + j] = f32(radius * f32(Math.cos(theta)));
    data[offset + j + 8] = f32(radius * f32(Math.sin(theta)));
  }
}

/** `torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed))`, flattened (C order). */
export function torchCpuRandn(seed: number, shape: readonly number[]): Float32Array {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`shape entries must be integers >= 0, got ${d}`);
    n *= d;
  }
  return new TorchCpuGenerator(seed).randn(n);
}
