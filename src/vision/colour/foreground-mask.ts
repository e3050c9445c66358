/**
 * Which pixels of a photo show the product. The image border is taken to be background; a smooth
 * background model is grown inwards from it and refined with every pixel found to be background, and
 * the pixels that differ from that model in CIELAB are the foreground. The model is a coarse grid of
 * background colours (medians per cell), cells without background pixels filled by diffusion from
 * their neighbours, interpolated bilinearly: it follows studio white, plain surfaces with light falling
 * off across them, gradients and the coloured blocks of a cluttered room that reach the border. The
 * foreground is then cleaned (opening), reduced to the components that matter under a centre prior,
 * and small enclosed holes are filled. A cut-out image with transparency gives its own mask.
 *
 * Pure: pixels in, mask out. The defaults were chosen on validation photos (npm run eval:colour).
 */
import type { ColourImage } from './pixels';
import { median, quantile } from './stats';

export interface ForegroundMaskOptions {
  /** Width of the border band that seeds the background, as a fraction of the shorter side. */
  borderFraction: number;
  /** Cells per side of the background grid. */
  gridCells: number;
  /**
   * Colour difference from the background model (CIELAB, lightness weighted) above which a pixel is
   * foreground: `noiseMultiplier` times the background's own robust spread around the model, within
   * [threshold, maxThreshold].
   */
  threshold: number;
  maxThreshold: number;
  noiseMultiplier: number;
  /** Weight of the lightness difference: shading and shadows change lightness more than hue. */
  lightnessWeight: number;
  /** Refinements of the background model with the pixels found to be background. */
  iterations: number;
  /** A mask covering less than this share of the image is replaced by the centre prior. */
  minForeground: number;
  /**
   * A mask covering less than this share of the image's central box is joined by the centre prior (a
   * product filling the frame leaves the border model describing the product). 0: never.
   */
  minCentreCoverage: number;
  /** Enclosed background holes up to this share of the image are filled. */
  maxHole: number;
  /** Closing steps (3x3 dilations, then as many erosions) before holes are filled: joins a broken outline. */
  closeSteps: number;
  /** Whether specks are removed by an opening (3x3 erosion, then dilation) first. */
  openFirst: boolean;
  /** Components scoring at least this share of the best component's score are kept. */
  keepComponent: number;
  /** Spread of the centre prior, as a fraction of the shorter side (Gaussian sigma). */
  centreSigma: number;
  /**
   * For a background of one plain colour (a light-corrected surface): grid cells whose colour differs
   * from the median of all cells by more than this (lightness-weighted CIELAB) are taken for the
   * product reaching the border and left to be filled from their neighbours. Infinity: no check.
   */
  maxCellDeviation: number;
  /**
   * A studio backdrop: when this share of the border band has every channel at or above `studioLevel`,
   * the backdrop is white and evenly lit, and the studio threshold and lightness weight apply (a white
   * garment differs from it by lightness only).
   */
  studioShare: number;
  studioLevel: number;
  studioThreshold: number;
  studioLightnessWeight: number;
  studioCloseSteps: number;
  studioMaxHole: number;
  /**
   * On a studio backdrop, also fill pixels with foreground on all four sides (a white garment's outline
   * around its inside); specks are not opened away there (a white garment may be little more than its outline).
   */
  studioEnclosed: boolean;
}

export const DEFAULT_FOREGROUND_MASK_OPTIONS: Readonly<ForegroundMaskOptions> = {
  borderFraction: 0.04,
  gridCells: 8,
  threshold: 4,
  maxThreshold: 12,
  noiseMultiplier: 4,
  lightnessWeight: 0.5,
  iterations: 3,
  minForeground: 0.01,
  minCentreCoverage: 0.4,
  maxHole: 0.05,
  closeSteps: 0,
  openFirst: true,
  keepComponent: 0.3,
  centreSigma: 0.35,
  maxCellDeviation: Infinity,
  studioShare: 0.5,
  studioLevel: 245,
  studioThreshold: 4,
  studioLightnessWeight: 1,
  studioCloseSteps: 1,
  studioMaxHole: 0.3,
  studioEnclosed: true,
};

/** The modelled background behind every pixel, and how uniform its colour is. */
export interface BackgroundModel {
  /** Per pixel, interleaved sRGB (0..255) and CIELAB of the modelled background. */
  readonly rgb: Float32Array;
  readonly lab: Float32Array;
  /**
   * How much the background's chromaticity (r, g, b over their sum, which shading does not change)
   * varies across the cells that saw background: 0 for a plain surface however it is lit.
   */
  readonly chromaSpread: number;
  /** Share of the grid cells that saw background pixels. */
  readonly coverage: number;
}

export interface ForegroundMask {
  readonly width: number;
  readonly height: number;
  /** 1 for foreground, 0 for background, row-major. */
  readonly data: Uint8Array;
  /** Share of the pixels in the foreground. */
  readonly coverage: number;
  /** alpha: the image's transparency; background: the background model; centre: the centre prior (nothing stood out). */
  readonly source: 'alpha' | 'background' | 'centre';
  /** The background model (null when the mask came from alpha). */
  readonly background: BackgroundModel | null;
}

/**
 * The foreground mask of an image. `lab` holds the image's pixels in CIELAB (labPixels of img.rgb).
 */
export function foregroundMask(img: ColourImage, lab: Float32Array, options: Partial<ForegroundMaskOptions> = {}): ForegroundMask {
  const o = { ...DEFAULT_FOREGROUND_MASK_OPTIONS, ...options };
  const { width: w, height: h } = img;
  const n = w * h;
  if (lab.length !== n * 3) throw new RangeError(`expected ${n * 3} CIELAB values, got ${lab.length}`);

  if (img.alpha) {
    const data = new Uint8Array(n);
    let on = 0;
    for (let p = 0; p < n; p++) on += data[p] = img.alpha[p] >= 128 ? 1 : 0;
    if (on >= Math.max(1, o.minForeground * n) && on < n) return { width: w, height: h, data, coverage: on / n, source: 'alpha', background: null };
  }

  const band = Math.max(1, Math.round(o.borderFraction * Math.min(w, h)));
  // images too small for a border and an inside: everything is foreground
  if (Math.min(w, h) <= 2 * band + 1) return centrePrior(w, h, o, null, true);

  const cells = Math.max(1, Math.min(o.gridCells, Math.floor(Math.min(w, h) / 2)));
  let selected: Uint8Array = new Uint8Array(n);
  let border = 0;
  let white = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= band && y >= band && x < w - band && y < h - band) continue;
      const p = y * w + x;
      selected[p] = 1;
      border++;
      if (img.rgb[p * 3] >= o.studioLevel && img.rgb[p * 3 + 1] >= o.studioLevel && img.rgb[p * 3 + 2] >= o.studioLevel) white++;
    }
  }
  const studio = white >= o.studioShare * border;
  if (studio) {
    Object.assign(o, { threshold: o.studioThreshold, lightnessWeight: o.studioLightnessWeight, closeSteps: o.studioCloseSteps, maxHole: o.studioMaxHole, openFirst: false });
  }

  let model = fitBackground(img, lab, selected, cells, o);
  let distance: Float32Array = new Float32Array(n);
  let fg: Uint8Array = new Uint8Array(n);
  let threshold = o.threshold;
  for (let it = 0; it <= o.iterations; it++) {
    distance = backgroundDistance(lab, model.lab, o.lightnessWeight);
    // the background's own spread around the model sets the threshold
    let m = 0;
    for (let p = 0; p < n; p++) m += selected[p];
    const spread = new Float32Array(m);
    for (let p = 0, i = 0; p < n; p++) if (selected[p]) spread[i++] = distance[p];
    threshold = Math.min(o.maxThreshold, Math.max(o.threshold, o.noiseMultiplier * 1.4826 * median(spread)));
    fg = new Uint8Array(n);
    for (let p = 0; p < n; p++) fg[p] = distance[p] > threshold ? 1 : 0;
    if (it === o.iterations) break;
    // refit on the pixels confidently like the background, away from the foreground's edges
    const near = dilate(fg, w, h);
    const next = new Uint8Array(n);
    let kept = 0;
    for (let p = 0; p < n; p++) if (!near[p] && distance[p] < 0.7 * threshold) kept += next[p] = 1;
    if (kept === 0) break;
    selected = next;
    model = fitBackground(img, lab, selected, cells, o);
  }

  const background: BackgroundModel = { rgb: model.rgb, lab: model.lab, chromaSpread: model.chromaSpread, coverage: model.coverage };
  let mask = o.openFirst ? open(fg, w, h) : fg;
  if (count(mask) < o.minForeground * n) mask = fg;
  if (o.closeSteps > 0) mask = close(mask, w, h, o.closeSteps);
  mask = keepComponents(mask, w, h, o);
  mask = fillHoles(mask, w, h, Math.floor(o.maxHole * n));
  if (studio && o.studioEnclosed) mask = fillEnclosed(mask, w, h);
  const on = count(mask);
  if (on < Math.max(1, o.minForeground * n)) return centrePrior(w, h, o, background, false);
  if (!studio && centreCoverage(mask, w, h) < o.minCentreCoverage) {
    // little of the centre differs from the border: the product most likely fills the frame and the
    // border shows the product itself, so the centre is taken as well
    const prior = centrePrior(w, h, o, background, false);
    const data = Uint8Array.from(mask, (v, p) => v | prior.data[p]);
    return { width: w, height: h, data, coverage: count(data) / n, source: 'centre', background };
  }
  return { width: w, height: h, data: mask, coverage: on / n, source: 'background', background };
}

/** Share of the central box (the middle half of each side) in the mask. */
function centreCoverage(mask: Uint8Array, w: number, h: number): number {
  let on = 0;
  let all = 0;
  for (let y = Math.floor(h / 4); y < Math.ceil((3 * h) / 4); y++) {
    for (let x = Math.floor(w / 4); x < Math.ceil((3 * w) / 4); x++) {
      on += mask[y * w + x];
      all++;
    }
  }
  return all ? on / all : 1;
}

/** The centre prior as a mask: an ellipse around the centre (or everything, for tiny images). */
function centrePrior(w: number, h: number, o: ForegroundMaskOptions, background: BackgroundModel | null, all: boolean): ForegroundMask {
  const data = new Uint8Array(w * h);
  const rx = Math.max(0.5, o.centreSigma * w);
  const ry = Math.max(0.5, o.centreSigma * h);
  let on = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x + 0.5 - w / 2) / rx;
      const dy = (y + 0.5 - h / 2) / ry;
      if (all || dx * dx + dy * dy <= 1) on += data[y * w + x] = 1;
    }
  }
  if (on === 0) on += data[Math.floor(h / 2) * w + Math.floor(w / 2)] = 1;
  return { width: w, height: h, data, coverage: on / (w * h), source: 'centre', background };
}

interface GridModel {
  /** Per pixel CIELAB and sRGB of the modelled background. */
  lab: Float32Array;
  rgb: Float32Array;
  chromaSpread: number;
  coverage: number;
}

/**
 * The background model from the selected pixels: per grid cell the median of each channel (CIELAB and
 * sRGB), empty cells filled by diffusion, then bilinear interpolation between cell centres.
 */
function fitBackground(img: ColourImage, lab: Float32Array, selected: Uint8Array, cells: number, o: ForegroundMaskOptions): GridModel {
  const { width: w, height: h } = img;
  const n = w * h;
  const nc = cells * cells;
  const members: number[][] = Array.from({ length: nc }, () => []);
  for (let y = 0; y < h; y++) {
    const cy = Math.min(cells - 1, Math.floor((y * cells) / h));
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (selected[p]) members[cy * cells + Math.min(cells - 1, Math.floor((x * cells) / w))].push(p);
    }
  }
  const cellArea = n / nc;
  const minCount = Math.max(1, Math.ceil(0.08 * cellArea));
  const values = new Float64Array(nc * 6);
  const known = new Uint8Array(nc);
  for (let c = 0; c < nc; c++) {
    const m = members[c];
    if (m.length < minCount) continue;
    known[c] = 1;
    const scratch = new Float64Array(m.length);
    for (let k = 0; k < 6; k++) {
      for (let i = 0; i < m.length; i++) scratch[i] = k < 3 ? lab[m[i] * 3 + k] : img.rgb[m[i] * 3 + k - 3];
      values[c * 6 + k] = median(scratch);
    }
  }
  const knownCount = count(known);
  if (knownCount === 0) {
    // nothing selected: a flat model of the whole image's median
    const all = new Uint8Array(n).fill(1);
    return fitBackground(img, lab, all, 1, o);
  }
  if (Number.isFinite(o.maxCellDeviation) && knownCount > 2) {
    const ml = median(Array.from({ length: nc }, (_, c) => c).filter((c) => known[c]).map((c) => values[c * 6]));
    const ma = median(Array.from({ length: nc }, (_, c) => c).filter((c) => known[c]).map((c) => values[c * 6 + 1]));
    const mb = median(Array.from({ length: nc }, (_, c) => c).filter((c) => known[c]).map((c) => values[c * 6 + 2]));
    let kept = 0;
    const keep = new Uint8Array(nc);
    for (let c = 0; c < nc; c++) {
      if (!known[c]) continue;
      const dl = (values[c * 6] - ml) * o.lightnessWeight;
      const d = Math.sqrt(dl * dl + (values[c * 6 + 1] - ma) ** 2 + (values[c * 6 + 2] - mb) ** 2);
      if (d <= o.maxCellDeviation) kept += keep[c] = 1;
    }
    if (kept > 0) for (let c = 0; c < nc; c++) known[c] = keep[c];
  }
  diffuse(values, known, cells);

  const outLab = new Float32Array(n * 3);
  const outRgb = new Float32Array(n * 3);
  for (let y = 0; y < h; y++) {
    const gy = Math.min(cells - 1, Math.max(0, ((y + 0.5) * cells) / h - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(cells - 1, y0 + 1);
    const ty = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = Math.min(cells - 1, Math.max(0, ((x + 0.5) * cells) / w - 0.5));
      const x0 = Math.floor(gx);
      const x1 = Math.min(cells - 1, x0 + 1);
      const tx = gx - x0;
      const p = y * w + x;
      for (let k = 0; k < 6; k++) {
        const v =
          (1 - ty) * ((1 - tx) * values[(y0 * cells + x0) * 6 + k] + tx * values[(y0 * cells + x1) * 6 + k]) +
          ty * ((1 - tx) * values[(y1 * cells + x0) * 6 + k] + tx * values[(y1 * cells + x1) * 6 + k]);
        if (k < 3) outLab[p * 3 + k] = v;
        else outRgb[p * 3 + k - 3] = v;
      }
    }
  }

  // chromaticity spread over the cells that saw background
  const chroma: [number, number][] = [];
  for (let c = 0; c < nc; c++) {
    if (!known[c]) continue;
    const s = values[c * 6 + 3] + values[c * 6 + 4] + values[c * 6 + 5] + 1e-6;
    chroma.push([values[c * 6 + 3] / s, values[c * 6 + 4] / s]);
  }
  const mr = median(chroma.map((c) => c[0]));
  const mg = median(chroma.map((c) => c[1]));
  const spread = quantile(
    chroma.map((c) => Math.hypot(c[0] - mr, c[1] - mg)),
    0.9,
  );
  return { lab: outLab, rgb: outRgb, chromaSpread: spread, coverage: knownCount / nc };
}

/** Fills the unknown cells of a grid of 6-channel values with the mean of their neighbours, repeatedly. */
function diffuse(values: Float64Array, known: Uint8Array, cells: number): void {
  const nc = cells * cells;
  const mean = new Float64Array(6);
  let k = 0;
  for (let c = 0; c < nc; c++) if (known[c]) { for (let j = 0; j < 6; j++) mean[j] += values[c * 6 + j]; k++; }
  for (let c = 0; c < nc; c++) if (!known[c]) for (let j = 0; j < 6; j++) values[c * 6 + j] = mean[j] / k;
  if (k === nc) return;
  for (let iter = 0; iter < 4 * cells; iter++) {
    for (let cy = 0; cy < cells; cy++) {
      for (let cx = 0; cx < cells; cx++) {
        const c = cy * cells + cx;
        if (known[c]) continue;
        const acc = [0, 0, 0, 0, 0, 0];
        let m = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (!dx && !dy) continue;
            const nx = cx + dx;
            const ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= cells || ny >= cells) continue;
            const q = ny * cells + nx;
            const wgt = dx && dy ? 0.5 : 1;
            for (let j = 0; j < 6; j++) acc[j] += wgt * values[q * 6 + j];
            m += wgt;
          }
        }
        for (let j = 0; j < 6; j++) values[c * 6 + j] = acc[j] / m;
      }
    }
  }
}

/** Per pixel, the lightness-weighted CIELAB distance to the background model. */
function backgroundDistance(lab: Float32Array, model: Float32Array, lightnessWeight: number): Float32Array {
  const n = lab.length / 3;
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const dl = (lab[p * 3] - model[p * 3]) * lightnessWeight;
    const da = lab[p * 3 + 1] - model[p * 3 + 1];
    const db = lab[p * 3 + 2] - model[p * 3 + 2];
    out[p] = Math.sqrt(dl * dl + da * da + db * db);
  }
  return out;
}

/** 3x3 dilation. */
export function dilate(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let dy = -1; dy <= 1 && !v; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && mask[yy * w + xx]) { v = 1; break; }
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

/** 3x3 erosion (pixels outside the image count as set, so the border does not erode). */
export function erode(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 1;
      for (let dy = -1; dy <= 1 && v; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && !mask[yy * w + xx]) { v = 0; break; }
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

function open(mask: Uint8Array, w: number, h: number): Uint8Array {
  return dilate(erode(mask, w, h), w, h);
}

/** `steps` 3x3 dilations, then as many erosions. */
function close(mask: Uint8Array, w: number, h: number, steps: number): Uint8Array {
  let m = mask;
  for (let i = 0; i < steps; i++) m = dilate(m, w, h);
  for (let i = 0; i < steps; i++) m = erode(m, w, h);
  return m;
}

/** 4-connected components: a label per pixel (-1 where the mask is off) and the component count. */
export function components(mask: Uint8Array, w: number, h: number, value = 1): { labels: Int32Array; count: number } {
  const labels = new Int32Array(mask.length).fill(-1);
  const stack: number[] = [];
  let next = 0;
  for (let s = 0; s < mask.length; s++) {
    if (mask[s] !== value || labels[s] >= 0) continue;
    labels[s] = next;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w;
      const y = (p - x) / w;
      if (x > 0 && mask[p - 1] === value && labels[p - 1] < 0) { labels[p - 1] = next; stack.push(p - 1); }
      if (x < w - 1 && mask[p + 1] === value && labels[p + 1] < 0) { labels[p + 1] = next; stack.push(p + 1); }
      if (y > 0 && mask[p - w] === value && labels[p - w] < 0) { labels[p - w] = next; stack.push(p - w); }
      if (y < h - 1 && mask[p + w] === value && labels[p + w] < 0) { labels[p + w] = next; stack.push(p + w); }
    }
    next++;
  }
  return { labels, count: next };
}

/** The foreground components that matter: scored by their area under the centre prior, the best and those near it in score. */
function keepComponents(mask: Uint8Array, w: number, h: number, o: ForegroundMaskOptions): Uint8Array {
  const { labels, count: k } = components(mask, w, h);
  if (k <= 1) return mask;
  const score = new Float64Array(k);
  const sx = o.centreSigma * w;
  const sy = o.centreSigma * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = labels[y * w + x];
      if (l < 0) continue;
      const dx = (x + 0.5 - w / 2) / sx;
      const dy = (y + 0.5 - h / 2) / sy;
      score[l] += Math.exp(-0.5 * (dx * dx + dy * dy));
    }
  }
  const best = Math.max(...score);
  const out = new Uint8Array(mask.length);
  for (let p = 0; p < mask.length; p++) if (labels[p] >= 0 && score[labels[p]] >= o.keepComponent * best) out[p] = 1;
  return out;
}

/** Fills background components that do not touch the image border and have at most `maxArea` pixels. */
function fillHoles(mask: Uint8Array, w: number, h: number, maxArea: number): Uint8Array {
  const { labels, count: k } = components(mask, w, h, 0);
  const area = new Int32Array(k);
  const border = new Uint8Array(k);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = labels[y * w + x];
      if (l < 0) continue;
      area[l]++;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) border[l] = 1;
    }
  }
  const out = Uint8Array.from(mask);
  for (let p = 0; p < mask.length; p++) {
    const l = labels[p];
    if (l >= 0 && !border[l] && area[l] <= maxArea) out[p] = 1;
  }
  return out;
}

/** Sets the pixels with a set pixel somewhere to their left, right, above and below. */
function fillEnclosed(mask: Uint8Array, w: number, h: number): Uint8Array {
  const left = new Int32Array(h).fill(w);
  const right = new Int32Array(h).fill(-1);
  const top = new Int32Array(w).fill(h);
  const bottom = new Int32Array(w).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      left[y] = Math.min(left[y], x);
      right[y] = Math.max(right[y], x);
      top[x] = Math.min(top[x], y);
      bottom[x] = Math.max(bottom[x], y);
    }
  }
  const out = Uint8Array.from(mask);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x > left[y] && x < right[y] && y > top[x] && y < bottom[x]) out[y * w + x] = 1;
  return out;
}

function count(mask: Uint8Array): number {
  let s = 0;
  for (let p = 0; p < mask.length; p++) s += mask[p];
  return s;
}
