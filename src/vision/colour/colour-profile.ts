/**
 * A product's colour profile from its picture: the foreground mask, light corrected from the
 * background, the dominant colours of the foreground in CIELAB named by the catalogue's palette, a
 * histogram of those names (shares of the foreground summing to 1), the predicted colour and family.
 * Used at ingest (one profile stored per product) and for query images alike; colourSimilarity
 * compares two histograms for re-ranking and describeColours writes the explanation.
 */
import { dominantColours, type ColourCluster, type DominantColourOptions } from './dominant-colours';
import { erode, foregroundMask, type ForegroundMask, type ForegroundMaskOptions } from './foreground-mask';
import { estimateIllumination, type IlluminationOptions } from './illumination';
import { deltaE2000, labPixels, rgbToLab, type Lab, type Rgb } from './lab';
import { catalogueSignatures, predictColour, softHistogram, type ColourSignatures } from './colour-signatures';
import { cataloguePalette, type ColourPalette } from './palette';
import { decodeColourImage, WORKING_SIZE, type ColourImage } from './pixels';

export interface ColourShare {
  readonly name: string;
  readonly share: number;
}

export interface ColourProfile {
  /** Palette colours of the foreground with their shares, largest first; shares sum to 1. */
  readonly histogram: readonly ColourShare[];
  /**
   * The predicted catalogue colour: with colour signatures, the colour whose catalogue products'
   * signature explains the histogram best (a navy gingham is navy though half its pixels are a blend);
   * without, the largest entry of the histogram.
   */
  readonly dominant: string;
  /** Its colour family. */
  readonly family: string;
  /**
   * 0..1: with signatures, the posterior of `dominant` among the colours; without, its share,
   * discounted when its colour lies between two palette colours.
   */
  readonly confidence: number;
  /**
   * Probability of each colour, best first: with signatures, the posterior over the palette's colours
   * (softmax of the signatures' scores; the colours above 0.1% of it); without, the histogram's shares.
   */
  readonly probabilities: readonly { name: string; probability: number }[];
  /** CIELAB of the dominant colour as seen: the largest cluster named `dominant`, else the cluster nearest to it. */
  readonly lab: readonly [number, number, number];
  /** What predicted `dominant`. */
  readonly predictedBy: 'signatures' | 'histogram';
  /** The clusters the histogram was made of, heaviest first. */
  readonly clusters: readonly ColourCluster[];
  /** Share of the image in the foreground, and where the mask came from. */
  readonly foreground: number;
  readonly maskSource: ForegroundMask['source'];
  /** Whether the light was corrected from a plain background. */
  readonly lightCorrected: boolean;
}

export interface ColourProfileOptions {
  /** Working size (longest side) the image is shrunk to. */
  size: number;
  mask: Partial<ForegroundMaskOptions>;
  /** false: never correct the light. */
  illumination: Partial<IlluminationOptions> | false;
  clusters: Partial<DominantColourOptions>;
  /**
   * Leave out the foreground's edge, this many pixels deep (a blend of product and background, smeared
   * by blur), as long as enough of the foreground remains.
   */
  erodeEdges: number;
  /** Mask and light passes (colourRegion). */
  passes: number;
  /**
   * Pixels of the mask closer than this to the modelled background (CIELAB) are left out of the colours
   * when enough others remain (shadow edges and blur halos taken into the mask). 0: none left out.
   */
  sampleMinDistance: number;
  /**
   * Pixels within this CIEDE2000 of a skin tone (the Monk Skin Tone scale) are left out of the colours
   * when they are a minority of the foreground (hands holding the product). 0: none left out.
   */
  skinDeltaE: number;
  /** Pixels are weighted by a centre prior of this spread (fraction of the side; 0: equal weights). */
  centreWeight: number;
  /** Mask options of the passes on the light-corrected image (over `mask`). */
  correctedMask: Partial<ForegroundMaskOptions>;
  /**
   * Colour signatures for the prediction; undefined: the seed catalogue's when the palette matches
   * (catalogueSignatures), null: none (the largest histogram entry is the prediction).
   */
  signatures?: ColourSignatures | null;
}

export const DEFAULT_COLOUR_PROFILE_OPTIONS: Readonly<ColourProfileOptions> = {
  size: WORKING_SIZE,
  mask: {},
  illumination: {},
  clusters: {},
  erodeEdges: 2,
  passes: 2,
  centreWeight: 0,
  skinDeltaE: 4,
  sampleMinDistance: 0,
  correctedMask: { lightnessWeight: 1 },
};

/** The colour profile of an encoded image (JPEG, PNG, WebP...). Bad input throws InvalidInputError. */
export async function colourProfile(
  image: Buffer,
  palette: ColourPalette = cataloguePalette(),
  options: Partial<ColourProfileOptions> = {},
): Promise<ColourProfile> {
  const size = options.size ?? DEFAULT_COLOUR_PROFILE_OPTIONS.size;
  return colourProfileOfPixels(await decodeColourImage(image, size), palette, options);
}

/** The colour profile of decoded pixels (pure and synchronous). */
export function colourProfileOfPixels(
  img: ColourImage,
  palette: ColourPalette = cataloguePalette(),
  options: Partial<ColourProfileOptions> = {},
): ColourProfile {
  const o = { ...DEFAULT_COLOUR_PROFILE_OPTIONS, ...options };
  return profileOfRegion(colourRegion(img, labPixels(img.rgb), o), palette, o);
}

/**
 * The colour profile of decoded pixels whose foreground is known (`lab`: labPixels of img.rgb; `mask`:
 * from foregroundMask or another segmentation). The light is corrected from the mask's background.
 */
export function colourProfileOfMasked(
  img: ColourImage,
  lab: Float32Array,
  mask: ForegroundMask,
  palette: ColourPalette = cataloguePalette(),
  options: Partial<ColourProfileOptions> = {},
): ColourProfile {
  const o = { ...DEFAULT_COLOUR_PROFILE_OPTIONS, ...options };
  const gain = o.illumination === false || mask.source === 'alpha' ? null : estimateIllumination(img, mask.data, o.illumination).gain;
  const region: ColourRegion = gain ? { mask, ...corrected(img, gain) } : { mask, image: img, lab, lightCorrected: false };
  return profileOfRegion(region, palette, o);
}

/** The product's pixels: the foreground mask and the image with the light corrected (when it was). */
export interface ColourRegion {
  readonly mask: ForegroundMask;
  readonly image: ColourImage;
  /** CIELAB of image.rgb. */
  readonly lab: Float32Array;
  readonly lightCorrected: boolean;
}

/**
 * Finds the product and corrects the light: a first mask, the light estimated from its background,
 * then (`passes` > 1) the mask again on the corrected image, where a plain background is flat and the
 * product stands out from it, and the light again from that better background.
 */
export function colourRegion(img: ColourImage, lab: Float32Array, options: Partial<ColourProfileOptions> = {}): ColourRegion {
  const o = { ...DEFAULT_COLOUR_PROFILE_OPTIONS, ...options };
  let mask = foregroundMask(img, lab, o.mask);
  if (o.illumination === false || mask.source === 'alpha') return { mask, image: img, lab, lightCorrected: false };
  const gain = estimateIllumination(img, mask.data, o.illumination).gain;
  if (!gain) return { mask, image: img, lab, lightCorrected: false };
  let fixed = corrected(img, gain);
  for (let pass = 1; pass < o.passes; pass++) {
    mask = foregroundMask(fixed.image, fixed.lab, { ...o.mask, ...o.correctedMask });
    const again = estimateIllumination(img, mask.data, o.illumination).gain;
    if (!again) break;
    fixed = corrected(img, again);
  }
  return { mask, ...fixed };
}

/** The image times a per-pixel gain (clipped to 0..255, rounded), with its CIELAB. */
function corrected(img: ColourImage, gain: Float32Array): { image: ColourImage; lab: Float32Array; lightCorrected: true } {
  const rgb = new Uint8Array(img.rgb.length);
  for (let p = 0; p < gain.length; p++) {
    for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.min(255, Math.round(img.rgb[p * 3 + k] * gain[p]));
  }
  const image: ColourImage = { width: img.width, height: img.height, rgb, alpha: img.alpha };
  return { image, lab: labPixels(rgb), lightCorrected: true };
}

/** The profile of a region: clusters of its (inner) pixels, named, as a histogram. */
function profileOfRegion(region: ColourRegion, palette: ColourPalette, o: ColourProfileOptions): ColourProfile {
  const { mask, image, lab } = region;
  const n = image.width * image.height;
  let sample = mask.data;
  for (let step = 0; step < o.erodeEdges; step++) {
    const inner = erode(sample, image.width, image.height);
    const kept = inner.reduce((s, v) => s + v, 0);
    if (kept < Math.max(16, 0.4 * mask.coverage * n)) break;
    sample = inner;
  }
  const bg = mask.background?.lab;
  if (bg && o.sampleMinDistance > 0) {
    const far = new Uint8Array(n);
    let kept = 0;
    let total = 0;
    for (let p = 0; p < n; p++) {
      if (!sample[p]) continue;
      total++;
      const d = Math.hypot(lab[p * 3] - bg[p * 3], lab[p * 3 + 1] - bg[p * 3 + 1], lab[p * 3 + 2] - bg[p * 3 + 2]);
      if (d >= o.sampleMinDistance) kept += far[p] = 1;
    }
    if (kept >= Math.max(16, 0.5 * total)) sample = far;
  }
  if (o.skinDeltaE > 0) {
    const kept = new Uint8Array(n);
    const seen = new Map<number, boolean>();
    let k = 0;
    let total = 0;
    for (let p = 0; p < n; p++) {
      if (!sample[p]) continue;
      total++;
      const key = (image.rgb[p * 3] << 16) | (image.rgb[p * 3 + 1] << 8) | image.rgb[p * 3 + 2];
      let skin = seen.get(key);
      if (skin === undefined) seen.set(key, (skin = isSkin(lab[p * 3], lab[p * 3 + 1], lab[p * 3 + 2], o.skinDeltaE)));
      if (!skin) k += kept[p] = 1;
    }
    if (k >= Math.max(16, 0.5 * total)) sample = kept;
  }
  let count = 0;
  for (let p = 0; p < n; p++) count += sample[p];
  const points = new Float32Array(count * 3);
  const weights = o.centreWeight > 0 ? new Float32Array(count) : null;
  for (let p = 0, i = 0; p < n; p++) {
    if (!sample[p]) continue;
    points.set(lab.subarray(p * 3, p * 3 + 3), 3 * i);
    if (weights) {
      const dx = ((p % image.width) + 0.5 - image.width / 2) / (o.centreWeight * image.width);
      const dy = (Math.floor(p / image.width) + 0.5 - image.height / 2) / (o.centreWeight * image.height);
      weights[i] = Math.exp(-0.5 * (dx * dx + dy * dy));
    }
    i++;
  }

  const clusters = dominantColours(points, weights, palette, o.clusters);
  const histogram = colourHistogram(clusters, palette);
  const signatures = o.signatures === undefined ? catalogueSignatures(palette) : o.signatures;
  let dominant = histogram[0].name;
  let confidence: number;
  let probabilities: { name: string; probability: number }[] = histogram.map((h) => ({ name: h.name, probability: round(h.share, 4) }));
  if (signatures) {
    const prediction = predictColour(softHistogram(clusters, palette, signatures.options.sigma), signatures);
    dominant = prediction.name;
    confidence = prediction.probability;
    const top = prediction.scores[0].score;
    const weights = prediction.scores.map((x) => ({ name: x.name, w: Math.exp(signatures.options.sharpness * (x.score - top)) }));
    const z = weights.reduce((a, x) => a + x.w, 0);
    probabilities = weights.map((x) => ({ name: x.name, probability: round(x.w / z, 4) })).filter((x) => x.probability >= 0.001);
  } else {
    const top = clusters.find((c) => c.name === dominant)!;
    const separation = Number.isFinite(top.runnerUpDeltaE) && top.runnerUpDeltaE > 0 ? (top.runnerUpDeltaE - top.deltaE) / (top.runnerUpDeltaE + top.deltaE) : 1;
    confidence = histogram[0].share * Math.max(0, separation);
  }
  const colour = palette.colours.find((c) => c.name === dominant)!;
  const seen =
    clusters.find((c) => c.name === dominant) ??
    clusters.reduce((a, b) => (deltaE2000(a.lab, colour.lab) <= deltaE2000(b.lab, colour.lab) ? a : b));
  return {
    histogram,
    dominant,
    family: colour.family,
    confidence: round(confidence, 4),
    probabilities,
    lab: [round(seen.lab[0], 2), round(seen.lab[1], 2), round(seen.lab[2], 2)],
    predictedBy: signatures ? 'signatures' : 'histogram',
    clusters,
    foreground: mask.coverage,
    maskSource: mask.source,
    lightCorrected: region.lightCorrected,
  };
}

/** The Monk Skin Tone scale (Ellis Monk; published by Google, 2022), lightest to darkest, sRGB. */
const MONK_SKIN_TONES: readonly Rgb[] = [
  [246, 237, 228], [243, 231, 219], [247, 234, 208], [234, 218, 186], [215, 189, 150],
  [160, 126, 86], [130, 92, 67], [96, 65, 52], [58, 49, 42], [41, 36, 32],
];

let skinLocus: Lab[] | undefined;

/** Whether a CIELAB colour lies within `deltaE` (CIEDE2000) of the skin-tone locus (the scale's tones and the segments between them). */
function isSkin(l: number, a: number, b: number, deltaE: number): boolean {
  skinLocus ??= MONK_SKIN_TONES.slice(0, -1).flatMap((from, i) =>
    Array.from({ length: 6 }, (_, k) => {
      const t = k / 6;
      const to = MONK_SKIN_TONES[i + 1];
      return rgbToLab(from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, from[2] + (to[2] - from[2]) * t);
    }),
  ).concat([rgbToLab(...(MONK_SKIN_TONES[MONK_SKIN_TONES.length - 1] as [number, number, number]))]);
  const c: Lab = [l, a, b];
  for (const s of skinLocus) {
    // cheap CIE76 pre-check before CIEDE2000
    if (Math.abs(s[0] - l) > 3 * deltaE) continue;
    if (deltaE2000(c, s) <= deltaE) return true;
  }
  return false;
}

/** Cluster shares summed by palette name, largest first (ties in palette order); shares sum to 1. */
export function colourHistogram(clusters: readonly { name: string; share: number }[], palette: ColourPalette): ColourShare[] {
  const order = new Map(palette.colours.map((c, i) => [c.name, i]));
  const sums = new Map<string, number>();
  let total = 0;
  for (const c of clusters) {
    sums.set(c.name, (sums.get(c.name) ?? 0) + c.share);
    total += c.share;
  }
  return [...sums]
    .map(([name, share]) => ({ name, share: total > 0 ? share / total : 0 }))
    .sort((a, b) => b.share - a.share || (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
}

const kernels = new WeakMap<ColourPalette, Map<string, Map<string, number>>>();

/** How alike two palette colours look: exp(-(CIEDE2000 / sigma)^2), 1 for the same colour. */
function kernel(palette: ColourPalette, sigma: number): Map<string, Map<string, number>> {
  let k = kernels.get(palette);
  if (!k) {
    k = new Map();
    for (const a of palette.colours) {
      const row = new Map<string, number>();
      for (const b of palette.colours) row.set(b.name, Math.exp(-((deltaE2000(a.lab, b.lab) / sigma) ** 2)));
      k.set(a.name, row);
    }
    kernels.set(palette, k);
  }
  return k;
}

/** Perceptual scale (CIEDE2000) of colourSimilarity: palette colours this far apart count about a third alike. */
export const SIMILARITY_SIGMA = 15;

/**
 * Similarity of two colour histograms in 0..1 (1: the same colours in the same shares): the cosine
 * of the histograms under a perceptual kernel between palette colours, so navy is partly like blue and
 * not at all like yellow. Names not in the palette match only themselves. Empty histograms give 0.
 */
export function colourSimilarity(a: readonly ColourShare[], b: readonly ColourShare[], palette: ColourPalette = cataloguePalette()): number {
  const k = kernel(palette, SIMILARITY_SIGMA);
  const sim = (x: string, y: string) => (x === y ? 1 : k.get(x)?.get(y) ?? 0);
  const dot = (u: readonly ColourShare[], v: readonly ColourShare[]) => {
    let s = 0;
    for (const p of u) for (const q of v) s += p.share * q.share * sim(p.name, q.name);
    return s;
  };
  const norm = Math.sqrt(dot(a, a) * dot(b, b));
  if (!(norm > 0)) return 0;
  return Math.min(1, Math.max(0, dot(a, b) / norm));
}

/**
 * The explanation of a histogram: "70% navy, 20% white". Entries under `minShare` are left out, at most
 * `max` are listed; percentages are rounded to 5 (or to 1 under 10%).
 */
export function describeColours(histogram: readonly ColourShare[], options: { minShare?: number; max?: number } = {}): string {
  const minShare = options.minShare ?? 0.1;
  const max = options.max ?? 3;
  const listed = histogram.filter((h) => h.share >= minShare).slice(0, max);
  if (!listed.length && histogram.length && max > 0) listed.push(histogram[0]);
  return listed
    .map((h) => {
      const pct = h.share * 100;
      const shown = pct >= 10 ? Math.round(pct / 5) * 5 : Math.max(1, Math.round(pct));
      return `${shown}% ${h.name}`;
    })
    .join(', ');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export type { Lab };
