import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import type { ProductDraft } from '../../../src/ingestion/ingest.types';
import { MediaStore } from '../../../src/ingestion/media-store';
import { MAX_UPSERT_BATCH, ProductWriterService, validateDraft } from '../../../src/ingestion/product-writer.service';
import { fakeImage, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

const draft = (over: Partial<ProductDraft> = {}): ProductDraft => ({
  id: 'x-1',
  title: ' Green parka ',
  price: 120.456,
  image: { base64: fakeImage('green parka').toString('base64') },
  ...over,
});

describe('validateDraft', () => {
  it('normalises a valid product', () => {
    expect(validateDraft(draft({ currency: 'usd', brand: 'Kestrel', attributes: [{ name: 'color', values: ['green', ' green '] }] }), 'p')).toEqual({
      id: 'x-1',
      title: 'Green parka',
      description: '',
      brand: 'Kestrel',
      price: 120.46,
      currency: 'USD',
      inStock: true,
      attributes: { color: ['green'], brand: ['Kestrel'] },
    });
  });

  it('takes the brand from the brand attribute when the field is absent', () => {
    expect(validateDraft(draft({ attributes: [{ name: 'brand', values: ['Corvo'] }] }), 'p').brand).toBe('Corvo');
  });

  it.each([
    [{ id: '' }, /p\.id must be/],
    [{ id: '-bad' }, /p\.id must be/],
    [{ title: '  ' }, /p\.title must not be empty/],
    [{ price: Number.NaN }, /p\.price must be a number >= 0/],
    [{ currency: 'euro' }, /p\.currency must be a three-letter/],
    [{ attributes: [{ name: '1x', values: ['a'] }] }, /attributes\[0\]\.name must be a name/],
    [{ attributes: [{ name: 'price', values: ['a'] }] }, /"price" is a product field/],
    [{ attributes: [{ name: 'a', values: [] }] }, /attributes\[0\]\.values must list/],
    [{ attributes: [{ name: 'a', values: ['x'] }, { name: 'a', values: ['y'] }] }, /"a" appears twice/],
  ] as [Partial<ProductDraft>, RegExp][])('rejects %o', (over, message) => {
    expect(() => validateDraft(draft(over), 'p')).toThrow(message);
  });
});

describe('ProductWriterService', () => {
  let dir: string;
  let store: MemoryStore;
  let writer: ProductWriterService;
  const changed = jest.fn(async () => undefined);
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'writer-'));
    store = new MemoryStore();
    changed.mockClear();
    writer = new ProductWriterService({
      store,
      textEncoder: new FakeTextEncoder(),
      imageEncoder: new FakeImageEncoder(),
      images: new ImageLoader({ maxBytes: 10_000, fetchTimeoutMs: 1000, allowedDir: null }),
      media: new MediaStore(dir),
      listener: { catalogChanged: changed },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes products with both vectors and reports attribute names', async () => {
    const r = await writer.upsert([draft({ attributes: [{ name: 'fabric', values: ['nylon'] }] })]);
    expect(r.upserted).toBe(1);
    const stored = store.items.get('x-1')!;
    expect(stored.vectors.image).toBeInstanceOf(Float32Array);
    expect(stored.vectors.text).toBeInstanceOf(Float32Array);
    expect(stored.product.imageUrl).toMatch(/^\/media\/uploads\//);
    expect(changed).toHaveBeenCalledWith(['fabric']);
  });

  it('writes nothing when one product of the batch is bad', async () => {
    await expect(writer.upsert([draft(), draft({ id: 'x-2', image: { base64: fakeImage('CORRUPT').toString('base64') } })])).rejects.toThrow(
      /products\[1\]\.image could not be decoded/,
    );
    expect(store.items.size).toBe(0);
  });

  it('limits batch sizes and duplicate ids', async () => {
    await expect(writer.upsert([])).rejects.toThrow(/products is empty/);
    await expect(writer.upsert(Array.from({ length: MAX_UPSERT_BATCH + 1 }, (_, i) => draft({ id: `x${i}` })))).rejects.toThrow(/at most 256/);
    await expect(writer.upsert([draft(), draft()])).rejects.toThrow(/appears twice/);
    await expect(writer.delete([])).rejects.toThrow(/ids is empty/);
  });

  it('deletes and notifies only when something was removed', async () => {
    await writer.upsert([draft()]);
    changed.mockClear();
    expect(await writer.delete(['nope'])).toBe(0);
    expect(changed).not.toHaveBeenCalled();
    expect(await writer.delete(['x-1', 'x-1'])).toBe(1);
    expect(changed).toHaveBeenCalledTimes(1);
  });
});
