import { describe, expect, it } from 'vitest';
import { npArange, npLinspace, roundHalfEven, trailingTimesteps } from './timestep-spacing';

describe('numpy arithmetic the timestep spacings depend on', () => {
  it('rounds halves to even like numpy.round', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, 4, -0, -2, -2, 2, 3,
    ]);
  });

  it('linspace and arange', () => {
    expect(npLinspace(0, 999, 4)).toEqual([0, 333, 666, 999]);
    expect(npLinspace(0, 50, 4, false)).toEqual([0, 12.5, 25, 37.5]);
    expect(npArange(1000, 0, -250)).toEqual([1000, 750, 500, 250]);
  });

  it('trailing spacing rounds 937.5 to 938 and 812.5 to 812 (numpy: 999, 937, 874, 811, 749, 687, ...)', () => {
    expect(trailingTimesteps(1000, 16).slice(0, 6)).toEqual([999, 937, 874, 811, 749, 687]);
  });
});
