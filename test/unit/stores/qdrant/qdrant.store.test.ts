/**
 * The Qdrant store through the real @qdrant/js-client-rest client, answered by an in-memory fake
 * behind fetch. Every request body and query string is validated against Qdrant's OpenAPI 1.19
 * specification, and so is every answer the fake gives.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { InvalidInputError, UnavailableError } from '../../../../src/domain/errors';
import { productPointId } from '../../../../src/stores/qdrant/point-id';
import { quantization, resolveQdrantStoreOptions, type QdrantStoreSettings } from '../../../../src/stores/qdrant/qdrant-options';
import { createQdrantStore, QdrantStore } from '../../../../src/stores/qdrant/qdrant.store';
import { FakeQdrant, installFakeFetch, type FakeRequest } from './support/fake-qdrant';
import { aProduct, aStored, unitVector } from './support/products';

const DIMS = { image: 4, text: 3 };
const COLLECTION = 'catalog';

let fake: FakeQdrant;
let restore: () => void;

function storeWith(settings: QdrantStoreSettings = {}, timeout = 2_000): QdrantStore {
  const client = new QdrantClient({ url: 'http://qdrant.test:6333', checkCompatibility: false, timeout });
  return new QdrantStore(client, resolveQdrantStoreOptions({ collection: COLLECTION, retry: { baseDelayMs: 1, maxDelayMs: 2 }, ...settings }));
}

async function openStore(settings: QdrantStoreSettings = {}): Promise<QdrantStore> {
  const store = storeWith(settings);
  await store.open(DIMS);
  return store;
}

const ops = () => fake.requests.map((r) => r.operationId);

beforeEach(() => {
  fake = new FakeQdrant();
  restore = installFakeFetch(fake);
});

afterEach(() => {
  restore();
  expect(fake.violations).toEqual([]);
});

describe('opening', () => {
  it('creates the collection with named vectors, the lexical sparse vector and quantization, then the payload indexes', async () => {
    await openStore({ quantization: quantization('scalar'), shards: 2 });
    expect(ops().slice(0, 3)).toEqual(['collection_exists', 'create_collection', 'get_collection']);
    expect(fake.bodies('create_collection')[0]).toEqual({
      vectors: { image: { size: 4, distance: 'Cosine' }, text: { size: 3, distance: 'Cosine' } },
      sparse_vectors: { lexical: { modifier: 'idf' } },
      shard_number: 2,
      replication_factor: 1,
      write_consistency_factor: 1,
      quantization_config: { scalar: { type: 'int8', always_ram: true } },
    });
    const indexes = fake.requests.filter((r) => r.operationId === 'create_field_index');
    expect(indexes.every((r) => r.url.searchParams.get('wait') === 'true')).toBe(true);
    expect(Object.fromEntries(indexes.map((r) => [r.body.field_name, r.body.field_schema]))).toMatchObject({
      price: 'float',
      in_stock: 'bool',
      title: { type: 'text' },
      'attributes.color': 'keyword',
      'attributes.category': 'keyword',
    });
  });

  it('reuses an existing collection and creates only missing indexes', async () => {
    await openStore();
    const created = fake.bodies('create_field_index').length;
    fake.requests.length = 0;
    await openStore();
    expect(ops()).toEqual(['collection_exists', 'get_collection']);
    expect(created).toBeGreaterThan(10);
  });

  it('refuses a collection whose dimensions differ from the models', async () => {
    await openStore();
    const other = storeWith();
    await expect(other.open({ image: 8, text: 3 })).rejects.toThrow(
      /Qdrant collection catalog does not fit the models: its image vectors have 4 dimensions, the models produce 8/,
    );
  });

  it('uses a collection another replica created between its check and its create', async () => {
    fake.once('collection_exists', () => ({ status: 200, result: { exists: false } }));
    fake.once('create_collection', (request, f) => {
      f.collections.set(COLLECTION, { config: request.body, indexes: new Map(), points: new Map() });
      return { status: 409, error: `Wrong input: Collection \`${COLLECTION}\` already exists!` };
    });
    const store = storeWith();
    await store.open(DIMS);
    expect(await store.count()).toBe(0);
  });

  it('needs open() before use', async () => {
    await expect(storeWith().count()).rejects.toThrow(UnavailableError);
  });

  it('sends the API key with every request', async () => {
    const store = createQdrantStore({ url: 'https://qdrant.test:6333', apiKey: 'secret-key' }, { collection: COLLECTION });
    await store.open(DIMS);
    expect(fake.requests.length).toBeGreaterThan(2);
    expect(fake.requests.every((r) => r.headers['api-key'] === 'secret-key' && r.url.protocol === 'https:')).toBe(true);
  });

  it('validates its connection settings', () => {
    expect(() => createQdrantStore({ url: 'localhost:6333' })).toThrow(/must start with http/);
    expect(() => createQdrantStore({ url: 'http://localhost:6333' }, { shards: 0 })).toThrow(/shards must be a positive integer/);
    expect(createQdrantStore({ url: 'http://localhost:6333' }, { collection: 'x' }).collection).toBe('x');
  });
});

describe('writing and reading', () => {
  it('upserts in batches with wait=true and indexes new attributes first', async () => {
    const store = await openStore({ batchSize: 2 });
    fake.requests.length = 0;
    const items = [0, 1, 2, 3, 4].map((i) => aStored(`p-${i}`, i, { attributes: { color: ['red'], neckline: ['v'] } }));
    await store.upsert(items);
    expect(ops()).toEqual(['create_field_index', 'upsert_points', 'upsert_points', 'upsert_points']);
    expect(fake.bodies('create_field_index')[0]).toEqual({ field_name: 'attributes.neckline', field_schema: 'keyword' });
    const upserts = fake.requests.filter((r) => r.operationId === 'upsert_points');
    expect(upserts.map((r) => r.body.points.length)).toEqual([2, 2, 1]);
    expect(upserts.every((r) => r.url.searchParams.get('wait') === 'true')).toBe(true);
    expect(upserts[0].body.points[0].id).toBe(productPointId('p-0'));
    expect(await store.count()).toBe(5);
  });

  it('reads products in the order asked, with null for unknown ids, and vectors by space', async () => {
    const store = await openStore();
    await store.upsert([aStored('a', 0), aStored('b', 1, { title: 'Bee' })]);
    const products = await store.getProducts(['b', 'zzz', 'a', 'b']);
    expect(products.map((p) => p?.id ?? null)).toEqual(['b', null, 'a', 'b']);
    expect(products[0]).toEqual(aProduct('b', { title: 'Bee' }));
    const vector = await store.getVector('a', 'image');
    expect(Array.from(vector!)).toEqual(Array.from(unitVector(4, 0)));
    expect(await store.getVector('zzz', 'text')).toBeNull();
  });

  it('refuses a vector space the catalogue does not hold', async () => {
    const store = storeWith();
    await store.open({ image: 4 });
    await expect(store.getVector('a', 'text')).rejects.toThrow(/vector space "text" is not configured in this store \(configured: image\)/);
  });

  it('deletes and reports how many existed', async () => {
    const store = await openStore();
    await store.upsert([aStored('a', 0), aStored('b', 1), aStored('c', 2)]);
    expect(await store.delete(['a', 'c', 'nope', 'a'])).toBe(2);
    expect(await store.delete(['nope'])).toBe(0);
    expect((await store.getProducts(['a', 'b', 'c'])).map((p) => p?.id ?? null)).toEqual([null, 'b', null]);
    expect(fake.bodies('delete_points')).toEqual([{ points: [productPointId('a'), productPointId('c')] }]);
  });

  it('rejects bad products before sending anything', async () => {
    const store = await openStore();
    fake.requests.length = 0;
    await expect(store.upsert([aStored('a', 0), { product: aProduct('b'), vectors: { image: new Float32Array(7).fill(1) } }])).rejects.toThrow(InvalidInputError);
    expect(ops()).toEqual([]);
  });

  it('counts and facets exactly, with filters', async () => {
    const store = await openStore();
    await store.upsert([
      aStored('a', 0, { price: 10, attributes: { color: ['red', 'navy'] } }),
      aStored('b', 1, { price: 30, attributes: { color: ['red'] } }),
      aStored('c', 2, { price: 50, inStock: false, attributes: { color: ['blue'] } }),
      aStored('d', 3, { price: 70, attributes: { color: ['navy'], size: ['m'] } }),
    ]);
    expect(await store.count({ must: [{ kind: 'range', key: 'price', gte: 30 }] })).toBe(3);
    expect(await store.count({ must: [{ kind: 'match', key: 'inStock', value: true }], mustNot: [{ kind: 'hasId', ids: ['a'] }] })).toBe(2);
    const facets = await store.facets(['color', 'size'], { must: [{ kind: 'match', key: 'inStock', value: true }] }, 2);
    expect(facets).toEqual([
      { attribute: 'color', values: [{ value: 'navy', count: 2 }, { value: 'red', count: 2 }] },
      { attribute: 'size', values: [{ value: 'm', count: 1 }] },
    ]);
    expect(fake.bodies('facet')[0]).toEqual({ key: 'attributes.color', limit: 18, exact: true, filter: { must: [{ key: 'in_stock', match: { value: true } }] } });
    expect(fake.bodies('count_points').every((b) => b.exact === true)).toBe(true);
  });

  it('pages through every product with vectors for export', async () => {
    const store = await openStore();
    const items = Array.from({ length: 7 }, (_, i) => aStored(`p-${i}`, i));
    await store.upsert(items);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await store.scroll({ after, limit: 3, withVectors: true });
      for (const item of page.items) {
        seen.push(item.product.id);
        expect(Array.from(item.vectors.text!)).toEqual(Array.from(unitVector(3, Number(item.product.id.slice(2)))));
      }
      after = page.next;
      pages++;
    } while (after);
    expect(seen.sort()).toEqual(items.map((i) => i.product.id).sort());
    expect(pages).toBe(3);
    expect(fake.bodies('scroll_points')[0]).toEqual({ limit: 3, with_payload: true, with_vector: ['image', 'text'] });
    await expect(store.scroll({ after: 'p-3', limit: 3 })).rejects.toThrow(/not produced by this store/);
  });

  it('reports its backend, size and dimensions', async () => {
    const store = await openStore();
    await store.upsert([aStored('a', 0)]);
    expect(await store.info()).toEqual({ backend: 'qdrant', products: 1, dimensions: DIMS });
  });
});

describe('searching', () => {
  const scored = (id: string, score: number) => ({ id: productPointId(id), version: 3, score, payload: { product_id: id } });

  it('queries one space and reports each hit with its cosine score and rank', async () => {
    const store = await openStore({ quantization: quantization('binary') });
    fake.on('query_points', () => ({ status: 200, result: { points: [scored('b', 0.9), scored('a', 0.5)] } }));
    const query = unitVector(4, 1);
    const hits = await store.search({ dense: [{ space: 'image', vector: query }], limit: 2, filter: { must: [{ kind: 'matchAny', key: 'color', any: ['red'] }] } });
    expect(hits).toEqual([
      { id: 'b', score: 0.9, parts: [{ source: 'dense:image', score: 0.9, rank: 1 }] },
      { id: 'a', score: 0.5, parts: [{ source: 'dense:image', score: 0.5, rank: 2 }] },
    ]);
    expect(fake.bodies('query_points')).toEqual([
      {
        query: Array.from(query),
        using: 'image',
        filter: { must: [{ key: 'attributes.color', match: { any: ['red'] } }] },
        params: { quantization: { rescore: true, oversampling: 3 } },
        limit: 2,
        with_payload: ['product_id'],
      },
    ]);
  });

  it('keeps Qdrant\'s DBSF scores as they come', async () => {
    const store = await openStore();
    fake.on('query_batch_points', () => ({
      status: 200,
      result: [{ points: [scored('a', 1.4), scored('b', 0.5)] }, { points: [scored('a', 0.9), scored('b', 0.1)] }, { points: [scored('a', 0.8)] }],
    }));
    const hits = await store.search({ dense: [{ space: 'image', vector: unitVector(4, 0) }, { space: 'text', vector: unitVector(3, 1) }], fusion: 'dbsf', limit: 2 });
    expect(hits.map((h) => [h.id, h.score, h.parts.length])).toEqual([['a', 1.4, 2], ['b', 0.5, 1]]);
    expect(fake.bodies('query_batch_points')[0].searches[0].query).toEqual({ fusion: 'dbsf' });
  });

  it('fuses image, text and lexical sources with prefetches and explains each hit by source', async () => {
    const store = await openStore();
    fake.on('query_batch_points', (request: FakeRequest) => {
      expect(request.body.searches).toHaveLength(4);
      return {
        status: 200,
        result: [
          { points: [scored('a', 1 / 61 + 1 / 62), scored('b', 1 / 61 + 1 / 63), scored('c', 1 / 62)] },
          { points: [scored('a', 0.9), scored('c', 0.8)] },
          { points: [scored('b', 0.7), scored('a', 0.6)] },
          { points: [scored('b', 3.2)] },
        ],
      };
    });
    const hits = await store.search({
      dense: [{ space: 'image', vector: unitVector(4, 0) }, { space: 'text', vector: unitVector(3, 1) }],
      lexical: { text: 'red dresses' },
      excludeIds: ['z'],
      limit: 3,
    });
    // Qdrant's fused list picks the products; scores are RRF over the per-source ranks, in double precision.
    expect(hits.map((h) => [h.id, h.score])).toEqual([
      ['b', 2 / 61],
      ['a', 1 / 61 + 1 / 62],
      ['c', 1 / 62],
    ]);
    expect(hits[1].parts).toEqual([
      { source: 'dense:image', score: 0.9, rank: 1 },
      { source: 'dense:text', score: 0.6, rank: 2 },
    ]);
    expect(hits[0].parts).toEqual([
      { source: 'dense:text', score: 0.7, rank: 1 },
      { source: 'lexical', score: 3.2, rank: 1 },
    ]);
    const [fused] = fake.bodies('query_batch_points')[0].searches;
    expect(fused.query).toEqual({ rrf: { k: 61 } });
    expect(fused.prefetch.map((p: { using: string; limit: number }) => [p.using, p.limit])).toEqual([['image', 3], ['text', 3], ['lexical', 3]]);
    expect(fused.filter).toEqual({ must_not: [{ has_id: [productPointId('z')] }] });
  });

  it('answers a lexical search of stop words with nothing, without asking Qdrant', async () => {
    const store = await openStore();
    fake.requests.length = 0;
    expect(await store.search({ dense: [], lexical: { text: 'the and' }, limit: 5 })).toEqual([]);
    expect(ops()).toEqual([]);
  });

  it('rejects a query vector of the wrong dimension', async () => {
    const store = await openStore();
    await expect(store.search({ dense: [{ space: 'text', vector: new Float32Array(4).fill(1) }], limit: 5 })).rejects.toThrow(
      /dimension 4, but the space has dimension 3/,
    );
  });
});

describe('failures', () => {
  it('retries a 5xx answer and succeeds', async () => {
    const store = await openStore();
    fake.once('upsert_points', () => ({ status: 503, error: 'Service unavailable: shard is recovering' }));
    fake.requests.length = 0;
    await store.upsert([aStored('a', 0)]);
    expect(ops()).toEqual(['upsert_points', 'upsert_points']);
    expect(await store.count()).toBe(1);
  });

  it('retries a request that times out', async () => {
    const client = new QdrantClient({ url: 'http://qdrant.test:6333', checkCompatibility: false, timeout: 50 });
    const store = new QdrantStore(client, resolveQdrantStoreOptions({ collection: COLLECTION, retry: { baseDelayMs: 1, maxDelayMs: 2 } }));
    await store.open(DIMS);
    fake.once('count_points', () => 'hang');
    fake.requests.length = 0;
    expect(await store.count()).toBe(0);
    expect(ops()).toEqual(['count_points', 'count_points']);
  });

  it('does not retry a 4xx answer and says what Qdrant rejected', async () => {
    const store = await openStore();
    fake.once('count_points', () => ({ status: 400, error: 'Wrong input: field price is not indexed' }));
    fake.requests.length = 0;
    await expect(store.count()).rejects.toThrow(/Qdrant rejected count products \(HTTP 400\): Wrong input: field price is not indexed/);
    expect(ops()).toEqual(['count_points']);
  });

  it('gives up with an unavailable error after the configured attempts', async () => {
    const store = await openStore({ retry: { attempts: 3 } });
    fake.on('count_points', () => ({ status: 500, error: 'Service internal error' }));
    fake.requests.length = 0;
    await expect(store.count()).rejects.toThrow(UnavailableError);
    expect(ops()).toEqual(['count_points', 'count_points', 'count_points']);
  });
});
