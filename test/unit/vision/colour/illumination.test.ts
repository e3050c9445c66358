import { estimateIllumination, type ColourImage } from '../../../../src/vision/colour';
import { bilinear, fillGrid, straightProfile } from '../../../../src/vision/colour/illumination';
import { colourNoise, ellipse, GREEN, NAVY, rectangle, RED, scene, solid, type RGB } from './synthetic-images';

const W = 64;
const H = 64;

/** Brightness (r + g + b) of the image after the gain, at pixel p. */
const corrected = (img: ColourImage, gain: Float32Array, p: number) => gain[p] * (img.rgb[p * 3] + img.rgb[p * 3 + 1] + img.rgb[p * 3 + 2]);

/** Pixels outside the garment and away from its edge. */
function backgroundPixels(truth: Uint8Array): number[] {
  const out: number[] = [];
  for (let y = 2; y < H - 2; y++) {
    for (let x = 2; x < W - 2; x++) {
      let near = false;
      for (let dy = -2; dy <= 2 && !near; dy++) for (let dx = -2; dx <= 2 && !near; dx++) near = truth[(y + dy) * W + x + dx] === 1;
      if (!near) out.push(y * W + x);
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / (xs.reduce((s, x) => s + x, 0) / xs.length);

describe('estimateIllumination', () => {
  it('leaves a studio white backdrop alone', () => {
    const s = scene(W, H, solid([255, 255, 255]), ellipse(W, H), solid(NAVY));
    expect(estimateIllumination(s.image, s.truth)).toMatchObject({ gain: null, reason: 'studio' });
  });

  it('leaves a cluttered background alone', () => {
    const s = scene(W, H, colourNoise(128, 250, 6), ellipse(W, H), solid(RED));
    const ill = estimateIllumination(s.image, s.truth);
    expect(ill.gain).toBeNull();
    expect(ill.reason).toBe('cluttered');
    expect(ill.plainShare).toBeLessThan(0.5);
  });

  it('does nothing without background', () => {
    const s = scene(W, H, solid([180, 180, 180]), ellipse(W, H), solid(RED));
    expect(estimateIllumination(s.image, new Uint8Array(W * H).fill(1))).toMatchObject({ gain: null, reason: 'no-background', plainShare: 0 });
  });

  it('gives an evenly lit plain surface the same gain everywhere', () => {
    const s = scene(W, H, solid([180, 180, 180]), rectangle(W, H), solid(RED));
    const ill = estimateIllumination(s.image, s.truth);
    expect(ill.reason).toBe('corrected');
    expect(ill.plainShare).toBe(1);
    expect(ill.gain).toHaveLength(W * H);
    const gains = Array.from(ill.gain!);
    expect(Math.max(...gains) - Math.min(...gains)).toBeLessThan(0.01);
    // the surface is taken for full light, times the exposure (0.95)
    expect(gains[0]).toBeCloseTo(0.95, 2);
  });

  it('undoes light falling off across the photo: brighter gains where it is darker, a flat surface after', () => {
    const light = (x: number) => 0.5 + (0.5 * x) / (W - 1);
    const shade = (c: RGB) => (x: number): RGB => [c[0] * light(x), c[1] * light(x), c[2] * light(x)];
    const s = scene(W, H, shade([210, 200, 190]), ellipse(W, H), shade(GREEN));
    const ill = estimateIllumination(s.image, s.truth);
    expect(ill.reason).toBe('corrected');
    expect(ill.plane![1]).toBeGreaterThan(0);
    const gain = ill.gain!;
    expect(gain[(H / 2) * W]).toBeGreaterThan(1.5 * gain[(H / 2) * W + W - 1]);
    const bg = backgroundPixels(s.truth);
    expect(spread(bg.map((p) => s.image.rgb[p * 3] + s.image.rgb[p * 3 + 1] + s.image.rgb[p * 3 + 2]))).toBeGreaterThan(0.5);
    expect(spread(bg.map((p) => corrected(s.image, gain, p)))).toBeLessThan(0.05);
    // the garment is lit like the surface: corrected, its two sides match
    const left = corrected(s.image, gain, (H / 2) * W + 16);
    const right = corrected(s.image, gain, (H / 2) * W + 47);
    expect(Math.abs(left - right) / right).toBeLessThan(0.05);
  });

  it('lifts a straight cast shadow, unless told to correct the plane only', () => {
    // the left of the photo lies in shadow; its edge (blurred over a few pixels by the profile's bins) is not scored
    const shadow = (x: number) => (x < 12 ? 0.6 : 1);
    const s = scene(W, H, (x) => [200 * shadow(x), 200 * shadow(x), 200 * shadow(x)], rectangle(W, H), solid(NAVY));
    const bg = backgroundPixels(s.truth);
    const inShadow = bg.filter((p) => p % W < 5);
    const inLight = bg.filter((p) => p % W > 19);
    const ratio = (gain: Float32Array) => median(inShadow.map((p) => corrected(s.image, gain, p))) / median(inLight.map((p) => corrected(s.image, gain, p)));
    const ill = estimateIllumination(s.image, s.truth);
    expect(ill.reason).toBe('corrected');
    expect(ratio(ill.gain!)).toBeCloseTo(1, 1);
    expect(spread([...inShadow, ...inLight].map((p) => corrected(s.image, ill.gain!, p)))).toBeLessThan(0.05);
    const planeOnly = estimateIllumination(s.image, s.truth, { shadows: false });
    expect(ratio(planeOnly.gain!)).toBeCloseTo(0.6, 1);
  });

  it('keeps every gain within [1 / maxGain, maxGain]', () => {
    const light = (y: number) => 0.1 + (0.9 * y) / (H - 1);
    const s = scene(W, H, (_x, y) => [200 * light(y), 190 * light(y), 180 * light(y)], ellipse(W, H), solid(RED));
    const ill = estimateIllumination(s.image, s.truth, { maxGain: 2 });
    expect(ill.reason).toBe('corrected');
    for (const g of ill.gain!) {
      expect(g).toBeLessThanOrEqual(2 + 1e-6);
      expect(g).toBeGreaterThanOrEqual(0.5 - 1e-6);
    }
  });
});

describe('straightProfile', () => {
  it('finds the direction along which values do not change', () => {
    const xs: number[] = [];
    const ys: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 20; j++) {
        const x = (i + 0.5) / 20 - 0.5;
        const y = (j + 0.5) / 20 - 0.5;
        xs.push(x);
        ys.push(y);
        vs.push(y < 0 ? 0.5 : 1);
      }
    }
    const p = straightProfile(Float64Array.from(xs), Float64Array.from(ys), Float64Array.from(vs))!;
    expect(p.angle).toBe(90);
    expect(p.rms).toBeLessThan(0.05);
    expect(p.at(0.3, -0.4)).toBeCloseTo(0.5, 6);
    expect(p.at(-0.3, 0.4)).toBeCloseTo(1, 6);
  });

  it('needs at least 16 points', () => {
    expect(straightProfile(new Float64Array(3), new Float64Array(3), new Float64Array(3))).toBeNull();
  });
});

describe('fillGrid and bilinear', () => {
  it('keeps known cells and fills the others between them', () => {
    const values = Float64Array.from([1, 0, 3, 0, 0, 0, 1, 0, 3]);
    const known = Uint8Array.from([1, 0, 1, 0, 0, 0, 1, 0, 1]);
    fillGrid(values, known, 3);
    expect([values[0], values[2], values[6], values[8]]).toEqual([1, 3, 1, 3]);
    expect(values[4]).toBeGreaterThan(1);
    expect(values[4]).toBeLessThan(3);
    expect(values[1]).toBeCloseTo(2, 6);
  });

  it('interpolates between cell centres and holds the edge value beyond them', () => {
    const grid = Float64Array.from([0, 1, 2, 3]);
    expect(bilinear(grid, 2, 0, 0)).toBe(0);
    expect(bilinear(grid, 2, 1, 1)).toBe(3);
    expect(bilinear(grid, 2, 0.5, 0.5)).toBeCloseTo(1.5, 12);
    expect(bilinear(grid, 2, -3, 0)).toBe(0);
    expect(bilinear(grid, 2, 5, 5)).toBe(3);
  });
});
