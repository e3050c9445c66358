import { colourImage, foregroundMask, labPixels, type ColourImage } from '../../../../src/vision/colour';
import { colourNoise, ellipse, GREEN, greyNoise, maskScore, NAVY, rectangle, RED, scene, solid, sum, type RGB } from './synthetic-images';

const W = 64;
const H = 64;
const maskOf = (img: ColourImage, options = {}) => foregroundMask(img, labPixels(img.rgb), options);

describe('foregroundMask', () => {
  it.each([
    ['a navy ellipse on studio white', solid([255, 255, 255]), ellipse(W, H), NAVY],
    ['a red rectangle on plain grey', solid([180, 180, 180]), rectangle(W, H), RED],
    ['a green ellipse on grey noise', greyNoise(180, 60, 2), ellipse(W, H), GREEN],
    ['a navy rectangle on beige', solid([226, 208, 172]), rectangle(W, H), NAVY],
  ] as const)('finds %s: the garment in, the background out', (_what, background, shape, garment) => {
    const s = scene(W, H, background, shape, solid(garment));
    const mask = maskOf(s.image);
    expect(mask.source).toBe('background');
    expect(mask.data).toHaveLength(W * H);
    const { recall, falsePositiveRate } = maskScore(mask.data, s.truth);
    expect(recall).toBeGreaterThan(0.95);
    expect(falsePositiveRate).toBeLessThan(0.02);
    expect(mask.coverage).toBeCloseTo(sum(mask.data) / (W * H), 10);
    expect(Math.abs(mask.coverage - sum(s.truth) / (W * H))).toBeLessThan(0.03);
  });

  it('keeps most of a busy colour-noise background out', () => {
    const s = scene(W, H, colourNoise(150, 80, 3), ellipse(W, H), solid(NAVY));
    const { recall, falsePositiveRate } = maskScore(maskOf(s.image).data, s.truth);
    expect(recall).toBeGreaterThan(0.9);
    expect(falsePositiveRate).toBeLessThan(0.3);
  });

  it('follows light falling off across a plain surface', () => {
    const light = (x: number) => 0.55 + (0.45 * x) / (W - 1);
    const s = scene(W, H, (x) => [200 * light(x), 200 * light(x), 200 * light(x)], ellipse(W, H), (x) => GREEN.map((v) => v * light(x)) as unknown as RGB);
    const { recall, falsePositiveRate } = maskScore(maskOf(s.image).data, s.truth);
    expect(recall).toBeGreaterThan(0.95);
    expect(falsePositiveRate).toBeLessThan(0.02);
  });

  it('describes a plain background in its model', () => {
    const s = scene(W, H, solid([180, 180, 180]), rectangle(W, H), solid(RED));
    const { background } = maskOf(s.image);
    expect(background).not.toBeNull();
    expect(background!.rgb).toHaveLength(W * H * 3);
    expect(background!.lab).toHaveLength(W * H * 3);
    // the modelled background behind the garment is still the grey of the surface
    const centre = ((H / 2) * W + W / 2) * 3;
    for (let k = 0; k < 3; k++) expect(Math.abs(background!.rgb[centre + k] - 180)).toBeLessThan(2);
    expect(background!.chromaSpread).toBeLessThan(0.01);
    expect(background!.coverage).toBeGreaterThan(0);
    expect(background!.coverage).toBeLessThanOrEqual(1);
  });

  it('fills a small hole inside the garment and drops specks and a small object off to the side', () => {
    const inHole = (x: number, y: number) => x >= 30 && x < 34 && y >= 30 && y < 34;
    const speck = (x: number, y: number) => (x === 6 && y === 40) || (x === 57 && y === 20);
    const object = (x: number, y: number) => x >= 4 && x < 10 && y >= 4 && y < 10;
    const garment = rectangle(W, H);
    const s = scene(W, H, (x, y) => (speck(x, y) || object(x, y) ? RED : [180, 180, 180]), (x, y) => garment(x, y) && !inHole(x, y), solid(NAVY));
    const mask = maskOf(s.image).data;
    expect(mask[32 * W + 32]).toBe(1);
    expect(mask[40 * W + 6]).toBe(0);
    expect(mask[20 * W + 57]).toBe(0);
    expect(mask[6 * W + 6]).toBe(0);
    expect(maskScore(mask, s.truth).recall).toBeGreaterThan(0.95);
  });

  it('uses the alpha channel of a cut-out image', () => {
    // the transparent pixels have the garment's colour: only alpha tells them apart
    const data = new Uint8Array(W * H * 4);
    const truth = new Uint8Array(W * H);
    const shape = ellipse(W, H);
    for (let p = 0; p < W * H; p++) {
      truth[p] = shape(p % W, Math.floor(p / W)) ? 1 : 0;
      data.set([...RED, truth[p] ? 255 : 0], p * 4);
    }
    const mask = maskOf(colourImage(data, W, H, 4));
    expect(mask.source).toBe('alpha');
    expect(mask.background).toBeNull();
    expect(mask.data).toEqual(truth);
    expect(mask.coverage).toBeCloseTo(sum(truth) / (W * H), 10);
  });

  it('counts half-transparent pixels as foreground from alpha 128', () => {
    const data = new Uint8Array(4 * 4 * 4);
    const alpha = [0, 127, 128, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    alpha.forEach((a, p) => data.set([...NAVY, a], p * 4));
    expect(Array.from(maskOf(colourImage(data, 4, 4, 4)).data.subarray(0, 4))).toEqual([0, 0, 1, 1]);
  });

  it('falls back to the colours when the alpha channel hides everything', () => {
    const s = scene(W, H, solid([255, 255, 255]), ellipse(W, H), solid(NAVY));
    const data = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) data.set([s.rgb[p * 3], s.rgb[p * 3 + 1], s.rgb[p * 3 + 2], 0], p * 4);
    const mask = maskOf(colourImage(data, W, H, 4));
    expect(mask.source).toBe('background');
    expect(maskScore(mask.data, s.truth).recall).toBeGreaterThan(0.95);
  });

  it('takes the centre when the garment fills the frame', () => {
    const img = scene(W, H, solid(NAVY), () => true, solid(NAVY)).image;
    const mask = maskOf(img);
    expect(mask.source).toBe('centre');
    expect(mask.data[(H / 2) * W + W / 2]).toBe(1);
    expect(mask.data[0]).toBe(0);
    expect(mask.coverage).toBeGreaterThan(0.2);
    expect(mask.coverage).toBeLessThan(0.6);
  });

  it('takes every pixel of an image too small for a border', () => {
    const img = scene(3, 3, solid([255, 255, 255]), (x, y) => x === 1 && y === 1, solid(NAVY)).image;
    const mask = maskOf(img);
    expect(Array.from(mask.data)).toEqual(new Array(9).fill(1));
    expect(mask.coverage).toBe(1);
  });

  it('is deterministic', () => {
    const s = scene(W, H, colourNoise(150, 80, 4), ellipse(W, H), solid(RED));
    expect(maskOf(s.image).data).toEqual(maskOf(s.image).data);
  });

  it('refuses CIELAB of another size', () => {
    const img = scene(8, 8, solid([255, 255, 255]), rectangle(8, 8), solid(NAVY)).image;
    expect(() => foregroundMask(img, new Float32Array(10))).toThrow(RangeError);
  });
});
