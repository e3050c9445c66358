import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CatalogIngestService } from '../../../src/ingestion/catalog-ingest.service';
import { CatalogFormatError, parseCatalogLine, productText, readCatalog } from '../../../src/ingestion/catalog-reader';
import { fakeImage, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

function line(i: number, extra: Record<string, unknown> = {}): string {
  const id = `p-test-${String(i).padStart(5, '0')}-0`;
  return JSON.stringify({
    id,
    styleId: `s-test-${i}`,
    split: 'test',
    variant: 0,
    title: `Red shirt ${i}`,
    description: `A red shirt. Art. no. TE${i}`,
    brand: 'Fennel',
    price: 10 + i,
    currency: 'EUR',
    inStock: i % 2 === 0,
    attributes: { category: ['shirt'], color: ['red'] },
    image: `images/${id}.webp`,
    render: {},
    ...extra,
  });
}

function writeCatalog(dir: string, n: number, offset = 0): void {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const lines = [];
  for (let i = offset; i < offset + n; i++) {
    lines.push(line(i));
    writeFileSync(path.join(dir, 'images', `p-test-${String(i).padStart(5, '0')}-0.webp`), fakeImage(`red shirt ${i}`));
  }
  writeFileSync(path.join(dir, 'products.jsonl'), `${lines.join('\n')}\n`);
}

const logger = { info: jest.fn(), warn: jest.fn() };

describe('catalogue reader', () => {
  it('maps seed records to products with media URLs', () => {
    const e = parseCatalogLine(line(7), '/cat', 'products.jsonl:1');
    expect(e.product).toMatchObject({ id: 'p-test-00007-0', imageUrl: '/media/images/p-test-00007-0.webp', styleId: 's-test-7', split: 'test', inStock: false, price: 17 });
    expect(e.imagePath).toBe('/cat/images/p-test-00007-0.webp');
    expect(productText(e.product)).toBe('Red shirt 7. A red shirt. Art. no. TE7');
  });

  it.each([
    ['not JSON', '{', /products.jsonl:3: not valid JSON/],
    ['missing title', line(1, { title: '' }), /field "title" must be a non-empty string/],
    ['negative price', line(1, { price: -1 }), /field "price"/],
    ['bad attributes', line(1, { attributes: { color: 'red' } }), /attributes.color/],
    ['image outside the catalogue', line(1, { image: '../../etc/passwd' }), /field "image" must be a path inside/],
  ])('rejects %s with the line number', (_n, text, message) => {
    expect(() => parseCatalogLine(text, '/cat', 'products.jsonl:3')).toThrow(CatalogFormatError);
    expect(() => parseCatalogLine(text, '/cat', 'products.jsonl:3')).toThrow(message);
  });

  it('reports a missing catalogue clearly', async () => {
    await expect(readCatalog('/nonexistent/catalog')).rejects.toThrow(/set CATALOG_DIR/);
  });
});

describe('CatalogIngestService', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ingest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function service(store: MemoryStore, indexKey = 'space@1', batchSize = 4, image = new FakeImageEncoder(), text = new FakeTextEncoder(), limit = 0) {
    return new CatalogIngestService({
      store,
      textEncoder: text,
      imageEncoder: image,
      logger,
      options: { catalogDir: path.join(dir, 'cat'), stateDir: path.join(dir, 'state'), indexKey, batchSize, limit },
    });
  }

  it('ingests in batches, then reuses the store while catalogue and models match', async () => {
    writeCatalog(path.join(dir, 'cat'), 10);
    const store = new MemoryStore();
    const image = new FakeImageEncoder();
    const first = service(store, 'space@1', 4, image);
    expect(first.status().state).toBe('PENDING');
    const status = await first.run();
    expect(status).toMatchObject({ state: 'COMPLETE', processed: 10, total: 10, reused: false });
    expect(image.calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(store.items.size).toBe(10);
    expect(store.items.get('p-test-00003-0')!.vectors.text).toBeInstanceOf(Float32Array);

    const image2 = new FakeImageEncoder();
    const again = await service(store, 'space@1', 4, image2).run();
    expect(again).toMatchObject({ state: 'COMPLETE', reused: true });
    expect(image2.calls).toHaveLength(0);
  });

  it('re-ingests when the catalogue changes and drops products that left it', async () => {
    writeCatalog(path.join(dir, 'cat'), 6);
    const store = new MemoryStore();
    await service(store).run();
    rmSync(path.join(dir, 'cat'), { recursive: true });
    writeCatalog(path.join(dir, 'cat'), 6, 3);
    const status = await service(store).run();
    expect(status.reused).toBe(false);
    expect([...store.items.keys()].sort()).toEqual(['p-test-00003-0', 'p-test-00004-0', 'p-test-00005-0', 'p-test-00006-0', 'p-test-00007-0', 'p-test-00008-0']);
  });

  it('re-encodes everything when the model index changes', async () => {
    writeCatalog(path.join(dir, 'cat'), 5);
    const store = new MemoryStore();
    await service(store, 'space@1').run();
    const image = new FakeImageEncoder();
    const status = await service(store, 'space@2', 4, image).run();
    expect(status.reused).toBe(false);
    expect(image.calls.flat()).toHaveLength(5);
  });

  it('resumes an interrupted ingest without re-encoding what was written', async () => {
    writeCatalog(path.join(dir, 'cat'), 12);
    const store = new MemoryStore();
    const failing = new FakeImageEncoder();
    let calls = 0;
    jest.spyOn(failing, 'encode').mockImplementation(async (images) => {
      if (++calls === 2) throw new Error('killed');
      return new FakeImageEncoder().encode(images);
    });
    const broken = service(store, 'space@1', 4, failing);
    await expect(broken.run()).rejects.toThrow('killed');
    expect(broken.status()).toMatchObject({ state: 'FAILED', error: 'killed' });
    expect(store.items.size).toBe(4);
    const image = new FakeImageEncoder();
    await service(store, 'space@1', 4, image).run();
    expect(image.calls.flat()).toHaveLength(8);
    expect(store.items.size).toBe(12);
  });

  it('a larger limit only encodes the products not yet stored', async () => {
    writeCatalog(path.join(dir, 'cat'), 10);
    const store = new MemoryStore();
    await service(store, 'space@1', 4, new FakeImageEncoder(), new FakeTextEncoder(), 4).run();
    expect(store.items.size).toBe(4);
    const image = new FakeImageEncoder();
    await service(store, 'space@1', 4, image).run();
    expect(image.calls.flat()).toHaveLength(6);
    expect(store.items.size).toBe(10);
  });

  it('fails clearly when an image file is missing', async () => {
    writeCatalog(path.join(dir, 'cat'), 3);
    rmSync(path.join(dir, 'cat', 'images', 'p-test-00001-0.webp'));
    await expect(service(new MemoryStore()).run()).rejects.toThrow(/catalogue image missing for product p-test-00001-0/);
  });

  it('stops between batches when cancelled', async () => {
    writeCatalog(path.join(dir, 'cat'), 12);
    const store = new MemoryStore();
    const s = service(store);
    const run = s.run();
    s.cancel();
    await expect(run).rejects.toThrow(/cancelled/);
    expect(store.items.size).toBeLessThan(12);
  });
});
