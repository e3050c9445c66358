/**
 * Colour signatures: how the products the catalogue calls "navy" look to this module. A garment is
 * not one colour: a navy gingham shows navy, its pale check colour and the blend of the two in
 * roughly equal parts, a camouflage print its colour, a darker tone of it and a contrast colour. For
 * every catalogue colour and pattern the signature is the mean soft histogram (shares of the
 * palette colours, each pixel cluster spread over the palette colours near it) of catalogue images
 * of the train split; a picture is given the colour whose signature explains its histogram best
 * (multinomial likelihood, best pattern). Derived from the catalogue by
 * `npm run eval:colour -- --write-signatures` (catalogue-signatures.json), never hand-written.
 */
import signaturesJson from './catalogue-signatures.json';
import { deltaE2000, type Lab } from './lab';
import type { ColourPalette } from './palette';

export const SIGNATURES_FORMAT = 'colour-signatures/1';

export interface SignatureOptions {
  /** CIEDE2000 scale of the soft assignment of a cluster to palette colours. */
  sigma: number;
  /** Added to every signature share before the logarithm (how much unexplained colour costs). */
  epsilon: number;
  /** Inverse temperature of the posterior over colours (confidence). */
  sharpness: number;
}

export const DEFAULT_SIGNATURE_OPTIONS: Readonly<SignatureOptions> = { sigma: 12, epsilon: 0.03, sharpness: 20 };

/** The serialised signatures (catalogue-signatures.json). */
export interface SignaturesFile {
  format: string;
  source: Record<string, string | number>;
  options: SignatureOptions;
  /** Palette colour names, the order of every histogram. */
  names: string[];
  entries: { name: string; group: string; images: number; histogram: number[] }[];
}

export interface ColourSignatures {
  readonly options: SignatureOptions;
  readonly names: readonly string[];
  readonly entries: readonly { name: string; group: string; images: number; logShares: Float64Array }[];
  readonly source: Readonly<Record<string, string | number>>;
}

/**
 * The soft histogram of clusters over the palette: each cluster's share spread over the palette colours
 * with weights exp(-(CIEDE2000 / sigma)^2), normalised; in palette order, summing to 1.
 */
export function softHistogram(clusters: readonly { lab: Lab; share: number }[], palette: ColourPalette, sigma: number): Float64Array {
  const k = palette.colours.length;
  const out = new Float64Array(k);
  const w = new Float64Array(k);
  let total = 0;
  for (const c of clusters) {
    let sum = 0;
    palette.colours.forEach((p, i) => {
      w[i] = Math.exp(-((deltaE2000(c.lab, p.lab) / sigma) ** 2));
      sum += w[i];
    });
    if (!(sum > 0)) {
      // far from every palette colour: all of it to the nearest
      let best = 0;
      let bestD = Infinity;
      palette.colours.forEach((p, i) => {
        const d = deltaE2000(c.lab, p.lab);
        if (d < bestD) { bestD = d; best = i; }
      });
      w.fill(0);
      w[best] = 1;
      sum = 1;
    }
    for (let i = 0; i < k; i++) out[i] += (c.share * w[i]) / sum;
    total += c.share;
  }
  if (total > 0) for (let i = 0; i < k; i++) out[i] /= total;
  return out;
}

/** Signatures from labelled soft histograms: the mean histogram per (name, group). */
export function deriveSignatures(
  samples: Iterable<{ name: string; group: string; histogram: ArrayLike<number> }>,
  palette: ColourPalette,
  options: SignatureOptions = DEFAULT_SIGNATURE_OPTIONS,
  source: Record<string, string | number> = {},
): SignaturesFile {
  const names = palette.colours.map((c) => c.name);
  const sums = new Map<string, { name: string; group: string; n: number; h: Float64Array }>();
  for (const s of samples) {
    if (s.histogram.length !== names.length) throw new RangeError(`a histogram has ${s.histogram.length} shares; the palette has ${names.length} colours`);
    const key = `${s.name}\u0000${s.group}`;
    let e = sums.get(key);
    if (!e) sums.set(key, (e = { name: s.name, group: s.group, n: 0, h: new Float64Array(names.length) }));
    for (let i = 0; i < names.length; i++) e.h[i] += s.histogram[i];
    e.n++;
  }
  const entries = [...sums.values()]
    .sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name) || a.group.localeCompare(b.group))
    .map((e) => ({ name: e.name, group: e.group, images: e.n, histogram: Array.from(e.h, (v) => Math.round((v / e.n) * 1e5) / 1e5) }));
  return { format: SIGNATURES_FORMAT, source, options: { ...options }, names, entries };
}

/** Signatures from their serialised form; the palette must have the same colours in the same order. */
export function signaturesFromFile(file: SignaturesFile, palette: ColourPalette): ColourSignatures {
  if (file.format !== SIGNATURES_FORMAT) throw new Error(`unknown colour signatures format "${file.format}" (expected ${SIGNATURES_FORMAT})`);
  const names = palette.colours.map((c) => c.name);
  if (file.names.length !== names.length || file.names.some((n, i) => n !== names[i])) {
    throw new Error('the colour signatures were made with another palette; rebuild them (npm run eval:colour -- --write-signatures)');
  }
  if (!file.entries.length) throw new Error('the colour signatures have no entries');
  const eps = file.options.epsilon;
  return {
    options: { ...DEFAULT_SIGNATURE_OPTIONS, ...file.options },
    names,
    entries: file.entries.map((e) => {
      if (!names.includes(e.name) || e.histogram.length !== names.length) throw new Error(`bad colour signature for "${e.name}" / "${e.group}"`);
      return { name: e.name, group: e.group, images: e.images, logShares: Float64Array.from(e.histogram, (v) => Math.log(v + eps)) };
    }),
    source: { ...file.source },
  };
}

const loaded = new WeakMap<ColourPalette, ColourSignatures | null>();

/**
 * The seed catalogue's signatures (catalogue-signatures.json) for a palette with the same colours, or
 * null for another palette (colour prediction then falls back to the largest histogram entry).
 */
export function catalogueSignatures(palette: ColourPalette): ColourSignatures | null {
  if (!loaded.has(palette)) {
    let s: ColourSignatures | null = null;
    try {
      s = signaturesFromFile(signaturesJson as unknown as SignaturesFile, palette);
    } catch {
      s = null;
    }
    loaded.set(palette, s);
  }
  return loaded.get(palette)!;
}

export interface ColourPrediction {
  /** The predicted colour and the group (pattern) whose signature explained the histogram best. */
  readonly name: string;
  readonly group: string;
  /** Posterior of the predicted colour (softmax of the scores times `sharpness`). */
  readonly probability: number;
  /** Per colour, the best log-likelihood score, best first. */
  readonly scores: readonly { name: string; score: number }[];
}

/** The colour whose signature explains a soft histogram best. */
export function predictColour(histogram: ArrayLike<number>, signatures: ColourSignatures): ColourPrediction {
  const best = new Map<string, { score: number; group: string }>();
  for (const e of signatures.entries) {
    let score = 0;
    for (let i = 0; i < e.logShares.length; i++) score += histogram[i] * e.logShares[i];
    const b = best.get(e.name);
    if (!b || score > b.score) best.set(e.name, { score, group: e.group });
  }
  const scores = [...best].map(([name, b]) => ({ name, score: b.score })).sort((a, b) => b.score - a.score || signatures.names.indexOf(a.name) - signatures.names.indexOf(b.name));
  const top = scores[0];
  let z = 0;
  for (const s of scores) z += Math.exp(signatures.options.sharpness * (s.score - top.score));
  return { name: top.name, group: best.get(top.name)!.group, probability: 1 / z, scores };
}
