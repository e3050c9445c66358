/**
 * Decoding for colour analysis: EXIF orientation applied, shrunk with sharp to fit a small working
 * size (colour statistics need few pixels, and averaging them down also averages JPEG noise), kept as
 * interleaved 8-bit sRGB with the alpha channel when the image has real transparency (a cut-out
 * product photo gives its own foreground mask).
 */
import sharp from 'sharp';
import { InvalidInputError, PayloadTooLargeError } from '../../domain/errors';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../encoders/image/image-decoder';

/** Interleaved 8-bit sRGB pixels, row-major, with alpha when the image has transparency. */
export interface ColourImage {
  readonly width: number;
  readonly height: number;
  /** width x height x 3 bytes. */
  readonly rgb: Uint8Array;
  /** width x height bytes, or null when every pixel is opaque. */
  readonly alpha: Uint8Array | null;
}

/** The longest side images are shrunk to before colour analysis (chosen on validation photos). */
export const WORKING_SIZE = 64;

/** A ColourImage from raw pixels (3 or 4 channels); alpha is dropped when every pixel is opaque. */
export function colourImage(data: Uint8Array, width: number, height: number, channels: 3 | 4): ColourImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers (got ${width} x ${height})`);
  }
  const n = width * height;
  if (data.length !== n * channels) throw new RangeError(`expected ${n * channels} bytes for ${width} x ${height} x ${channels}, got ${data.length}`);
  if (channels === 3) return { width, height, rgb: Uint8Array.from(data), alpha: null };
  const rgb = new Uint8Array(n * 3);
  const alpha = new Uint8Array(n);
  let opaque = true;
  for (let p = 0; p < n; p++) {
    rgb[p * 3] = data[p * 4];
    rgb[p * 3 + 1] = data[p * 4 + 1];
    rgb[p * 3 + 2] = data[p * 4 + 2];
    alpha[p] = data[p * 4 + 3];
    if (alpha[p] !== 255) opaque = false;
  }
  return { width, height, rgb, alpha: opaque ? null : alpha };
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP, GIF, AVIF, TIFF) for colour analysis: the longest side
 * shrunk to `size` (never enlarged). Bad input throws InvalidInputError, input over the limits
 * PayloadTooLargeError, as the image encoders' decoder does.
 */
export async function decodeColourImage(input: Buffer, size = WORKING_SIZE, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ColourImage> {
  if (!((input as unknown) instanceof Uint8Array) || input.length === 0) {
    throw new InvalidInputError('colour analysis needs encoded image bytes; the input is empty or not bytes');
  }
  if (input.length > limits.maxBytes) {
    throw new PayloadTooLargeError(`the image has ${input.length} bytes, more than the limit of ${limits.maxBytes}; send a smaller file`, {
      bytes: input.length,
      maxBytes: limits.maxBytes,
    });
  }
  try {
    const { data, info } = await sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', animated: false })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`unexpected channel count ${info.channels}`);
    return colourImage(data, info.width, info.height, 4);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new PayloadTooLargeError(`the image has more than ${limits.maxPixels} pixels; send a smaller image`, { maxPixels: limits.maxPixels });
    }
    throw new InvalidInputError(`could not decode the image for colour analysis (${message}); send a valid JPEG, PNG, WebP, GIF or AVIF file`);
  }
}
