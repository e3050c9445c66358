/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { dot } from '../../../src/domain/embedding';
import { InvalidInputError, PayloadTooLargeError } from '../../../src/domain/errors';
import { createEncoders, type EncoderSet } from '../../../src/encoders/encoders.factory';

const TINY = path.resolve(__dirname, '../../fixtures/tiny-manifest');

describe('manifest adapter over real ONNX sessions (tiny fixture)', () => {
  let encoders: EncoderSet;

  beforeAll(async () => {
    encoders = await createEncoders({ modelsDir: TINY, intraOpThreads: 1, imageLimits: { maxPixels: 1_000_000 }, batching: { maxBatchSize: 8, maxDelayMs: 2 } });
    await encoders.warmUp();
  });

  it('exposes versions, the index and the text variants', () => {
    expect(encoders.adapter).toBe('manifest');
    expect(encoders.dim).toBe(128);
    expect(encoders.fusion).not.toBeNull();
    expect(encoders.fusionUnavailableReason).toBeNull();
    expect(encoders.versions.index.key).toBe('fashion-space@1.0.0');
    expect(encoders.textModels().map((m) => m.name)).toEqual(['fashion-text', 'fashion-text-gru']);
  });

  it('answers many concurrent callers, each with its own vectors', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `red dress ${i}`);
    const alone = await encoders.textEncoder('fashion-text').encode(texts);
    const concurrent = await Promise.all(texts.map((t) => encoders.text.encode([t])));
    concurrent.forEach(([v], i) => expect(dot(v, alone[i])).toBeGreaterThan(0.9999));
    expect(dot(alone[0], alone[1])).toBeLessThan(0.9999);
  });

  it('places different texts and images at different points, and the same input at the same point', async () => {
    const [a, b, a2] = await encoders.text.encode(['black leather boots', 'floral summer dress', 'black leather boots']);
    expect(Array.from(a2)).toEqual(Array.from(a));
    expect(dot(a, b)).toBeLessThan(0.99);
    const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c01010' } }).png().toBuffer();
    const noise = await fs.readFile(path.join(TINY, 'golden', 'noise.png'));
    const [ir, in1] = await encoders.image.encode([red, noise]);
    expect(dot(ir, in1)).toBeLessThan(0.99);
    const [fused] = await encoders.fusion!.fuse([{ image: ir, text: a }]);
    expect(Math.sqrt(dot(fused, fused))).toBeCloseTo(1, 5);
    expect(dot(fused, ir)).toBeLessThan(0.9999);
  });

  it('rejects a bad image in one call without failing the concurrent ones', async () => {
    const good = await fs.readFile(path.join(TINY, 'golden', 'red-block.png'));
    const huge = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const settled = await Promise.allSettled([
      encoders.image.encode([good]),
      encoders.image.encode([Buffer.from('GIF89a broken')]),
      encoders.image.encode([huge]),
      encoders.image.encode([good, good]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(PayloadTooLargeError);
    expect((settled[2] as PromiseRejectedResult).reason.message).toContain('more than 1000000 pixels');
  });

  it('truncates long product texts at maxLength tokens', async () => {
    const base = 'blue cotton shirt with long sleeves for summer';
    const long = `${base} ${'and striped '.repeat(200)}`;
    const longer = `${long} plus a different ending that lies beyond the token limit`;
    const [x, y] = await encoders.text.encode([long, longer]);
    expect(dot(x, y)).toBeCloseTo(1, 6);
  });
});
