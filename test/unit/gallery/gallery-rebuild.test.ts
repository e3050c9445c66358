import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../src/config/config';
import { openGalleryTarget, currentEmbeddedDirectory, GALLERY_POINTER } from '../../../src/gallery/gallery-locations';
import { GalleryRebuildService, type GalleryModels, type GalleryTarget } from '../../../src/gallery/gallery-rebuild.service';
import { SwitchableStore } from '../../../src/gallery/switchable.store';
import { IncompatibleModelsError } from '../../../src/domain/errors';
import type { ImageEncoder, TextEncoder } from '../../../src/encoders/encoder';
import { MediaStore } from '../../../src/ingestion/media-store';
import { ProductImageReader } from '../../../src/ingestion/product-image.reader';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { createQdrantStore } from '../../../src/stores/qdrant/qdrant.store';
import type { StoredProduct, VectorStore } from '../../../src/stores/vector-store';
import { product } from '../fakes/catalog-builder';
import { bagOfWords, DIM, fakeImage } from '../fakes/fake-encoders';
import { FakeQdrant, serveFake } from '../stores/qdrant/support/fake-qdrant';

const silent = { info: () => undefined, warn: () => undefined };

/** Gallery models of one "version": v1 and v2 put the same words at different coordinates. */
function models(version: number, delayMs = 0): GalleryModels & { image: ImageEncoder; text: TextEncoder } {
  const embed = (words: string) => {
    const v = bagOfWords(words);
    const out = new Float32Array(DIM);
    for (let i = 0; i < DIM; i++) out[(i + version) % DIM] = v[i];
    return out;
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs));
  return {
    key: `space@1 image=img@${version} text=txt@${version}`,
    models: [
      { role: 'image', name: 'img', version: String(version), sha256: null },
      { role: 'text', name: 'txt', version: String(version), sha256: null },
    ],
    image: {
      dim: DIM,
      encode: async (images: Buffer[]) => {
        await pause();
        return images.map((b) => {
          const words = b.subarray(8).toString('utf8');
          if (words.includes('CORRUPT')) throw new Error('Input buffer contains unsupported image format');
          return embed(words);
        });
      },
    },
    text: { dim: DIM, encode: async (texts: string[]) => texts.map((t) => embed(t)) },
  };
}

let dir: string;
let media: MediaStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gallery-rebuild-'));
  media = new MediaStore(join(dir, 'media'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A product whose image is an upload of `words`, with its v1 vectors. */
async function stored(id: string, words: string, version = 1): Promise<StoredProduct> {
  const imageUrl = await media.save(fakeImage(words), 'png');
  const p = product({ id, title: words, description: `about ${words}`, imageUrl });
  const m = models(version);
  const [image] = await m.text.encode([words]);
  const [text] = await m.text.encode([`${p.title}. ${p.description}`]);
  return { product: p, vectors: { image, text } };
}

async function embedded(name: string): Promise<EmbeddedStore> {
  const store = new EmbeddedStore({ directory: join(dir, name) });
  await store.open({ image: DIM, text: DIM });
  return store;
}

function embeddedTarget(store: EmbeddedStore, events: string[]): GalleryTarget {
  return {
    store,
    location: 'target',
    publish: async () => void events.push('publish'),
    discard: async () => {
      events.push('discard');
      await store.close();
    },
  };
}

const WORDS = ['red dress', 'blue shirt', 'green coat', 'black boots', 'white sneakers', 'grey knit'];

async function seeded(n: number): Promise<{ source: EmbeddedStore; switchable: SwitchableStore }> {
  const source = await embedded('source');
  const items: StoredProduct[] = [];
  for (let i = 0; i < n; i++) items.push(await stored(`p${String(i).padStart(3, '0')}`, `${WORDS[i % WORDS.length]} ${i}`));
  await source.upsert(items);
  await source.recordSpace({ key: models(1).key, models: models(1).models, recordedAt: '2026-12-01T00:00:00.000Z' });
  return { source, switchable: new SwitchableStore(source) };
}

function service(switchable: SwitchableStore, batchSize = 16): GalleryRebuildService {
  return new GalleryRebuildService({ store: switchable, images: new ProductImageReader({ catalogDir: dir, uploads: media, images: { load: async () => Buffer.alloc(0) } }), logger: silent, batchSize });
}

describe('gallery rebuild on the embedded store', () => {
  test('re-embeds every product with the new models, records them, publishes and switches store and models at once', async () => {
    const { source, switchable } = await seeded(50);
    const target = await embedded('target');
    const events: string[] = [];
    const rebuild = service(switchable);
    const v2 = models(2);
    const status = await rebuild.start(v2, async () => embeddedTarget(target, events), () => {
      events.push('install');
      expect(switchable.current).toBe(target);
    });
    expect(status).toMatchObject({ state: 'COMPLETE', from: models(1).key, to: v2.key, processed: 50, total: 50, failed: 0 });
    expect(events).toEqual(['publish', 'install']);
    expect(switchable.current).toBe(target);
    expect(await target.count()).toBe(50);
    expect((await target.spaceRecord())?.key).toBe(v2.key);
    const [expected] = await v2.image.encode([fakeImage(`${WORDS[3]} 3`)]);
    expect(Array.from((await target.getVector('p003', 'image'))!)).toEqual(Array.from(expected));
    // The source kept its v1 vectors and is closed once no call runs on it.
    await new Promise((resolve) => setImmediate(resolve));
    await expect(source.count()).rejects.toThrow();
    await target.close();
  });

  test('products written and deleted during the rebuild land in both stores, and searches never fail', async () => {
    const { source, switchable } = await seeded(120);
    const target = await embedded('target');
    const rebuild = service(switchable, 8);
    const done = rebuild.start(models(2, 5), async () => embeddedTarget(target, []), () => undefined);
    const searches: Promise<unknown>[] = [];
    const v1 = models(1);
    for (let round = 0; round < 10; round++) {
      await new Promise((resolve) => setTimeout(resolve, 7));
      searches.push(switchable.search({ dense: [{ space: 'image', vector: (await v1.image.encode([fakeImage('red dress')]))[0] }], limit: 5 }));
      await switchable.upsert([await stored(`new${round}`, `yellow hat ${round}`), await stored(`p${String(round * 11).padStart(3, '0')}`, `renamed ${round}`)]);
      await switchable.delete([`p${String(100 + round).padStart(3, '0')}`]);
    }
    const status = await done;
    await Promise.all(searches);
    expect(status.state).toBe('COMPLETE');
    expect(status.caughtUp).toBeGreaterThan(0);
    expect(switchable.current).toBe(target);
    expect(await target.count()).toBe(120 + 10 - 10);
    const products = await target.getProducts(['new3', 'p033', 'p103']);
    expect(products[0]?.title).toBe('yellow hat 3');
    expect(products[1]?.title).toBe('renamed 3');
    expect(products[2]).toBeNull();
    // The renamed product carries v2 vectors of its new image.
    const [renamed] = await models(2).image.encode([fakeImage('renamed 3')]);
    expect(Array.from((await target.getVector('p033', 'image'))!)).toEqual(Array.from(renamed));
    void source;
    await target.close();
  });

  test('a product whose image cannot be embedded fails the rebuild: the new store is discarded and the server keeps its gallery', async () => {
    const { source, switchable } = await seeded(20);
    await switchable.upsert([await stored('broken', 'CORRUPT picture')]);
    const target = await embedded('target');
    const events: string[] = [];
    const rebuild = service(switchable);
    await expect(rebuild.start(models(2), async () => embeddedTarget(target, events), () => events.push('install'))).rejects.toThrow(/1 product\(s\) could not be re-embedded \(broken: Input buffer contains unsupported image format\)/);
    expect(events).toEqual(['discard']);
    expect(switchable.current).toBe(source);
    expect(rebuild.status()).toMatchObject({ state: 'FAILED', failed: 1 });
    expect(await switchable.count()).toBe(21);
    await source.close();
  });

  test('at start-up (dropUnreadable) such a product is left out and the rebuild switches', async () => {
    const { switchable } = await seeded(20);
    await switchable.upsert([await stored('broken', 'CORRUPT picture')]);
    const target = await embedded('target');
    const status = await service(switchable).start(models(2), async () => embeddedTarget(target, []), () => undefined, { dropUnreadable: true });
    expect(status).toMatchObject({ state: 'COMPLETE', failed: 1 });
    expect(await target.count()).toBe(20);
    await target.close();
  });

  test('a second start for the same models joins the first; one for other models is refused while it runs', async () => {
    const { switchable } = await seeded(30);
    const target = await embedded('target');
    const rebuild = service(switchable, 4);
    const first = rebuild.start(models(2, 3), async () => embeddedTarget(target, []), () => undefined);
    expect(rebuild.start(models(2), async () => embeddedTarget(target, []), () => undefined)).toBe(first);
    await expect(rebuild.start(models(3), async () => embeddedTarget(target, []), () => undefined)).rejects.toThrow(/a gallery rebuild to "space@1 image=img@2 text=txt@2" is running/);
    await first;
    await target.close();
  });
});

describe('gallery rebuild on Qdrant (specification-checked fake)', () => {
  test('writes during the rebuild reach the new collection, which the alias then names; the space record travels with it', async () => {
    const fake = new FakeQdrant();
    const server = await serveFake(fake);
    try {
      const config = { dataDir: dir, store: 'qdrant', qdrant: { url: server.url, apiKey: null, collection: 'products', quantization: 'none' } } as Config;
      const initial = await openGalleryTarget(config, models(1).key, DIM);
      await initial.publish();
      const source = createQdrantStore({ url: server.url }, { collection: 'products' });
      await source.open({ image: DIM, text: DIM });
      const items: StoredProduct[] = [];
      for (let i = 0; i < 60; i++) items.push(await stored(`q${String(i).padStart(2, '0')}`, `${WORDS[i % WORDS.length]} ${i}`));
      await source.upsert(items);
      await source.recordSpace({ key: models(1).key, models: models(1).models, recordedAt: '2026-12-01T00:00:00.000Z' });
      const switchable = new SwitchableStore(source);
      const v2 = models(2, 5);
      const done = service(switchable, 8).start(v2, () => openGalleryTarget(config, v2.key, DIM), () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await switchable.upsert([await stored('during', 'yellow hat')]);
      await switchable.delete(['q05']);
      const status = await done;
      expect(status).toMatchObject({ state: 'COMPLETE', from: models(1).key, to: v2.key, failed: 0 });
      const reopened = createQdrantStore({ url: server.url }, { collection: 'products' });
      await reopened.open({ image: DIM, text: DIM });
      expect(fake.aliases.get('products')).toBe(status.location!.match(/collection (\S+)/)![1]);
      expect(await reopened.count()).toBe(60);
      expect((await reopened.getProducts(['during', 'q05'])).map((p) => p?.id ?? null)).toEqual(['during', null]);
      expect((await reopened.spaceRecord())?.key).toBe(v2.key);
      const [expected] = await models(2).image.encode([fakeImage('yellow hat')]);
      const got = (await reopened.getVector('during', 'image'))!;
      expect(Math.abs(Array.from(got).reduce((sum, x, i) => sum + x * expected[i], 0) - 1)).toBeLessThan(1e-5);
    } finally {
      await server.close();
    }
    expect(fake.violations).toEqual([]);
  });
});

describe('switchable store', () => {
  test('refused searches name both keys and lift at the switch; lexical-only searches still run', async () => {
    const { source, switchable } = await seeded(5);
    switchable.refuseSearches(new IncompatibleModelsError('stored "a" vs running "b"', { stored: 'a', running: 'b' }));
    await expect(switchable.search({ dense: [{ space: 'image', vector: new Float32Array(DIM).fill(0.1) }], limit: 3 })).rejects.toMatchObject({ code: 'MODELS_INCOMPATIBLE' });
    expect(await switchable.search({ dense: [], lexical: { text: 'dress' }, limit: 3 })).not.toHaveLength(0);
    const other = await embedded('other');
    switchable.switchTo(other);
    expect(await switchable.search({ dense: [{ space: 'image', vector: new Float32Array(DIM).fill(0.1) }], limit: 3 })).toEqual([]);
    await source.close();
    await other.close();
  });

  test('exclusive steps wait for writes in flight and hold new ones until they end', async () => {
    const order: string[] = [];
    let release!: () => void;
    const slow: Partial<VectorStore> = {
      upsert: async () => {
        order.push('write starts');
        await new Promise<void>((resolve) => (release = resolve));
        order.push('write ends');
      },
      delete: async () => {
        order.push('held write');
        return 0;
      },
    };
    const switchable = new SwitchableStore(slow as VectorStore);
    const first = switchable.upsert([]);
    await new Promise((resolve) => setImmediate(resolve));
    const step = switchable.exclusive(async () => {
      order.push('step');
    });
    const held = switchable.delete(['x']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['write starts']);
    release();
    await Promise.all([first, step, held]);
    expect(order).toEqual(['write starts', 'write ends', 'step', 'held write']);
  });
});

describe('gallery locations', () => {
  const config = (over: Partial<Config>): Config => ({ dataDir: dir, store: 'embedded', ...over }) as Config;

  test('embedded: a rebuilt gallery lives in DATA_DIR/galleries/<id>, published by gallery.json, which later starts open', async () => {
    expect(currentEmbeddedDirectory(dir)).toBe(dir);
    const target = await openGalleryTarget(config({}), 'space@1 image=img@2', DIM);
    expect(target.location).toMatch(/galleries\/[0-9a-f]{12}$/);
    await target.publish();
    expect(currentEmbeddedDirectory(dir)).toBe(target.location);
    await expect(openGalleryTarget(config({}), 'space@1 image=img@2', DIM)).rejects.toThrow(/is the one in use/);
    await target.store.close();
  });

  test('embedded: a pointer naming a folder outside DATA_DIR is refused with what to do', async () => {
    require('node:fs').writeFileSync(join(dir, GALLERY_POINTER), JSON.stringify({ directory: '../elsewhere' }));
    expect(() => currentEmbeddedDirectory(dir)).toThrow(/names no folder inside DATA_DIR/);
  });

  test('qdrant: the rebuilt collection is published by pointing the alias at it; a real collection of that name is refused', async () => {
    const fake = new FakeQdrant();
    const server = await serveFake(fake);
    try {
      const qdrant = (collection: string): Config => config({ store: 'qdrant', qdrant: { url: server.url, apiKey: null, collection, quantization: 'none' } });
      const first = await openGalleryTarget(qdrant('products'), 'space@1 image=img@1', DIM);
      await first.publish();
      expect(fake.aliases.get('products')).toBe(first.location.match(/collection (\S+)/)![1]);
      const aliased = createQdrantStore({ url: server.url }, { collection: 'products' });
      await aliased.open({ image: DIM, text: DIM });
      await aliased.upsert([await stored('q1', 'red dress')]);
      const second = await openGalleryTarget(qdrant('products'), 'space@1 image=img@2', DIM);
      await second.publish();
      expect(fake.aliases.get('products')).toBe(second.location.match(/collection (\S+)/)![1]);
      expect(await aliased.count()).toBe(0);
      await second.discard();
      expect(fake.aliases.has('products')).toBe(false);

      const legacy = createQdrantStore({ url: server.url }, { collection: 'legacy' });
      await legacy.open({ image: DIM, text: DIM });
      await expect(openGalleryTarget(qdrant('legacy'), 'space@1 image=img@2', DIM)).rejects.toThrow(/"legacy" is a collection, not an alias/);
    } finally {
      await server.close();
    }
    expect(fake.violations).toEqual([]);
  });
});
