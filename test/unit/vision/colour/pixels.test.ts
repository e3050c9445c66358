import sharp from 'sharp';
import { InvalidInputError, PayloadTooLargeError } from '../../../../src/domain/errors';
import { colourImage, decodeColourImage, WORKING_SIZE } from '../../../../src/vision/colour';
import { encode, NAVY, RED } from './synthetic-images';

const plain = (width: number, height: number, c: readonly number[]) => ({ width, height, rgb: Uint8Array.from({ length: width * height * 3 }, (_, i) => c[i % 3]) });

describe('colourImage', () => {
  it('copies three-channel pixels and has no alpha', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const img = colourImage(data, 2, 1, 3);
    expect(img).toEqual({ width: 2, height: 1, rgb: Uint8Array.from([1, 2, 3, 4, 5, 6]), alpha: null });
    data[0] = 99;
    expect(img.rgb[0]).toBe(1);
  });

  it('splits four channels into rgb and alpha, and drops an alpha that is opaque everywhere', () => {
    const seeThrough = colourImage(Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 0]), 2, 1, 4);
    expect(seeThrough.rgb).toEqual(Uint8Array.from([10, 20, 30, 40, 50, 60]));
    expect(seeThrough.alpha).toEqual(Uint8Array.from([255, 0]));
    expect(colourImage(Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 255]), 2, 1, 4).alpha).toBeNull();
  });

  it('refuses a size that is not a positive integer or bytes that do not fit it', () => {
    expect(() => colourImage(new Uint8Array(0), 0, 1, 3)).toThrow(RangeError);
    expect(() => colourImage(new Uint8Array(3), 1.5, 1, 3)).toThrow(RangeError);
    expect(() => colourImage(new Uint8Array(5), 1, 2, 3)).toThrow(/expected 6 bytes/);
  });
});

describe('decodeColourImage', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('decodes %s to opaque sRGB of the same colour', async (format) => {
    const img = await decodeColourImage(await encode(plain(16, 8, NAVY), format));
    expect([img.width, img.height]).toEqual([16, 8]);
    expect(img.rgb).toHaveLength(16 * 8 * 3);
    expect(img.alpha).toBeNull();
    for (let k = 0; k < 3; k++) expect(Math.abs(img.rgb[(4 * 16 + 8) * 3 + k] - NAVY[k])).toBeLessThanOrEqual(4);
  });

  it(`shrinks the longest side to the working size (${WORKING_SIZE}), or to the size asked, and never enlarges`, async () => {
    const wide = await encode(plain(128, 96, RED), 'png');
    expect(await decodeColourImage(wide)).toMatchObject({ width: WORKING_SIZE, height: 48 });
    expect(await decodeColourImage(wide, 32)).toMatchObject({ width: 32, height: 24 });
    expect(await decodeColourImage(await encode(plain(20, 10, RED), 'png'))).toMatchObject({ width: 20, height: 10 });
  });

  it('keeps real transparency as alpha', async () => {
    const w = 8;
    const rgba = Uint8Array.from({ length: w * w * 4 }, (_, i) => (i % 4 === 3 ? ((i >> 2) % w < 4 ? 255 : 0) : RED[i % 4]));
    const img = await decodeColourImage(await encode({ rgb: rgba, width: w, height: w }, 'png', 4));
    expect(img.alpha).not.toBeNull();
    expect(img.alpha![0]).toBe(255);
    expect(img.alpha![w - 1]).toBe(0);
  });

  it('reads greyscale and 16-bit images as 8-bit sRGB', async () => {
    const grey = await sharp(Buffer.alloc(8 * 8, 100), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
    expect(Array.from((await decodeColourImage(grey)).rgb.subarray(0, 3))).toEqual([100, 100, 100]);
    const deep = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: NAVY[0], g: NAVY[1], b: NAVY[2] } } }).toColourspace('rgb16').png().toBuffer();
    const img = await decodeColourImage(deep);
    expect(img.rgb).toHaveLength(8 * 8 * 3);
    expect(Array.from(img.rgb.subarray(0, 3))).toEqual([...NAVY]);
  });

  it('applies the EXIF orientation', async () => {
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 0, b: 0 } } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await decodeColourImage(rotated)).toMatchObject({ width: 20, height: 40 });
  });

  it.each([
    ['bytes that are no image', Buffer.from('not an image at all')],
    ['an empty buffer', Buffer.alloc(0)],
    ['a string', 'image.png' as unknown as Buffer],
  ])('refuses %s with InvalidInputError', async (_what, input) => {
    await expect(decodeColourImage(input)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses a truncated JPEG with InvalidInputError', async () => {
    const jpeg = await encode(plain(64, 64, NAVY), 'jpeg');
    await expect(decodeColourImage(jpeg.subarray(0, jpeg.length >> 1))).rejects.toThrow(InvalidInputError);
  });

  it('refuses images over the byte or pixel limits with PayloadTooLargeError', async () => {
    const png = await encode(plain(32, 32, NAVY), 'png');
    await expect(decodeColourImage(png, 64, { maxBytes: 10, maxPixels: 1e6 })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(decodeColourImage(png, 64, { maxBytes: 1e6, maxPixels: 100 })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});
