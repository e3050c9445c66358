/**
 * The dominant colours of a set of pixels: weighted k-means in CIELAB (k-means++ seeding from a fixed
 * seed, so the same pixels give the same colours), clusters closer than a just-different CIEDE2000
 * merged, each cluster named by the nearest colour of the catalogue's palette (CIEDE2000).
 */
import { deltaE2000, type Lab } from './lab';
import { nearestPaletteColour, type ColourPalette } from './palette';
import { seededRandom as random } from '../../domain/seeded-random';

export interface DominantColourOptions {
  /** Clusters before merging. */
  k: number;
  /** Clusters closer than this CIEDE2000 are merged into one. */
  mergeDeltaE: number;
  /** Most k-means iterations. */
  iterations: number;
  /** Seed of the k-means++ seeding. */
  seed: number;
}

export const DEFAULT_DOMINANT_COLOUR_OPTIONS: Readonly<DominantColourOptions> = {
  k: 16,
  mergeDeltaE: 0,
  iterations: 20,
  seed: 1,
};

export interface ColourCluster {
  /** Mean CIELAB of the cluster's pixels. */
  readonly lab: Lab;
  /** The cluster's share of the pixels' weight (shares sum to 1). */
  readonly share: number;
  /** Nearest palette colour and its family. */
  readonly name: string;
  readonly family: string;
  /** CIEDE2000 to that palette colour, and to the second nearest. */
  readonly deltaE: number;
  readonly runnerUpDeltaE: number;
}


/**
 * Weighted k-means over n points of 3 coordinates (Euclidean: CIE76 in CIELAB). Returns the non-empty
 * clusters' centroids and total weights, heaviest first.
 */
export function kMeans(points: Float32Array, weights: Float32Array | null, k: number, iterations = 20, seed = 1): { centroid: Lab; weight: number }[] {
  const n = points.length / 3;
  if (n === 0) return [];
  const wt = (p: number) => (weights ? weights[p] : 1);
  const rnd = random(seed);
  const kk = Math.min(k, n);
  const cent = new Float64Array(kk * 3);
  // k-means++ seeding
  const d2 = new Float64Array(n).fill(Infinity);
  let total = 0;
  for (let p = 0; p < n; p++) total += wt(p);
  let pick = 0;
  {
    let r = rnd() * total;
    for (let p = 0; p < n; p++) if ((r -= wt(p)) <= 0) { pick = p; break; }
  }
  let chosen = 0;
  for (; chosen < kk; chosen++) {
    cent.set(points.subarray(pick * 3, pick * 3 + 3), chosen * 3);
    let sum = 0;
    for (let p = 0; p < n; p++) {
      const dx = points[p * 3] - cent[chosen * 3];
      const dy = points[p * 3 + 1] - cent[chosen * 3 + 1];
      const dz = points[p * 3 + 2] - cent[chosen * 3 + 2];
      d2[p] = Math.min(d2[p], dx * dx + dy * dy + dz * dz);
      sum += d2[p] * wt(p);
    }
    if (sum <= 0) { chosen++; break; }
    let r = rnd() * sum;
    pick = n - 1;
    for (let p = 0; p < n; p++) if ((r -= d2[p] * wt(p)) <= 0) { pick = p; break; }
  }
  const c = chosen;
  const assign = new Int32Array(n).fill(-1);
  const acc = new Float64Array(c * 4);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let p = 0; p < n; p++) {
      let best = 0;
      let bestD = Infinity;
      for (let j = 0; j < c; j++) {
        const dx = points[p * 3] - cent[j * 3];
        const dy = points[p * 3 + 1] - cent[j * 3 + 1];
        const dz = points[p * 3 + 2] - cent[j * 3 + 2];
        const d = dx * dx + dy * dy + dz * dz;
        if (d < bestD) { bestD = d; best = j; }
      }
      if (assign[p] !== best) { assign[p] = best; changed++; }
    }
    acc.fill(0);
    for (let p = 0; p < n; p++) {
      const j = assign[p];
      const w = wt(p);
      acc[j * 4] += w * points[p * 3];
      acc[j * 4 + 1] += w * points[p * 3 + 1];
      acc[j * 4 + 2] += w * points[p * 3 + 2];
      acc[j * 4 + 3] += w;
    }
    for (let j = 0; j < c; j++) {
      if (acc[j * 4 + 3] > 0) for (let q = 0; q < 3; q++) cent[j * 3 + q] = acc[j * 4 + q] / acc[j * 4 + 3];
    }
    if (changed === 0) break;
  }
  const out: { centroid: Lab; weight: number }[] = [];
  for (let j = 0; j < c; j++) if (acc[j * 4 + 3] > 0) out.push({ centroid: [cent[j * 3], cent[j * 3 + 1], cent[j * 3 + 2]], weight: acc[j * 4 + 3] });
  return out.sort((a, b) => b.weight - a.weight);
}

/** Merges clusters closer than `mergeDeltaE` (CIEDE2000), closest pair first, into their weighted mean. */
export function mergeClusters(clusters: { centroid: Lab; weight: number }[], mergeDeltaE: number): { centroid: Lab; weight: number }[] {
  const cs = clusters.map((c) => ({ centroid: c.centroid, weight: c.weight }));
  for (;;) {
    let bi = -1;
    let bj = -1;
    let bd = mergeDeltaE;
    for (let i = 0; i < cs.length; i++) {
      for (let j = i + 1; j < cs.length; j++) {
        const d = deltaE2000(cs[i].centroid, cs[j].centroid);
        if (d < bd) { bd = d; bi = i; bj = j; }
      }
    }
    if (bi < 0) break;
    const a = cs[bi];
    const b = cs[bj];
    const w = a.weight + b.weight;
    const mix = (q: number) => (a.centroid[q] * a.weight + b.centroid[q] * b.weight) / w;
    cs[bi] = { centroid: [mix(0), mix(1), mix(2)], weight: w };
    cs.splice(bj, 1);
  }
  return cs.sort((a, b) => b.weight - a.weight);
}

/** The dominant colours of CIELAB points (n interleaved triples), heaviest first, named from the palette. */
export function dominantColours(
  lab: Float32Array,
  weights: Float32Array | null,
  palette: ColourPalette,
  options: Partial<DominantColourOptions> = {},
): ColourCluster[] {
  const o = { ...DEFAULT_DOMINANT_COLOUR_OPTIONS, ...options };
  const clusters = mergeClusters(kMeans(lab, weights, o.k, o.iterations, o.seed), o.mergeDeltaE);
  const total = clusters.reduce((s, c) => s + c.weight, 0);
  return clusters.map((c) => {
    const near = nearestPaletteColour(palette, c.centroid);
    return {
      lab: c.centroid,
      share: c.weight / total,
      name: near.colour.name,
      family: near.colour.family,
      deltaE: near.deltaE,
      runnerUpDeltaE: near.runnerUpDeltaE,
    };
  });
}
