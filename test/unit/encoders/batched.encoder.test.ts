import { batchFusionEncoder, batchImageEncoder, batchTextEncoder } from '../../../src/encoders/batched.encoder';
import type { FusionEncoder, ImageEncoder, TextEncoder } from '../../../src/encoders/encoder';

/** A text encoder whose vector is [length of the text]; it records each call. */
class FakeTextEncoder implements TextEncoder {
  readonly dim = 1;
  readonly model = { name: 'fake-text', version: '1' };
  readonly calls: string[][] = [];
  loads = 0;
  async load() {
    this.loads++;
  }
  async encode(texts: string[]) {
    this.calls.push(texts);
    if (texts.includes('boom')) throw new Error('cannot encode "boom"');
    return texts.map((t) => Float32Array.of(t.length));
  }
}

describe('batched encoders', () => {
  it('turn concurrent text calls into one encoder call and keep the other members', async () => {
    const inner = new FakeTextEncoder();
    const text = batchTextEncoder(inner, { maxDelayMs: 2 });
    const [a, b] = await Promise.all([text.encode(['a', 'bbb']), text.encode(['cc'])]);
    expect([...a, ...b].map((v) => v[0])).toEqual([1, 3, 2]);
    expect(inner.calls).toEqual([['a', 'bbb', 'cc']]);
    expect(text.dim).toBe(1);
    expect(text.model).toEqual({ name: 'fake-text', version: '1' });
    await text.load();
    expect(inner.loads).toBe(1);
  });

  it('pass input that is not an array to the wrapped encoder, which explains the problem', async () => {
    const inner = new FakeTextEncoder();
    inner.encode = async (texts: string[]) => {
      if (!Array.isArray(texts)) throw new TypeError('texts must be an array of strings');
      return [];
    };
    await expect(batchTextEncoder(inner).encode('red' as unknown as string[])).rejects.toThrow('texts must be an array of strings');
  });

  it('isolate a failing caller from the others', async () => {
    const inner = new FakeTextEncoder();
    const text = batchTextEncoder(inner, { maxDelayMs: 2 });
    const settled = await Promise.allSettled([text.encode(['ok']), text.encode(['boom'])]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: [Float32Array.of(2)] });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'cannot encode "boom"' } });
  });

  it('batch images and fusion pairs the same way', async () => {
    const imageCalls: number[] = [];
    const image: ImageEncoder = {
      dim: 1,
      encode: async (images) => {
        imageCalls.push(images.length);
        return images.map((b) => Float32Array.of(b.length));
      },
    };
    const fusionCalls: number[] = [];
    const fusion: FusionEncoder = {
      dim: 1,
      fuse: async (pairs) => {
        fusionCalls.push(pairs.length);
        return pairs.map((p) => Float32Array.of(p.image[0] + p.text[0]));
      },
    };
    const bi = batchImageEncoder(image, { maxDelayMs: 2 });
    const bf = batchFusionEncoder(fusion, { maxDelayMs: 2 });
    const out = await Promise.all([bi.encode([Buffer.alloc(3)]), bi.encode([Buffer.alloc(5), Buffer.alloc(1)])]);
    expect(out.flat().map((v) => v[0])).toEqual([3, 5, 1]);
    const fused = await Promise.all([1, 2, 3].map((n) => bf.fuse([{ image: Float32Array.of(n), text: Float32Array.of(10) }])));
    expect(fused.flat().map((v) => v[0])).toEqual([11, 12, 13]);
    expect(imageCalls).toEqual([3]);
    expect(fusionCalls).toEqual([3]);
  });
});
