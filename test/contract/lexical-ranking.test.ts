/**
 * One BM25 on both stores: the embedded store's lexical index and the Qdrant adapter (sparse
 * vectors with Qdrant's `idf` modifier) rank the same products in the same order with the same
 * scores, on the same catalogue, with and without a filter, before and after updates and deletes.
 *
 * Always against the specification-checked fake Qdrant (which scores sparse queries as Qdrant
 * documents it: the dot product of query and point values, each term weighted by
 * ln(1 + (N - n + 0.5) / (n + 0.5)) over the points holding the vector); also against a real server
 * whenever QDRANT_URL is set.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Filter } from '../../src/domain/filter';
import type { Product } from '../../src/domain/product';
import { EmbeddedStore } from '../../src/stores/embedded/embedded.store';
import { createQdrantStore } from '../../src/stores/qdrant/qdrant.store';
import type { ScoredHit, VectorStore } from '../../src/stores/vector-store';
import { FakeQdrant, serveFake } from '../unit/stores/qdrant/support/fake-qdrant';
import { aProduct, aStoredProduct, CONTRACT_DIMENSIONS, seededRandom } from './vector-store.contract';

/** Scores of the two stores agree to this relative tolerance (Qdrant keeps sparse values as float32). */
const SCORE_TOLERANCE = 1e-5;

const WORDS = [
  'red', 'navy', 'blue', 'linen', 'silk', 'cotton', 'denim', 'dress', 'dresses', 'shirt', 'shirts', 'boots', 'ankle', 'sneaker',
  'striped', 'stripes', 'floral', 'slim', 'fit', 'slim-fit', 'button-down', 'crew-neck', 'v-neck', 'QX-7731', 'TE00017-2', 'SKU 1042',
  'the', 'with', 'for', 'Café', 'crème', 'wool', 'knit', 'jacket', 'coat', 'leather', 'sole', 'summer', 'winter', 'long', 'short',
];
const BRANDS = ['Acme', 'Bolt Works', 'Café Crème', 'Navy Blue', 'North-Shore', 'Crest'];

function text(rand: () => number, min: number, max: number): string {
  return Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
}

function randomProduct(rand: () => number, id: string): Product {
  return aProduct(id, {
    title: text(rand, 1, 6),
    description: text(rand, 0, 24),
    brand: BRANDS[Math.floor(rand() * BRANDS.length)],
    inStock: rand() < 0.7,
    attributes: { color: [['red', 'navy', 'green'][Math.floor(rand() * 3)]] },
  });
}

interface Opened {
  store: VectorStore;
  cleanup(): Promise<void>;
}

async function embedded(): Promise<Opened> {
  const directory = mkdtempSync(join(tmpdir(), 'lexical-ranking-'));
  const store = new EmbeddedStore({ directory });
  await store.open(CONTRACT_DIMENSIONS);
  return { store, cleanup: async () => rmSync(directory, { recursive: true, force: true }) };
}

async function qdrant(url?: string): Promise<Opened> {
  const collection = `lexical-ranking-${process.pid}-${Date.now().toString(36)}`;
  if (url) {
    const apiKey = process.env.QDRANT_API_KEY || undefined;
    const store = createQdrantStore({ url, apiKey }, { collection });
    await store.open(CONTRACT_DIMENSIONS);
    const admin = new QdrantClient({ url, apiKey, checkCompatibility: false });
    return { store, cleanup: async () => void (await admin.deleteCollection(collection)) };
  }
  const fake = new FakeQdrant();
  const server = await serveFake(fake);
  const store = createQdrantStore({ url: server.url }, { collection });
  await store.open(CONTRACT_DIMENSIONS);
  return {
    store,
    cleanup: async () => {
      await server.close();
      if (fake.violations.length > 0) throw new Error(`outside Qdrant's OpenAPI 1.19 specification:\n${fake.violations.join('\n')}`);
    },
  };
}

/**
 * The two rankings are the same: same ids in the same order and scores within SCORE_TOLERANCE,
 * except that products whose scores tie (within the tolerance) may come in either order, and a tie
 * group cut by the limit may hold different members.
 */
function expectSameRanking(a: ScoredHit[], b: ScoredHit[], query: string): void {
  const context = `query ${JSON.stringify(query)}`;
  expect({ context, length: a.length }).toEqual({ context, length: b.length });
  const close = (x: number, y: number) => Math.abs(x - y) <= SCORE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
  let i = 0;
  while (i < a.length) {
    let j = i + 1;
    while (j < a.length && close(a[j].score, a[i].score)) j++;
    for (let p = i; p < j; p++) expect({ context, position: p, close: close(a[p].score, b[p].score) }).toEqual({ context, position: p, close: true });
    const cut = j === a.length;
    if (!cut) expect({ context, group: [...a.slice(i, j).map((h) => h.id)].sort() }).toEqual({ context, group: [...b.slice(i, j).map((h) => h.id)].sort() });
    i = j;
  }
}

const STORES: [string, string | undefined][] = [['the specification-checked fake', undefined]];
if (process.env.QDRANT_URL) STORES.push(['Qdrant at QDRANT_URL', process.env.QDRANT_URL]);

describe.each(STORES)('lexical ranking: embedded store and Qdrant adapter (%s)', (_name, url) => {
  let left: Opened;
  let right: Opened;
  const rand = seededRandom(11);
  const ids: string[] = [];
  const inStock: Filter = { must: [{ kind: 'match', key: 'inStock', value: true }] };

  beforeAll(async () => {
    left = await embedded();
    right = await qdrant(url);
    const items = Array.from({ length: 400 }, (_, i) => aStoredProduct(randomProduct(rand, `p${i}`), rand));
    for (const item of items) ids.push(item.product.id);
    await left.store.upsert(items);
    await right.store.upsert(items);
  });
  afterAll(async () => {
    for (const side of [left, right]) {
      await side?.store.close();
      await side?.cleanup();
    }
  });

  const search = (store: VectorStore, query: string, filter?: Filter) => store.search({ dense: [], lexical: { text: query }, filter, limit: 20 });

  async function compare(queries: number, filter?: Filter): Promise<number> {
    let nonEmpty = 0;
    for (let q = 0; q < queries; q++) {
      const query = text(rand, 1, 4);
      const [a, b] = await Promise.all([search(left.store, query, filter), search(right.store, query, filter)]);
      expectSameRanking(a, b, query);
      if (a.length > 0) nonEmpty++;
    }
    return nonEmpty;
  }

  test('200 random queries (codes, hyphenated words, stems, stop words) rank alike', async () => {
    expect(await compare(200)).toBeGreaterThan(150);
  });

  test('100 random queries under a filter rank alike', async () => {
    expect(await compare(100, inStock)).toBeGreaterThan(75);
  });

  test('after updates and deletes, 100 random queries rank alike', async () => {
    const updates = Array.from({ length: 80 }, () => aStoredProduct(randomProduct(rand, ids[Math.floor(rand() * ids.length)]), rand));
    const unique = [...new Map(updates.map((u) => [u.product.id, u])).values()];
    const gone = ids.filter(() => rand() < 0.1);
    await left.store.upsert(unique);
    await right.store.upsert(unique);
    expect(await left.store.delete(gone)).toBe(await right.store.delete(gone));
    expect(await compare(100)).toBeGreaterThan(75);
  });

  test('a product code matches the code written as one word, not its terms written apart', async () => {
    const code = [aStoredProduct(aProduct('code-1', { title: 'Shirt QX-9001', description: '', brand: 'Acme' }), rand), aStoredProduct(aProduct('code-2', { title: 'Shirt QX 9001', description: '', brand: 'Acme' }), rand)];
    await left.store.upsert(code);
    await right.store.upsert(code);
    for (const store of [left.store, right.store]) expect((await search(store, 'qx-9001')).map((h) => h.id)).toEqual(['code-1']);
    expectSameRanking(await search(left.store, 'qx 9001'), await search(right.store, 'qx 9001'), 'qx 9001');
  });
});
