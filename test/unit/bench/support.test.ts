import { markdownTable, percentile, summariseLatencies } from '../../../bench/support';

describe('bench support', () => {
  test('percentile is nearest-rank on sorted values', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  test('summariseLatencies sorts, rounds and divides by wall time', () => {
    const s = summariseLatencies([3, 1, 2, 4.006], 2);
    expect(s).toEqual({ requests: 4, p50Ms: 2, p95Ms: 4.01, meanMs: 2.5, throughputRps: 2 });
    expect(summariseLatencies([], 1).requests).toBe(0);
  });

  test('markdownTable aligns columns', () => {
    expect(markdownTable(['a', 'b'], ['l', 'r'], [['x', '1']])).toBe('| a | b |\n| --- | ---: |\n| x | 1 |');
  });
});
