import sharp from 'sharp';
import { InvalidInputError, PayloadTooLargeError } from '../../../src/domain/errors';
import { decodeImage, decodeImages, DEFAULT_IMAGE_LIMITS, writePixels, type PixelNormalisation, type RgbImage } from '../../../src/encoders/image/image-decoder';

const png = (width: number, height: number, channels: 3 | 4, rgba: number[]) =>
  sharp({ create: { width, height, channels, background: { r: rgba[0], g: rgba[1], b: rgba[2], alpha: (rgba[3] ?? 255) / 255 } } })
    .png()
    .toBuffer();

const pixel = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

/** A 40 x 20 image: left half red, right half blue. */
async function halves(): Promise<Buffer> {
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  return sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).png().toBuffer();
}

describe('decodeImage', () => {
  it('decodes to RGB at the original size without a resize', async () => {
    const img = await decodeImage(await png(7, 5, 3, [10, 20, 30]), DEFAULT_IMAGE_LIMITS);
    expect([img.width, img.height, img.data.length]).toEqual([7, 5, 7 * 5 * 3]);
    expect(pixel(img, 3, 2)).toEqual([10, 20, 30]);
  });

  it('flattens transparency onto the background', async () => {
    const img = await decodeImage(await png(4, 4, 4, [0, 0, 0, 0]), DEFAULT_IMAGE_LIMITS, { size: 4, fit: 'fill', background: [255, 128, 0] });
    expect(pixel(img, 1, 1)).toEqual([255, 128, 0]);
  });

  it('"contain" letterboxes on the background', async () => {
    const img = await decodeImage(await halves(), DEFAULT_IMAGE_LIMITS, { size: 20, fit: 'contain', background: [0, 255, 0] });
    expect([img.width, img.height]).toEqual([20, 20]);
    expect(pixel(img, 10, 0)).toEqual([0, 255, 0]);
    expect(pixel(img, 10, 19)).toEqual([0, 255, 0]);
    expect(pixel(img, 2, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 17, 10)).toEqual([0, 0, 255]);
  });

  it('"cover" crops the centre', async () => {
    const img = await decodeImage(await halves(), DEFAULT_IMAGE_LIMITS, { size: 10, fit: 'cover', background: [0, 255, 0] });
    expect(pixel(img, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(img, 9, 9)).toEqual([0, 0, 255]);
    expect(pixel(img, 0, 9)).toEqual([255, 0, 0]);
  });

  it('"fill" stretches without background', async () => {
    const img = await decodeImage(await halves(), DEFAULT_IMAGE_LIMITS, { size: 8, fit: 'fill', background: [0, 255, 0] });
    expect(pixel(img, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(img, 7, 7)).toEqual([0, 0, 255]);
    for (let y = 0; y < 8; y++) expect(pixel(img, 0, y)[1]).toBe(0);
  });

  it('turns greyscale into three channels', async () => {
    const grey = await sharp(Buffer.alloc(9, 77), { raw: { width: 3, height: 3, channels: 1 } }).png().toBuffer();
    const img = await decodeImage(grey, DEFAULT_IMAGE_LIMITS, { size: 3, fit: 'fill', background: [0, 0, 0] });
    expect(pixel(img, 1, 1)).toEqual([77, 77, 77]);
  });

  it.each<[string, () => Promise<Buffer>, object, typeof InvalidInputError | typeof PayloadTooLargeError, RegExp]>([
    ['an empty file', async () => Buffer.alloc(0), DEFAULT_IMAGE_LIMITS, InvalidInputError, /image 0: the file is empty/],
    ['bytes that are not an image', async () => Buffer.from('this is not an image at all'), DEFAULT_IMAGE_LIMITS, InvalidInputError, /image 0: could not decode the image/],
    ['a truncated PNG', async () => (await png(64, 64, 3, [1, 2, 3])).subarray(0, 40), DEFAULT_IMAGE_LIMITS, InvalidInputError, /could not decode/],
    ['a file over the byte limit', () => png(8, 8, 3, [1, 2, 3]), { maxBytes: 10, maxPixels: 1000 }, PayloadTooLargeError, /bytes exceeds the limit of 10 bytes/],
    ['an image over the pixel limit', () => png(100, 100, 3, [1, 2, 3]), { maxBytes: 1_000_000, maxPixels: 5000 }, PayloadTooLargeError, /more than 5000 pixels/],
  ])('rejects %s with a clear error', async (_, make, limits, type, message) => {
    const input = await make();
    const err = await decodeImage(input, limits as typeof DEFAULT_IMAGE_LIMITS, { size: 8, fit: 'contain', background: [255, 255, 255] }).catch((e) => e);
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
  });

  it('rejects input that is not bytes', async () => {
    await expect(decodeImage('abc' as unknown as Buffer, DEFAULT_IMAGE_LIMITS)).rejects.toThrow(InvalidInputError);
  });
});

describe('decodeImages', () => {
  it('keeps input order with limited concurrency', async () => {
    const colours = [[10, 0, 0], [0, 20, 0], [0, 0, 30], [40, 40, 0], [0, 50, 50]];
    const files = await Promise.all(colours.map((c, i) => png(3 + i, 4, 3, c)));
    const images = await decodeImages(files, DEFAULT_IMAGE_LIMITS, undefined, 2);
    expect(images.map((img) => [img.width, ...pixel(img, 1, 1)])).toEqual(colours.map((c, i) => [3 + i, ...c]));
  });

  it('names the index of the image that fails', async () => {
    const files = [await png(2, 2, 3, [1, 1, 1]), Buffer.from('junk')];
    await expect(decodeImages(files, DEFAULT_IMAGE_LIMITS, undefined)).rejects.toThrow(/^image 1: could not decode/);
  });
});

describe('writePixels', () => {
  // 2 x 1 image: pixel 0 = (255, 0, 51), pixel 1 = (0, 255, 102)
  const image: RgbImage = { data: Buffer.from([255, 0, 51, 0, 255, 102]), width: 2, height: 1 };
  const norm = (over: Partial<PixelNormalisation>): PixelNormalisation => ({ mean: [0, 0, 0], std: [1, 1, 1], scale: 255, colorOrder: 'RGB', layout: 'NCHW', ...over });

  it.each<[string, Partial<PixelNormalisation>, number[]]>([
    ['NCHW RGB, x / scale', {}, [1, 0, 0, 1, 0.2, 0.4]],
    ['NHWC RGB', { layout: 'NHWC' }, [1, 0, 0.2, 0, 1, 0.4]],
    ['NCHW BGR', { colorOrder: 'BGR' }, [0.2, 0.4, 0, 1, 1, 0]],
    ['(x - mean) / std', { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, [1, -1, -1, 1, -0.6, -0.2]],
    ['scale 1', { scale: 1, mean: [255, 0, 0], std: [255, 255, 51] }, [0, -1, 0, 1, 1, 2]],
  ])('%s', (_, over, expected) => {
    const out = new Float32Array(8);
    writePixels(image, norm(over), out, 1);
    expect(out[0]).toBe(0);
    expect(Array.from(out.subarray(1, 7))).toEqual(expected.map((v) => expect.closeTo(v, 6)));
    expect(out[7]).toBe(0);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => writePixels({ data: Buffer.alloc(5), width: 2, height: 1 }, norm({}), new Float32Array(6), 0)).toThrow(RangeError);
  });
});
