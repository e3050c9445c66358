import { cataloguePalette, deltaE2000, dominantColours, kMeans, labPixels, mergeClusters, rgbToLab, type Lab } from '../../../../src/vision/colour';
import { seeded } from './synthetic-images';

/** n CIELAB points scattered by up to `spread` around a centre. */
function cloud(centre: Lab, n: number, spread: number, seed: number): number[] {
  const r = seeded(seed);
  return Array.from({ length: n }, () => [centre[0] + (r() - 0.5) * spread, centre[1] + (r() - 0.5) * spread, centre[2] + (r() - 0.5) * spread]).flat();
}
const mean = (xs: number[], k: number) => {
  let s = 0;
  for (let i = k; i < xs.length; i += 3) s += xs[i];
  return s / (xs.length / 3);
};

describe('kMeans', () => {
  const a = cloud([30, 10, -40], 30, 4, 1);
  const b = cloud([80, -20, 60], 10, 4, 2);
  const points = Float32Array.from([...a, ...b]);

  it('finds two separate groups, their means as centroids, heaviest first', () => {
    const clusters = kMeans(points, null, 2);
    expect(clusters.map((c) => c.weight)).toEqual([30, 10]);
    for (let k = 0; k < 3; k++) {
      expect(clusters[0].centroid[k]).toBeCloseTo(mean(a, k), 3);
      expect(clusters[1].centroid[k]).toBeCloseTo(mean(b, k), 3);
    }
  });

  it('weighs the points by their weights', () => {
    const weights = Float32Array.from({ length: 40 }, (_, p) => (p < 30 ? 1 : 5));
    expect(kMeans(points, weights, 2).map((c) => c.weight)).toEqual([50, 30]);
  });

  it('gives the same clusters for the same seed', () => {
    expect(kMeans(points, null, 5, 20, 7)).toEqual(kMeans(points, null, 5, 20, 7));
  });

  it('makes no more clusters than distinct points, and none of nothing', () => {
    const same = Float32Array.from([10, 0, 0, 10, 0, 0, 10, 0, 0]);
    expect(kMeans(same, null, 5)).toEqual([{ centroid: [10, 0, 0], weight: 3 }]);
    expect(kMeans(Float32Array.from([1, 2, 3, 50, 0, 0]), null, 10)).toHaveLength(2);
    expect(kMeans(new Float32Array(0), null, 3)).toEqual([]);
  });

  it('keeps the total weight of the points', () => {
    const clusters = kMeans(points, null, 6);
    expect(clusters.reduce((s, c) => s + c.weight, 0)).toBe(40);
    for (let i = 1; i < clusters.length; i++) expect(clusters[i].weight).toBeLessThanOrEqual(clusters[i - 1].weight);
  });
});

describe('mergeClusters', () => {
  const navy = rgbToLab(28, 38, 92);
  const navyish = rgbToLab(30, 40, 95);
  const yellow = rgbToLab(246, 218, 54);

  it('merges clusters closer than the limit into their weighted mean, heaviest first', () => {
    const merged = mergeClusters([{ centroid: yellow, weight: 3 }, { centroid: navy, weight: 2 }, { centroid: navyish, weight: 2 }], 5);
    expect(merged).toHaveLength(2);
    expect(merged[0].weight).toBe(4);
    for (let k = 0; k < 3; k++) expect(merged[0].centroid[k]).toBeCloseTo((navy[k] + navyish[k]) / 2, 10);
    expect(merged[1]).toEqual({ centroid: yellow, weight: 3 });
  });

  it('merges nothing at a limit of 0 and leaves its input alone', () => {
    const input = [{ centroid: navy, weight: 1 }, { centroid: navyish, weight: 2 }];
    expect(mergeClusters(input, 0).map((c) => c.weight)).toEqual([2, 1]);
    expect(input.map((c) => c.weight)).toEqual([1, 2]);
  });
});

describe('dominantColours', () => {
  const palette = cataloguePalette();
  const pixels = (colours: [number, number, number][], counts: number[]) =>
    labPixels(colours.flatMap((c, i) => Array.from({ length: counts[i] }, () => c).flat()));

  it('names the colours of the pixels from the palette with their shares, largest first', () => {
    const clusters = dominantColours(pixels([[28, 38, 92], [244, 244, 242]], [70, 30]), null, palette);
    expect(clusters.map((c) => [c.name, c.family])).toEqual([
      ['navy', 'blue'],
      ['white', 'neutral'],
    ]);
    expect(clusters[0].share).toBeCloseTo(0.7, 10);
    expect(clusters[1].share).toBeCloseTo(0.3, 10);
    for (const c of clusters) {
      // the pixels are stored as float32 CIELAB: a palette colour comes back within rounding
      expect(c.deltaE).toBeLessThan(1e-3);
      expect(c.runnerUpDeltaE).toBeGreaterThan(c.deltaE);
      expect(c.deltaE).toBeCloseTo(deltaE2000(c.lab, palette.colours.find((p) => p.name === c.name)!.lab), 10);
    }
  });

  it('has shares that sum to 1 on noisy pixels, weighted or not', () => {
    const lab = Float32Array.from([...cloud(rgbToLab(208, 32, 40), 60, 6, 3), ...cloud(rgbToLab(56, 158, 72), 40, 6, 4)]);
    const weights = Float32Array.from({ length: 100 }, (_, p) => 1 + (p % 3));
    for (const w of [null, weights]) {
      const clusters = dominantColours(lab, w, palette);
      expect(clusters.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 10);
      const byName = new Map<string, number>();
      for (const c of clusters) byName.set(c.name, (byName.get(c.name) ?? 0) + c.share);
      expect([...byName.keys()].sort()).toEqual(['green', 'red']);
    }
  });

  it('merges close shades into one colour when asked to', () => {
    const lab = pixels([[28, 38, 92], [30, 40, 96], [246, 218, 54]], [40, 40, 20]);
    expect(dominantColours(lab, null, palette, { k: 3 })).toHaveLength(3);
    const merged = dominantColours(lab, null, palette, { k: 3, mergeDeltaE: 5 });
    expect(merged.map((c) => [c.name, c.share])).toEqual([
      ['navy', 0.8],
      ['yellow', 0.2],
    ]);
  });
});
