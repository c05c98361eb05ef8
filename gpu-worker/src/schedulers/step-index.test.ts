import { describe, expect, it } from 'vitest';
import { StepIndex } from './step-index';

describe('StepIndex (diffusers index_for_timestep / begin_index)', () => {
  const timesteps = [999, 800, 800, 500, 100];

  it('finds a timestep, taking the second occurrence of a repeated one', () => {
    const index = new StepIndex();
    expect(index.lookup(999, timesteps)).toBe(0);
    expect(index.lookup(800, timesteps)).toBe(2);
    expect(index.lookup(100, timesteps)).toBe(4);
    expect(() => index.lookup(7, timesteps)).toThrow(/not in the scheduler's timesteps/);
    expect(new StepIndex('last').lookup(7, timesteps)).toBe(4);
  });

  it('is set by the first step, then advances one per step regardless of t', () => {
    const index = new StepIndex();
    expect(index.at(500, timesteps)).toBe(3);
    index.advance();
    expect(index.at(123, timesteps)).toBe(4);
    index.advance();
    expect(() => index.at(100, timesteps)).toThrow(/more steps than the 5 scheduled/);
  });

  it('a begin index overrides the lookup, and add_noise follows it', () => {
    const index = new StepIndex();
    index.setBegin(1, timesteps.length);
    expect(index.forAddNoise(100, timesteps)).toBe(1);
    expect(index.at(100, timesteps)).toBe(1);
    index.advance();
    expect(index.forAddNoise(999, timesteps)).toBe(2);
    expect(() => index.setBegin(5, timesteps.length)).toThrow(/begin_index/);
    index.reset();
    expect(index.forAddNoise(500, timesteps)).toBe(3);
  });
});
