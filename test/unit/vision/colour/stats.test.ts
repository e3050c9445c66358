import { median, quantile } from '../../../../src/vision/colour/stats';
import { seeded } from './synthetic-images';

/** The q-quantile by sorting, interpolated between neighbours. */
function reference(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return lo === s.length - 1 ? s[lo] : s[lo] + (s[lo + 1] - s[lo]) * (at - lo);
}

describe('quantile and median', () => {
  it('agree with sorting, for values with and without repeats', () => {
    const r = seeded(11);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(r() * 40);
      const repeats = trial % 2 === 0;
      const values = Array.from({ length: n }, () => (repeats ? Math.floor(r() * 5) : r() * 100 - 50));
      for (const q of [0, 0.1, 0.25, 0.5, 0.7, 0.9, 1]) expect(quantile(values, q)).toBeCloseTo(reference(values, q), 10);
      expect(median(values)).toBeCloseTo(reference(values, 0.5), 10);
    }
  });

  it('interpolates an even count, clamps q and gives 0 for no values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([3, 1, 2], -1)).toBe(1);
    expect(quantile([3, 1, 2], 2)).toBe(3);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('leaves its input as it was', () => {
    const values = Float32Array.from([5, 3, 9, 1]);
    median(values);
    expect(Array.from(values)).toEqual([5, 3, 9, 1]);
  });
});
