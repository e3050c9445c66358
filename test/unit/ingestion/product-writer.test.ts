import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import type { ProductDraft } from '../../../src/ingestion/ingest.types';
import { MediaStore } from '../../../src/ingestion/media-store';
import { InvalidInputError } from '../../../src/domain/errors';
import { IMAGE_LOAD_CONCURRENCY, PRODUCT_LIMITS } from '../../../src/ingestion/product-limits';
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
    [{ price: Number.NaN }, /p\.price must be a number from 0 to 1000000000/],
    [{ price: 1e308 }, /p\.price must be a number from 0/],
    [{ currency: 'euro' }, /p\.currency must be a three-letter/],
    [{ attributes: [{ name: '1x', values: ['a'] }] }, /attributes\[0\]\.name must be a name/],
    [{ attributes: [{ name: 'price', values: ['a'] }] }, /"price" is a product field/],
    [{ attributes: [{ name: 'a', values: [] }] }, /attributes\[0\]\.values must list/],
    [{ attributes: [{ name: 'a', values: ['x'] }, { name: 'a', values: ['y'] }] }, /"a" appears twice/],
  ] as [Partial<ProductDraft>, RegExp][])('rejects %o', (over, message) => {
    expect(() => validateDraft(draft(over), 'p')).toThrow(message);
  });

  const L = PRODUCT_LIMITS;
  const attrs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `a${i}`, values: ['x'] }));
  it.each([
    ['id', { id: 'x'.repeat(L.idLength + 1) }, `p.id is ${L.idLength + 1} characters long; the limit is ${L.idLength}`],
    ['title', { title: 't'.repeat(L.titleLength + 1) }, `p.title is ${L.titleLength + 1} characters long; the limit is ${L.titleLength}`],
    ['description', { description: 'd'.repeat(L.descriptionLength + 1) }, `p.description is ${L.descriptionLength + 1} characters long; the limit is ${L.descriptionLength}`],
    ['brand', { brand: 'b'.repeat(100_000) }, `p.brand is 100000 characters long; the limit is ${L.brandLength}`],
    ['styleId', { styleId: 's'.repeat(100_000) }, `p.styleId is 100000 characters long; the limit is ${L.styleIdLength}`],
    ['attribute count', { attributes: attrs(10_000) }, `p.attributes has 10000 entries; a product has at most ${L.attributesPerProduct} attributes`],
    [
      'attribute name',
      { attributes: [{ name: 'n'.repeat(L.attributeNameLength + 1), values: ['x'] }] },
      `p.attributes[0].name is ${L.attributeNameLength + 1} characters long; the limit is ${L.attributeNameLength}`,
    ],
    [
      'values per attribute',
      { attributes: [{ name: 'size', values: Array.from({ length: L.valuesPerAttribute + 1 }, (_, i) => `s${i}`) }] },
      `p.attributes[0].values has ${L.valuesPerAttribute + 1} entries; an attribute has at most ${L.valuesPerAttribute} values`,
    ],
    [
      'attribute value',
      { attributes: [{ name: 'color', values: ['red', 'v'.repeat(L.attributeValueLength + 1)] }] },
      `p.attributes[0].values[1] is ${L.attributeValueLength + 1} characters long; the limit is ${L.attributeValueLength}`,
    ],
  ] as [string, Partial<ProductDraft>, string][])('limits the %s, naming the field and the limit', (_name, over, message) => {
    let error: unknown;
    try {
      validateDraft(draft(over), 'p');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toBe(message);
    expect((error as InvalidInputError).code).toBe('BAD_USER_INPUT');
  });

  it('accepts every limit exactly', () => {
    const p = validateDraft(
      draft({
        id: 'i'.repeat(L.idLength),
        title: 't'.repeat(L.titleLength),
        description: 'd'.repeat(L.descriptionLength),
        brand: 'b'.repeat(L.brandLength),
        styleId: 's'.repeat(L.styleIdLength),
        attributes: [
          ...attrs(L.attributesPerProduct - 1),
          { name: 'n'.repeat(L.attributeNameLength), values: Array.from({ length: L.valuesPerAttribute }, (_, i) => `${i}`.padEnd(L.attributeValueLength, 'v')) },
        ],
      }),
      'p',
    );
    expect(Object.keys(p.attributes)).toHaveLength(L.attributesPerProduct + 1); // + brand, taken from the field
  });

  it('removes control characters from text and refuses them in identifiers', () => {
    const p = validateDraft(draft({ title: 'Green\u0000 parka\ttall\u0007', description: 'Line one\r\nline\u0000 two\u001b[31m' }), 'p');
    expect(p.title).toBe('Green parka tall');
    expect(p.description).toBe('Line one\nline two[31m');
    for (const [over, field] of [
      [{ id: 'x\u0000y' }, 'id'],
      [{ styleId: 's\u0000' }, 'styleId'],
      [{ brand: 'Acme\u0007' }, 'brand'],
      [{ attributes: [{ name: 'color', values: ['red\u0000'] }] }, 'attributes[0].values[0]'],
      [{ attributes: [{ name: 'color', values: ['\ud800red'] }] }, 'attributes[0].values[0]'],
    ] as [Partial<ProductDraft>, string][]) {
      expect(() => validateDraft(draft(over), 'p')).toThrow(new RegExp(`^p\\.${field.replace(/[[\].]/g, '\\$&')} (must be|contains)`));
    }
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
    expect(changed).toHaveBeenCalledWith({ removed: [], added: [expect.objectContaining({ id: 'x-1', attributes: expect.objectContaining({ fabric: ['nylon'] }) })] });
  });

  it('tells the listener which version a write replaced', async () => {
    await writer.upsert([draft({ attributes: [{ name: 'fabric', values: ['nylon'] }] })]);
    changed.mockClear();
    await writer.upsert([draft({ attributes: [{ name: 'fabric', values: ['silk'] }] })]);
    expect(changed).toHaveBeenCalledWith({
      removed: [expect.objectContaining({ id: 'x-1', attributes: expect.objectContaining({ fabric: ['nylon'] }) })],
      added: [expect.objectContaining({ id: 'x-1', attributes: expect.objectContaining({ fabric: ['silk'] }) })],
    });
  });

  it('writes nothing when one product of the batch is bad', async () => {
    await expect(writer.upsert([draft(), draft({ id: 'x-2', image: { base64: fakeImage('CORRUPT').toString('base64') } })])).rejects.toThrow(
      /products\[1\]\.image could not be decoded/,
    );
    expect(store.items.size).toBe(0);
  });

  it('writes two products carrying the same image in one upsert, and two concurrent upserts of it', async () => {
    const image = { base64: fakeImage('shared photo').toString('base64') };
    const r = await writer.upsert([draft({ id: 'a', image }), draft({ id: 'b', image })]);
    expect(r.upserted).toBe(2);
    expect(r.products[0].imageUrl).toBe(r.products[1].imageUrl);
    const [x, y] = await Promise.all([writer.upsert([draft({ id: 'c', image })]), writer.upsert([draft({ id: 'd', image })])]);
    expect(x.products[0].imageUrl).toBe(r.products[0].imageUrl);
    expect(y.products[0].imageUrl).toBe(r.products[0].imageUrl);
    expect([...store.items.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it(`loads at most ${IMAGE_LOAD_CONCURRENCY} images at a time`, async () => {
    let inFlight = 0;
    let most = 0;
    const images = {
      load: async (source: { base64?: string | null }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return Buffer.from(source.base64!, 'base64');
      },
    } as unknown as ImageLoader;
    const limited = new ProductWriterService({ store, textEncoder: new FakeTextEncoder(), imageEncoder: new FakeImageEncoder(), images, media: new MediaStore(dir) });
    await limited.upsert(Array.from({ length: 40 }, (_, i) => draft({ id: `c${i}`, image: { base64: fakeImage(`p${i}`).toString('base64') } })));
    expect(store.items.size).toBe(40);
    expect(most).toBe(IMAGE_LOAD_CONCURRENCY);
  });

  it('limits batch sizes and duplicate ids', async () => {
    await expect(writer.upsert([])).rejects.toThrow(/products is empty/);
    await expect(writer.upsert(Array.from({ length: MAX_UPSERT_BATCH + 1 }, (_, i) => draft({ id: `x${i}` })))).rejects.toThrow(/at most 256/);
    await expect(writer.upsert([draft(), draft()])).rejects.toThrow(/appears twice/);
    await expect(writer.delete([])).rejects.toThrow(/ids is empty/);
    await expect(writer.delete(['ok', 'x'.repeat(200)])).rejects.toThrow(/ids\[1\] is 200 characters long; the limit is 128/);
  });

  it('deletes and notifies only when something was removed', async () => {
    await writer.upsert([draft()]);
    changed.mockClear();
    expect(await writer.delete(['nope'])).toBe(0);
    expect(changed).not.toHaveBeenCalled();
    expect(await writer.delete(['x-1', 'x-1'])).toBe(1);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(changed).toHaveBeenCalledWith({ removed: [expect.objectContaining({ id: 'x-1' })], added: [] });
  });
});
