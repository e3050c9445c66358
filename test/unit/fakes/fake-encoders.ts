/**
 * Deterministic encoders for unit tests. Text: a hashed bag of words (texts sharing words are
 * close). Image: a hashed bag of the bytes' ASCII words after the format header, so a test image is
 * a tiny PNG signature followed by words ("red shirt"); bytes containing "CORRUPT" fail to decode.
 * Fusion: the normalised sum. Every call is recorded.
 */
import { createHash } from 'node:crypto';
import { l2Normalize } from '../../../src/domain/embedding';
import type { FusionEncoder, ImageEncoder, TextEncoder } from '../../../src/encoders/encoder';

export const DIM = 32;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function bagOfWords(text: string, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)) {
    const h = createHash('sha256').update(word).digest();
    v[h[0] % dim] += 1;
    v[h[1] % dim] += 0.5;
  }
  if (v.every((x) => x === 0)) v[0] = 1;
  return l2Normalize(v);
}

/** A fake "image": PNG magic bytes followed by words describing it. */
export function fakeImage(words: string): Buffer {
  return Buffer.concat([PNG_SIGNATURE, Buffer.from(words, 'utf8')]);
}

export class FakeTextEncoder implements TextEncoder {
  readonly dim = DIM;
  readonly calls: string[][] = [];
  async encode(texts: string[]): Promise<Float32Array[]> {
    this.calls.push(texts);
    return texts.map((t) => bagOfWords(t));
  }
}

export class FakeImageEncoder implements ImageEncoder {
  readonly dim = DIM;
  readonly calls: Buffer[][] = [];
  async encode(images: Buffer[]): Promise<Float32Array[]> {
    this.calls.push(images);
    return images.map((b) => {
      const text = b.subarray(PNG_SIGNATURE.length).toString('utf8');
      if (text.includes('CORRUPT')) throw new Error('Input buffer contains unsupported image format');
      return bagOfWords(text);
    });
  }
}

export class FakeFusionEncoder implements FusionEncoder {
  readonly dim = DIM;
  readonly calls: number[] = [];
  async fuse(pairs: { image: Float32Array; text: Float32Array }[]): Promise<Float32Array[]> {
    this.calls.push(pairs.length);
    return pairs.map(({ image, text }) => l2Normalize(image.map((x, i) => x + text[i])));
  }
}
