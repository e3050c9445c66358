/**
 * Synthetic product photos for the colour tests: a garment shape (rectangle or ellipse) of known
 * pixels on a background, built in memory as raw sRGB, encodable with sharp. Every scene keeps its
 * ground-truth mask so tests can score a foreground mask against it.
 */
import sharp from 'sharp';
import { colourImage, type ColourImage } from '../../../../src/vision/colour';
import { seededRandom } from '../../../../src/domain/seeded-random';

export type RGB = readonly [number, number, number];

/** A deterministic generator (mulberry32), so noisy scenes are the same on every run. */
export const seeded = seededRandom;

export type Shape = (x: number, y: number) => boolean;

/** A centred ellipse covering about 36% of the frame (a garment seen whole). */
export const ellipse = (w: number, h: number): Shape => (x, y) => ((x + 0.5 - w / 2) / (0.3 * w)) ** 2 + ((y + 0.5 - h / 2) / (0.38 * h)) ** 2 <= 1;

/** A centred rectangle, half the width and 70% of the height. */
export const rectangle = (w: number, h: number): Shape => (x, y) => x >= 0.25 * w && x < 0.75 * w && y >= 0.15 * h && y < 0.85 * h;

export interface Scene {
  readonly width: number;
  readonly height: number;
  /** Interleaved sRGB, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
  /** 1 where the garment is. */
  readonly truth: Uint8Array;
  readonly image: ColourImage;
}

const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** A garment of `shape` painted with `garment` over `background`. */
export function scene(
  width: number,
  height: number,
  background: (x: number, y: number) => RGB,
  shape: Shape,
  garment: (x: number, y: number) => RGB,
): Scene {
  const rgb = new Uint8Array(width * height * 3);
  const truth = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const inside = shape(x, y);
      truth[p] = inside ? 1 : 0;
      const c = inside ? garment(x, y) : background(x, y);
      rgb[p * 3] = byte(c[0]);
      rgb[p * 3 + 1] = byte(c[1]);
      rgb[p * 3 + 2] = byte(c[2]);
    }
  }
  return { width, height, rgb, truth, image: colourImage(rgb, width, height, 3) };
}

export const solid = (c: RGB) => (): RGB => c;

/** Grey noise around `level` (plus or minus `amplitude` / 2), the same in every channel. */
export const greyNoise = (level: number, amplitude: number, seed = 1) => {
  const r = seeded(seed);
  return (): RGB => {
    const v = level + (r() - 0.5) * amplitude;
    return [v, v, v];
  };
};

/** Independent colour noise in every channel: a busy, cluttered backdrop. */
export const colourNoise = (level: number, amplitude: number, seed = 1) => {
  const r = seeded(seed);
  return (): RGB => [level + (r() - 0.5) * amplitude, level + (r() - 0.5) * amplitude, level + (r() - 0.5) * amplitude];
};

/** Horizontal stripes of `height` pixels alternating between two colours. */
export const stripes = (a: RGB, b: RGB, height: number) => (_x: number, y: number): RGB => (Math.floor(y / height) % 2 ? a : b);

/** How well a mask matches the truth: share of garment pixels in it, share of background pixels in it. */
export function maskScore(mask: Uint8Array, truth: Uint8Array): { recall: number; falsePositiveRate: number } {
  let tp = 0;
  let fg = 0;
  let fp = 0;
  let bg = 0;
  for (let p = 0; p < truth.length; p++) {
    if (truth[p]) {
      fg++;
      tp += mask[p];
    } else {
      bg++;
      fp += mask[p];
    }
  }
  return { recall: fg ? tp / fg : 1, falsePositiveRate: bg ? fp / bg : 0 };
}

/** The scene encoded as PNG, JPEG or WebP. */
export function encode(s: { rgb: Uint8Array; width: number; height: number }, format: 'png' | 'jpeg' | 'webp', channels: 3 | 4 = 3): Promise<Buffer> {
  const img = sharp(Buffer.from(s.rgb), { raw: { width: s.width, height: s.height, channels } });
  if (format === 'png') return img.png().toBuffer();
  if (format === 'jpeg') return img.jpeg({ quality: 90 }).toBuffer();
  return img.webp({ quality: 90 }).toBuffer();
}

/** Sum of an array. */
export const sum = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
};

/** Catalogue palette colours (src/vision/colour/catalogue-palette.json). */
export const NAVY: RGB = [28, 38, 92];
export const RED: RGB = [208, 32, 40];
export const GREEN: RGB = [56, 158, 72];
export const YELLOW: RGB = [246, 218, 54];
export const WHITE: RGB = [255, 255, 255];
