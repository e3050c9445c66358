import {
  bootstrapCI,
  mean,
  pairedTTest,
  pairedTest,
  permutationTest,
  quantile,
  regularizedIncompleteBeta,
  seededRandom,
  studentTTwoSidedP,
} from '../../../src/evaluation/statistics';

const sample = (seed: number, n: number, shift = 0): number[] => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Math.min(1, Math.max(0, r() * 0.6 + shift)));
};

describe('seeded random', () => {
  it('is deterministic per seed and uniform in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeGreaterThan(0.48);
    expect(mean(xs)).toBeLessThan(0.52);
    expect(seededRandom(8)()).not.toBe(seededRandom(7)());
  });
});

describe('bootstrap confidence interval', () => {
  const values = sample(1, 200);
  it('contains the mean and is reproducible with a seed', () => {
    const ci = bootstrapCI(values, { samples: 2000, seed: 3 });
    expect(ci.mean).toBeCloseTo(mean(values), 15);
    expect(ci.lower).toBeLessThan(ci.mean);
    expect(ci.upper).toBeGreaterThan(ci.mean);
    expect(bootstrapCI(values, { samples: 2000, seed: 3 })).toEqual(ci);
    expect(bootstrapCI(values, { samples: 2000, seed: 4 })).not.toEqual(ci);
  });

  it('has roughly the normal-theory width (1.96 standard errors)', () => {
    const ci = bootstrapCI(values, { samples: 4000, seed: 5 });
    const m = mean(values);
    const sd = Math.sqrt(values.reduce((s, x) => s + (x - m) ** 2, 0) / (values.length - 1));
    const se = sd / Math.sqrt(values.length);
    expect((ci.upper - ci.lower) / (2 * 1.96 * se)).toBeGreaterThan(0.85);
    expect((ci.upper - ci.lower) / (2 * 1.96 * se)).toBeLessThan(1.15);
  });

  it('degenerates to the value for constant samples and to 0 for no sample', () => {
    expect(bootstrapCI([0.5, 0.5, 0.5])).toEqual({ mean: 0.5, lower: 0.5, upper: 0.5, level: 0.95 });
    expect(bootstrapCI([])).toEqual({ mean: 0, lower: 0, upper: 0, level: 0.95 });
  });

  it('rejects bad options', () => {
    expect(() => bootstrapCI(values, { samples: 0 })).toThrow(/samples/);
    expect(() => bootstrapCI(values, { level: 1 })).toThrow(/level/);
  });
});

describe('paired tests', () => {
  const a = sample(11, 100);
  it('identical variants give p = 1', () => {
    expect(permutationTest(a, a, { samples: 2000 })).toBe(1);
    expect(pairedTTest(a, a).p).toBe(1);
  });

  it('clearly different variants give a small p', () => {
    const b = a.map((x, i) => x + 0.1 + 0.02 * Math.sin(i));
    const r = pairedTest(a, b, { samples: 5000, seed: 1 });
    expect(r.permutationP).toBeLessThan(0.001);
    expect(r.tTestP).toBeLessThan(1e-10);
    expect(r.meanDifference).toBeCloseTo(mean(b) - mean(a), 12);
    expect(r.differenceCI.lower).toBeGreaterThan(0);
  });

  it('noise alone does not look significant', () => {
    const r = seededRandom(99);
    const noisy = a.map((x) => x + (r() - 0.5) * 0.2);
    const p = permutationTest(a, noisy, { samples: 5000, seed: 2 });
    expect(p).toBeGreaterThan(0.05);
    // the permutation and the t-test agree for well-behaved differences
    expect(Math.abs(p - pairedTTest(a, noisy).p)).toBeLessThan(0.05);
  });

  it('is reproducible with a seed', () => {
    const b = sample(12, 100);
    expect(permutationTest(a, b, { seed: 5, samples: 3000 })).toBe(permutationTest(a, b, { seed: 5, samples: 3000 }));
  });

  it('rejects samples of different lengths', () => {
    expect(() => pairedTTest([1, 2], [1])).toThrow(/differ in length/);
  });

  it('a constant non-zero difference is certain', () => {
    const t = pairedTTest([0, 0, 0], [1, 1, 1]);
    expect(t.p).toBe(0);
  });
});

describe("Student's t distribution", () => {
  it.each([
    // two-sided critical values from standard t tables
    [2.228138851986274, 10, 0.05],
    [12.706204736174696, 1, 0.05],
    [2.845339709776, 20, 0.01],
    [1.6448536269514722, 1e7, 0.1],
    [0, 5, 1],
  ])('P(|T| >= %f; df %f) = %f', (t, df, p) => {
    expect(studentTTwoSidedP(t, df)).toBeCloseTo(p, 6);
  });

  it('incomplete beta matches closed forms', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 14);
    expect(regularizedIncompleteBeta(0.3, 1, 3)).toBeCloseTo(1 - 0.7 ** 3, 14);
  });

  it('quantile interpolates linearly', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });
});
