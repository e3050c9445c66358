/**
 * Flat-field correction from the background. When the background is one plain surface (most of its
 * pixels share one chromaticity, r, g and b over their sum, which light does not change), every change
 * of its brightness across the photo is light, and the same light falls on the product:
 *
 * - the fall-off of the light across the photo is fitted as a plane in brightness (a robust fit that
 *   gives little weight to pixels darker than the plane: shadows);
 * - cast shadows are the background's brightness under that plane: their ratio is smoothed on a coarse
 *   grid and carried across the product from the background around it;
 * - each pixel is divided by the light (plane times shadow) behind it, the brightest point of the
 *   plane standing for full light (times `exposure`).
 *
 * A cluttered background (no single chromaticity) or a studio backdrop at white gets no correction.
 * Pure: pixels and mask in, a per-pixel gain out. Defaults chosen on validation photos (npm run eval:colour).
 */
import { dilate } from './foreground-mask';
import type { ColourImage } from './pixels';
import { median, quantile } from './stats';

export interface IlluminationOptions {
  /** Share of the background pixels that must lie within `chromaTolerance` of its median chromaticity. */
  minPlainShare: number;
  /** Chromaticity distance (r/(r+g+b), g/(r+g+b)) still counted as the same surface. */
  chromaTolerance: number;
  /** A background whose median channel value is at least this is a studio backdrop: no correction. */
  studioLevel: number;
  /** Cells per side of the shadow grid. */
  gridCells: number;
  /** Gains are clipped to [1 / maxGain, maxGain]. */
  maxGain: number;
  /** Overall gain: the light at the brightest point of the plane, relative to the catalogue's. */
  exposure: number;
  /** Whether cast shadows are corrected too (else only the plane of the light). */
  shadows: boolean;
  /** The plane fit starts from the surface pixels above this quantile of the residuals. */
  upperStart: number;
  /** Huber steps before Tukey's biweight. */
  huberSteps: number;
  /** Robust refinement steps (Huber, then Tukey). */
  robustSteps: number;
  /** Try a straight shadow (one profile across a direction) before the grid. */
  straightShadows: boolean;
  /** Root mean square error (of the shadow ratio) up to which the straight profile is used. */
  straightTolerance: number;
}

export const DEFAULT_ILLUMINATION_OPTIONS: Readonly<IlluminationOptions> = {
  minPlainShare: 0.5,
  chromaTolerance: 0.03,
  studioLevel: 245,
  gridCells: 8,
  maxGain: 3,
  exposure: 0.95,
  shadows: true,
  upperStart: 0.5,
  huberSteps: 0,
  robustSteps: 12,
  straightShadows: true,
  straightTolerance: 0.05,
};

/** Why a gain was or was not computed, with the fitted light. */
export interface Illumination {
  /** Per pixel gain, or null when nothing is corrected. */
  readonly gain: Float32Array | null;
  readonly reason: 'corrected' | 'no-background' | 'cluttered' | 'studio';
  /** Share of background pixels of the surface's chromaticity. */
  readonly plainShare: number;
  /** The fitted plane of the light, r + g + b = a + b x + c y (x, y from -0.5 to 0.5), when corrected. */
  readonly plane?: readonly [number, number, number];
}

/**
 * The light falling on a plain background, as a per-pixel gain that undoes it. `foreground` is the
 * foreground mask (1 = product); everything else, away from the product's edge, is background.
 */
export function estimateIllumination(img: ColourImage, foreground: Uint8Array, options: Partial<IlluminationOptions> = {}): Illumination {
  const o = { ...DEFAULT_ILLUMINATION_OPTIONS, ...options };
  const { width: w, height: h, rgb } = img;
  const n = w * h;
  const near = dilate(foreground, w, h);
  const bg: number[] = [];
  for (let p = 0; p < n; p++) if (!near[p]) bg.push(p);
  if (bg.length < Math.max(8, 0.05 * n)) return { gain: null, reason: 'no-background', plainShare: 0 };

  // one surface? chromaticity of the background pixels around their median
  const cr: number[] = [];
  const cg: number[] = [];
  const level: number[] = [];
  for (const p of bg) {
    const s = rgb[p * 3] + rgb[p * 3 + 1] + rgb[p * 3 + 2] + 1e-6;
    cr.push(rgb[p * 3] / s);
    cg.push(rgb[p * 3 + 1] / s);
    level.push(s / 3);
  }
  const mr = median(cr);
  const mg = median(cg);
  let plain = 0;
  for (let i = 0; i < bg.length; i++) if (Math.hypot(cr[i] - mr, cg[i] - mg) <= o.chromaTolerance) plain++;
  const plainShare = plain / bg.length;
  if (plainShare < o.minPlainShare) return { gain: null, reason: 'cluttered', plainShare };
  if (median(level) >= o.studioLevel) return { gain: null, reason: 'studio', plainShare };

  // the plane of the light, fitted to the surface's pixels; shadows (below it) weigh little
  const surface = bg.filter((_, i) => Math.hypot(cr[i] - mr, cg[i] - mg) <= o.chromaTolerance);
  const m = surface.length;
  const px = new Float64Array(m);
  const py = new Float64Array(m);
  const pv = new Float64Array(m);
  surface.forEach((p, i) => {
    px[i] = ((p % w) + 0.5) / w - 0.5;
    py[i] = (Math.floor(p / w) + 0.5) / h - 0.5;
    pv[i] = rgb[p * 3] + rgb[p * 3 + 1] + rgb[p * 3 + 2];
  });
  const weight = new Float64Array(m).fill(1);
  const residual = new Float64Array(m);
  const residuals = (plane: readonly number[]) => {
    for (let i = 0; i < m; i++) residual[i] = pv[i] - (plane[0] + plane[1] * px[i] + plane[2] * py[i]);
  };
  let plane = fitPlane(px, py, pv, weight);
  // shadows only darken: start from the upper part of the residuals ...
  for (let it = 0; it < 3; it++) {
    residuals(plane);
    const cut = quantile(residual, o.upperStart);
    for (let i = 0; i < m; i++) weight[i] = residual[i] >= cut ? 1 : 0;
    plane = fitPlane(px, py, pv, weight);
  }
  // ... then refine robustly (Huber steps, then Tukey's biweight), the noise scale taken from the
  // residuals above the plane, so that shadows and bright stray objects stop counting
  for (let it = 0; it < o.robustSteps; it++) {
    residuals(plane);
    const above = residual.filter((r) => r > 0);
    const scale = Math.max(0.01 * Math.max(1, plane[0]), 1.4826 * median(above));
    const tukey = it >= o.huberSteps;
    for (let i = 0; i < m; i++) {
      const u = residual[i] / scale;
      weight[i] = tukey ? (Math.abs(u) < 4.685 ? (1 - (u / 4.685) ** 2) ** 2 : 0) : 1 / Math.max(1, Math.abs(u) / 1.345);
    }
    plane = fitPlane(px, py, pv, weight);
  }
  const at = (x: number, y: number) => plane[0] + plane[1] * x + plane[2] * y;
  const top = Math.max(at(-0.5, -0.5), at(0.5, -0.5), at(-0.5, 0.5), at(0.5, 0.5));
  if (!(top > 0)) return { gain: null, reason: 'no-background', plainShare };

  // shadows: the surface's brightness over the plane, on a coarse grid filled across the product
  const cells = Math.max(1, Math.min(o.gridCells, Math.floor(Math.min(w, h) / 2)));
  const members: number[][] = Array.from({ length: cells * cells }, () => []);
  surface.forEach((p, i) => {
    const cx = Math.min(cells - 1, Math.floor(((p % w) * cells) / w));
    const cy = Math.min(cells - 1, Math.floor((Math.floor(p / w) * cells) / h));
    members[cy * cells + cx].push(Math.min(1.1, Math.max(0.3, pv[i] / Math.max(1, at(px[i], py[i])))));
  });
  const ratio = new Float64Array(cells * cells);
  const known = new Uint8Array(cells * cells);
  const minCount = Math.max(1, Math.ceil((0.08 * n) / (cells * cells)));
  for (let c = 0; c < cells * cells; c++) {
    if (members[c].length >= minCount) {
      ratio[c] = median(members[c]);
      known[c] = 1;
    }
  }
  fillGrid(ratio, known, cells);

  // a straight shadow (the edge of a window, a shelf, a pole) is carried across the product along its
  // direction when one straight profile explains the surface's shadows
  const surfaceRatio = Float64Array.from(pv, (v, i) => Math.min(1.1, Math.max(0.3, v / Math.max(1, at(px[i], py[i])))));
  const straight = o.straightShadows ? straightProfile(px, py, surfaceRatio) : null;
  const useStraight = straight !== null && straight.rms <= o.straightTolerance;

  const gain = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const shadow = !o.shadows
        ? 1
        : useStraight
          ? straight!.at((x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5)
          : bilinear(ratio, cells, ((x + 0.5) * cells) / w - 0.5, ((y + 0.5) * cells) / h - 0.5);
      const light = Math.max(1e-3, at((x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5) * Math.min(1, shadow));
      gain[p] = Math.min(o.maxGain, Math.max(1 / o.maxGain, (o.exposure * top) / light));
    }
  }
  return { gain, reason: 'corrected', plainShare, plane };
}

const STRAIGHT_BINS = 32;
const HALF_DIAGONAL = Math.SQRT1_2;

/**
 * The straight profile that best explains values at points (x, y in -0.5..0.5): for every direction
 * (5 degree steps) the mean value in bins across it (empty bins interpolated), the direction with the
 * least squared error winning. Returns its root mean square error and the profile as a function.
 */
export function straightProfile(xs: Float64Array, ys: Float64Array, values: Float64Array): { rms: number; angle: number; at: (x: number, y: number) => number } | null {
  const m = values.length;
  if (m < 16) return null;
  const sum = new Float64Array(STRAIGHT_BINS);
  const cnt = new Float64Array(STRAIGHT_BINS);
  const binOf = (u: number) => Math.min(STRAIGHT_BINS - 1, Math.max(0, Math.floor(((u + HALF_DIAGONAL) / (2 * HALF_DIAGONAL)) * STRAIGHT_BINS)));
  let best: { sse: number; angle: number; profile: Float64Array } | null = null;
  for (let deg = 0; deg < 180; deg += 5) {
    const c = Math.cos((deg * Math.PI) / 180);
    const s = Math.sin((deg * Math.PI) / 180);
    sum.fill(0);
    cnt.fill(0);
    for (let i = 0; i < m; i++) {
      const b = binOf(xs[i] * c + ys[i] * s);
      sum[b] += values[i];
      cnt[b]++;
    }
    const profile = fillProfile(sum, cnt);
    let sse = 0;
    for (let i = 0; i < m; i++) sse += (values[i] - profile[binOf(xs[i] * c + ys[i] * s)]) ** 2;
    if (!best || sse < best.sse) best = { sse, angle: deg, profile };
  }
  const { angle, profile } = best!;
  const c = Math.cos((angle * Math.PI) / 180);
  const s = Math.sin((angle * Math.PI) / 180);
  return {
    rms: Math.sqrt(best!.sse / m),
    angle,
    at: (x, y) => {
      // linear between bin centres
      const t = ((x * c + y * s + HALF_DIAGONAL) / (2 * HALF_DIAGONAL)) * STRAIGHT_BINS - 0.5;
      const b0 = Math.min(STRAIGHT_BINS - 1, Math.max(0, Math.floor(t)));
      const b1 = Math.min(STRAIGHT_BINS - 1, b0 + 1);
      const f = Math.min(1, Math.max(0, t - b0));
      return profile[b0] * (1 - f) + profile[b1] * f;
    },
  };
}

/** Bin means, empty bins filled linearly between their filled neighbours (constant beyond the ends). */
function fillProfile(sum: Float64Array, cnt: Float64Array): Float64Array {
  const n = sum.length;
  const out = new Float64Array(n);
  let prev = -1;
  for (let b = 0; b < n; b++) {
    if (!cnt[b]) continue;
    out[b] = sum[b] / cnt[b];
    if (prev < 0) for (let k = 0; k < b; k++) out[k] = out[b];
    else for (let k = prev + 1; k < b; k++) out[k] = out[prev] + ((out[b] - out[prev]) * (k - prev)) / (b - prev);
    prev = b;
  }
  if (prev < 0) out.fill(1);
  else for (let k = prev + 1; k < n; k++) out[k] = out[prev];
  return out;
}

/** Weighted least squares of v = a + b x + c y. */
function fitPlane(xs: Float64Array, ys: Float64Array, vs: Float64Array, ws: Float64Array): [number, number, number] {
  let s00 = 0, s01 = 0, s02 = 0, s11 = 0, s12 = 0, s22 = 0, t0 = 0, t1 = 0, t2 = 0;
  for (let i = 0; i < xs.length; i++) {
    const wt = ws[i];
    if (!wt) continue;
    const x = xs[i];
    const y = ys[i];
    const z = vs[i];
    s00 += wt; s01 += wt * x; s02 += wt * y; s11 += wt * x * x; s12 += wt * x * y; s22 += wt * y * y;
    t0 += wt * z; t1 += wt * x * z; t2 += wt * y * z;
  }
  const m = [[s00, s01, s02], [s01, s11, s12], [s02, s12, s22]];
  const det = (a: number[][]) => a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  if (Math.abs(d) < 1e-9) return [s00 > 0 ? t0 / s00 : 0, 0, 0];
  const col = (k: number) => m.map((row, i) => row.map((v2, j) => (j === k ? [t0, t1, t2][i] : v2)));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/** Fills unknown cells of a grid with the mean of their neighbours, repeatedly (known cells stay). */
export function fillGrid(values: Float64Array, known: Uint8Array, cells: number): void {
  const nc = cells * cells;
  let sum = 0;
  let k = 0;
  for (let c = 0; c < nc; c++) if (known[c]) { sum += values[c]; k++; }
  if (k === nc) return;
  for (let c = 0; c < nc; c++) if (!known[c]) values[c] = k ? sum / k : 1;
  if (!k) return;
  for (let iter = 0; iter < 4 * cells; iter++) {
    for (let cy = 0; cy < cells; cy++) {
      for (let cx = 0; cx < cells; cx++) {
        const c = cy * cells + cx;
        if (known[c]) continue;
        let acc = 0;
        let m = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = cx + dx;
            const ny = cy + dy;
            if ((!dx && !dy) || nx < 0 || ny < 0 || nx >= cells || ny >= cells) continue;
            const wt = dx && dy ? 0.5 : 1;
            acc += wt * values[ny * cells + nx];
            m += wt;
          }
        }
        values[c] = acc / m;
      }
    }
  }
}

/** Bilinear interpolation of a cells x cells grid at grid coordinates (gx, gy) (cell centres at integers). */
export function bilinear(values: Float64Array, cells: number, gx: number, gy: number): number {
  const x = Math.min(cells - 1, Math.max(0, gx));
  const y = Math.min(cells - 1, Math.max(0, gy));
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(cells - 1, x0 + 1);
  const y1 = Math.min(cells - 1, y0 + 1);
  const tx = x - x0;
  const ty = y - y0;
  return (1 - ty) * ((1 - tx) * values[y0 * cells + x0] + tx * values[y0 * cells + x1]) + ty * ((1 - tx) * values[y1 * cells + x0] + tx * values[y1 * cells + x1]);
}
