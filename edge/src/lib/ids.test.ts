import { describe, expect, it } from 'vitest';
import { randomBase62 } from './crypto';
import { API_KEY_PATTERN, newApiKey, newJobId } from './ids';

describe('random ids', () => {
  it('have the promised shape and length, across many refills of the random pool', () => {
    for (let i = 0; i < 200; i++) {
      expect(newJobId()).toMatch(/^gen_[0-9A-Za-z]{22}$/);
      expect(newApiKey('live')).toMatch(API_KEY_PATTERN);
    }
  });

  it('do not repeat', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => randomBase62(12)));
    expect(ids.size).toBe(5_000);
  });

  it('use all 62 characters about evenly (no modulo bias, no stuck pool)', () => {
    const counts = new Map<string, number>();
    const text = randomBase62(62_000);
    for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 1,000 expected per character; 6 standard deviations (~190) either side.
    for (const n of counts.values()) expect(Math.abs(n - 1_000)).toBeLessThan(190);
  });
});
