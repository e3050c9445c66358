/**
 * CIELAB for the colour module: conversions and CIEDE2000 through `culori` (the colour-science
 * library src/query/colour-names.ts uses too), so every distance here is the one the query side uses.
 * CIELAB here is culori's `lab` (D50 white, Bradford-adapted from sRGB's D65). culori's CIEDE2000
 * converts its inputs to D65 CIELAB before the formula, so deltaE2000 of two colours is CIEDE2000 of
 * their D65 coordinates (the published test pairs match when read as D65): for colours of sRGB pixels
 * it is the same number the query side computes.
 */
import { converter, differenceCiede2000, type Lab as CuloriLab } from 'culori';

/** [L, a, b]: L in 0..100, a and b roughly -128..127. */
export type Lab = readonly [number, number, number];
/** [r, g, b] in 0..255. */
export type Rgb = readonly [number, number, number];

const toLab = converter('lab');
const toRgb = converter('rgb');
const ciede2000 = differenceCiede2000();

const labObject = (lab: Lab): CuloriLab => ({ mode: 'lab', l: lab[0], a: lab[1], b: lab[2] });

/** CIELAB of an sRGB colour given in 0..255 (values outside are clamped). */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const c = toLab({ mode: 'rgb', r: clamp01(r / 255), g: clamp01(g / 255), b: clamp01(b / 255) });
  return [c.l, c.a, c.b];
}

/** sRGB 0..255 (rounded, clipped to the gamut) of a CIELAB colour. */
export function labToRgb(lab: Lab): Rgb {
  const c = toRgb(labObject(lab));
  return [Math.round(255 * clamp01(c.r)), Math.round(255 * clamp01(c.g)), Math.round(255 * clamp01(c.b))];
}

/** CIEDE2000 colour difference: about 1 is just noticeable, 10+ reads as another colour. */
export function deltaE2000(x: Lab, y: Lab): number {
  return ciede2000(labObject(x), labObject(y));
}

/**
 * CIELAB of many sRGB pixels: `rgb` holds n interleaved triples in 0..255 (floats allowed; clamped),
 * the result n interleaved [L, a, b] triples. Repeated colours are converted once.
 */
export function labPixels(rgb: ArrayLike<number>): Float32Array {
  const n = Math.floor(rgb.length / 3);
  const out = new Float32Array(n * 3);
  const seen = new Map<number, number>();
  for (let p = 0; p < n; p++) {
    const r = rgb[p * 3];
    const g = rgb[p * 3 + 1];
    const b = rgb[p * 3 + 2];
    const byte = (x: number) => Number.isInteger(x) && x >= 0 && x <= 255;
    const key = byte(r) && byte(g) && byte(b) ? (r << 16) | (g << 8) | b : -1;
    const at = key >= 0 ? seen.get(key) : undefined;
    if (at !== undefined) {
      out[p * 3] = out[at * 3];
      out[p * 3 + 1] = out[at * 3 + 1];
      out[p * 3 + 2] = out[at * 3 + 2];
      continue;
    }
    const lab = rgbToLab(r, g, b);
    out[p * 3] = lab[0];
    out[p * 3 + 1] = lab[1];
    out[p * 3 + 2] = lab[2];
    if (key >= 0) seen.set(key, p);
  }
  return out;
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
