import sharp from 'sharp';
import { InvalidInputError, PayloadTooLargeError } from '../../domain/errors';

export interface ImageLimits {
  /** Largest accepted encoded file, in bytes. */
  maxBytes: number;
  /** Largest accepted decoded image, in pixels (width x height). */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000 };

export interface ResizeSpec {
  size: number;
  fit: 'contain' | 'cover' | 'fill';
  background: readonly [number, number, number];
}

/** Interleaved 8-bit RGB pixels, row-major. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export function checkImageLimits(limits: ImageLimits): ImageLimits {
  for (const key of ['maxBytes', 'maxPixels'] as const) {
    const v = limits[key];
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`image limit ${key} must be a positive integer (got ${v})`);
  }
  return limits;
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP, GIF, AVIF, TIFF...) to RGB: EXIF orientation applied,
 * alpha flattened onto `background`, then (with `resize`) resized to size x size:
 * "contain" letterboxes on the background, "cover" centre-crops, "fill" stretches.
 * Bad input throws InvalidInputError; input over the limits throws PayloadTooLargeError.
 */
export async function decodeImage(input: Buffer, limits: ImageLimits, resize?: ResizeSpec, index = 0): Promise<RgbImage> {
  const where = `image ${index}`;
  if (!((input as unknown) instanceof Uint8Array)) {
    throw new InvalidInputError(`${where}: expected encoded image bytes`, { index });
  }
  if (input.length === 0) throw new InvalidInputError(`${where}: the file is empty; send a JPEG, PNG, WebP or GIF image`, { index });
  if (input.length > limits.maxBytes) {
    throw new PayloadTooLargeError(`${where}: ${input.length} bytes exceeds the limit of ${limits.maxBytes} bytes; send a smaller file`, {
      index,
      bytes: input.length,
      maxBytes: limits.maxBytes,
    });
  }
  const background = resize?.background ?? [255, 255, 255];
  const bg = { r: background[0], g: background[1], b: background[2] };
  try {
    let pipeline = sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', animated: false })
      .rotate()
      .flatten({ background: bg });
    if (resize) {
      pipeline = pipeline.resize(resize.size, resize.size, { fit: resize.fit, position: 'centre', background: { ...bg, alpha: 1 } });
    }
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new PayloadTooLargeError(`${where}: the image has more than ${limits.maxPixels} pixels; send a smaller image`, {
        index,
        maxPixels: limits.maxPixels,
      });
    }
    throw new InvalidInputError(`${where}: could not decode the image (${message}); send a valid JPEG, PNG, WebP, GIF or AVIF file`, { index });
  }
}

export interface PixelNormalisation {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  scale: number;
  colorOrder: 'RGB' | 'BGR';
  layout: 'NCHW' | 'NHWC';
}

/**
 * Writes one RGB image into `out` at `offset` as float32 ((x / scale) - mean) / std,
 * in the channel order and layout the model expects (mean and std are given in that channel order).
 */
export function writePixels(image: RgbImage, norm: PixelNormalisation, out: Float32Array, offset: number): void {
  const { data, width, height } = image;
  const plane = width * height;
  if (data.length !== plane * 3) throw new RangeError(`expected ${plane * 3} bytes of RGB, got ${data.length}`);
  if (out.length < offset + plane * 3) throw new RangeError('output tensor too small');
  const order = norm.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  // mean and std are listed in the model's channel order
  const mul = [0, 1, 2].map((k) => 1 / (norm.scale * norm.std[k]));
  const add = [0, 1, 2].map((k) => -norm.mean[k] / norm.std[k]);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const v = data[p * 3 + order[k]] * mul[k] + add[k];
      out[norm.layout === 'NCHW' ? offset + k * plane + p : offset + p * 3 + k] = v;
    }
  }
}

/**
 * Decodes many images with at most `concurrency` decodes in flight (large images take memory while
 * they decode); results are in input order and the first error rejects.
 */
export async function decodeImages(inputs: Buffer[], limits: ImageLimits, resize: ResizeSpec | undefined, concurrency = 4): Promise<RgbImage[]> {
  const out: RgbImage[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await decodeImage(inputs[i], limits, resize, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return out;
}
