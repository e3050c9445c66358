/**
 * Statistics over per-query metric values: seeded bootstrap confidence intervals, a paired
 * randomisation (sign-flip permutation) test and a paired t-test. Every random draw comes from a
 * seeded generator, so a run with the same seed reproduces its intervals and p-values exactly.
 */
import { InvalidInputError } from '../domain/errors';

/** sfc32 seeded through splitmix32: fast, 128-bit state, good statistical quality. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Quantile with linear interpolation between order statistics (type 7, as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface ConfidenceInterval {
  mean: number;
  lower: number;
  upper: number;
  level: number;
}

export interface BootstrapOptions {
  samples?: number;
  seed?: number;
  level?: number;
}

function checkOptions(samples: number, level: number): void {
  if (!Number.isSafeInteger(samples) || samples < 1 || samples > 1_000_000) {
    throw new InvalidInputError(`bootstrap samples must be an integer in 1..1000000, got ${samples}`);
  }
  if (!(level > 0 && level < 1)) throw new InvalidInputError(`confidence level must lie strictly between 0 and 1, got ${level}`);
}

/** Percentile bootstrap interval of the mean, resampling queries with replacement. */
export function bootstrapCI(values: readonly number[], options: BootstrapOptions = {}): ConfidenceInterval {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  checkOptions(samples, level);
  const m = mean(values);
  const n = values.length;
  if (n === 0) return { mean: 0, lower: 0, upper: 0, level };
  const rand = seededRandom(options.seed ?? 42);
  const means = new Float64Array(samples);
  for (let b = 0; b < samples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)];
    means[b] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  const alpha = (1 - level) / 2;
  // The interval always contains the sample mean (a degenerate resample distribution included).
  return { mean: m, lower: Math.min(quantile(sorted, alpha), m), upper: Math.max(quantile(sorted, 1 - alpha), m), level };
}

export interface PairedTestResult {
  /** Mean of b - a over paired queries. */
  meanDifference: number;
  /** Two-sided p-value of the paired randomisation test (sign flips of the differences). */
  permutationP: number;
  /** Two-sided p-value of the paired t-test. */
  tTestP: number;
  t: number;
  degreesOfFreedom: number;
  n: number;
  /** Bootstrap interval of the mean difference. */
  differenceCI: ConfidenceInterval;
}

/**
 * Paired randomisation test: under the null hypothesis each query's difference is equally likely to
 * have either sign; p = (1 + #{|mean of flipped| >= |observed mean|}) / (1 + samples).
 * Identical variants give p = 1.
 */
export function permutationTest(a: readonly number[], b: readonly number[], options: { samples?: number; seed?: number } = {}): number {
  const d = differences(a, b);
  const samples = options.samples ?? 10000;
  checkOptions(samples, 0.5);
  const n = d.length;
  if (n === 0) return 1;
  const observed = Math.abs(mean(d));
  const rand = seededRandom(options.seed ?? 42);
  const eps = 1e-12 * Math.max(1, observed);
  let extreme = 0;
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rand() < 0.5 ? -d[i] : d[i];
    if (Math.abs(sum / n) >= observed - eps) extreme++;
  }
  return (extreme + 1) / (samples + 1);
}

function differences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new InvalidInputError(`paired samples differ in length: ${a.length} vs ${b.length}`);
  return b.map((x, i) => x - a[i]);
}

/** Paired t-test, two-sided. With zero variance: p = 1 when the mean difference is 0, else 0. */
export function pairedTTest(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } {
  const d = differences(a, b);
  const n = d.length;
  if (n < 2) return { t: 0, df: Math.max(0, n - 1), p: 1 };
  const m = mean(d);
  let ss = 0;
  for (const x of d) ss += (x - m) * (x - m);
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  if (sd === 0) return { t: m === 0 ? 0 : Math.sign(m) * Infinity, df, p: m === 0 ? 1 : 0 };
  const t = m / (sd / Math.sqrt(n));
  return { t, df, p: studentTTwoSidedP(t, df) };
}

export function pairedTest(
  a: readonly number[],
  b: readonly number[],
  options: { samples?: number; bootstrapSamples?: number; seed?: number; level?: number } = {},
): PairedTestResult {
  const d = differences(a, b);
  const tt = pairedTTest(a, b);
  return {
    meanDifference: mean(d),
    permutationP: permutationTest(a, b, { samples: options.samples, seed: options.seed }),
    tTestP: tt.p,
    t: tt.t,
    degreesOfFreedom: tt.df,
    n: d.length,
    differenceCI: bootstrapCI(d, { samples: options.bootstrapSamples, seed: options.seed, level: options.level }),
  };
}

/** P(|T| >= |t|) for Student's t with df degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  const x = df / (df + t * t);
  return Math.min(1, Math.max(0, regularizedIncompleteBeta(x, df / 2, 0.5)));
}

function logGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for z > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  z -= 1;
  let x = c[0];
  for (let i = 1; i < 9; i++) x += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Regularised incomplete beta I_x(a, b) by Lentz's continued fraction. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return (Math.exp(lnFront) * (f - 1)) / a;
}
