import { DEFAULT_BM25, documentTerms, queryTerms } from '../../../../src/stores/qdrant/lexical-terms';
import { productPointId } from '../../../../src/stores/qdrant/point-id';
import { DEFAULT_QDRANT_STORE_OPTIONS, quantization } from '../../../../src/stores/qdrant/qdrant-options';
import {
  batches,
  buildCount,
  buildCreateCollection,
  buildFacet,
  buildFieldIndexes,
  buildPoint,
  buildRetrieve,
  buildScroll,
  buildSearch,
  dimensionMismatches,
  payloadProduct,
  productPayload,
  QDRANT_RRF_K,
  readAttributeNames,
  readCollectionLayout,
  readFacet,
  readFusedHits,
  readSingleHits,
  recordToStored,
  validateSearch,
  validateStoredProduct,
} from '../../../../src/stores/qdrant/qdrant-requests';
import type { SearchRequest } from '../../../../src/stores/vector-store';
import { aProduct, aStored, unitVector } from './support/products';
import { qdrantOpenApi } from './support/qdrant-openapi';

const api = qdrantOpenApi();
const options = DEFAULT_QDRANT_STORE_OPTIONS;

describe('collection and index bodies', () => {
  it('creates named cosine vectors, the idf sparse vector and the shard layout', () => {
    const body = buildCreateCollection({ image: 512, text: 256 }, { ...options, shards: 3, replicas: 2, writeConsistency: 2 });
    expect(body).toEqual({
      vectors: { image: { size: 512, distance: 'Cosine' }, text: { size: 256, distance: 'Cosine' } },
      sparse_vectors: { lexical: { modifier: 'idf' } },
      shard_number: 3,
      replication_factor: 2,
      write_consistency_factor: 2,
    });
    expect(api.checkSchema('CreateCollection', body)).toEqual([]);
  });

  it.each([
    ['binary', quantization('binary'), { binary: { always_ram: true } }],
    ['scalar', quantization('scalar', { quantile: 0.99 }), { scalar: { type: 'int8', quantile: 0.99, always_ram: true } }],
    ['scalar on disk', quantization('scalar', { pinned: false }), { scalar: { type: 'int8' } }],
  ])('configures %s quantization', (_name, q, expected) => {
    const body = buildCreateCollection({ image: 8 }, { ...options, quantization: q, vectorsOnDisk: true, hnsw: { m: 32, efConstruct: 200 } });
    expect(body.quantization_config).toEqual(expected);
    expect(body.vectors).toEqual({ image: { size: 8, distance: 'Cosine', on_disk: true } });
    expect(body.hnsw_config).toEqual({ m: 32, ef_construct: 200 });
    expect(api.checkSchema('CreateCollection', body)).toEqual([]);
  });

  it('indexes every filterable field with its type', () => {
    const indexes = buildFieldIndexes(['color', 'neck.style']);
    expect(indexes).toEqual([
      { field_name: 'product_id', field_schema: 'keyword' },
      { field_name: 'price', field_schema: 'float' },
      { field_name: 'in_stock', field_schema: 'bool' },
      { field_name: 'style_id', field_schema: 'keyword' },
      { field_name: 'split', field_schema: 'keyword' },
      { field_name: 'title', field_schema: { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2 } },
      { field_name: 'attributes.color', field_schema: 'keyword' },
      { field_name: 'attributes."neck.style"', field_schema: 'keyword' },
    ]);
    for (const index of indexes) expect(api.checkSchema('CreateFieldIndex', index)).toEqual([]);
    expect(buildFieldIndexes().map((i) => i.field_name)).toContain('attributes.colorFamily');
  });

  it('reads the layout of an existing collection and reports mismatches', () => {
    const info = {
      status: 'green',
      optimizer_status: 'ok',
      segments_count: 1,
      payload_schema: {},
      config: {
        params: { vectors: { image: { size: 4, distance: 'Cosine' } }, sparse_vectors: { lexical: { modifier: 'idf' } } },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
        optimizer_config: { default_segment_number: 0, flush_interval_sec: 5 },
      },
    } as never;
    expect(readCollectionLayout(info, 'c')).toEqual({ image: 4 });
    expect(dimensionMismatches({ image: 4 }, { image: 4 })).toEqual([]);
    expect(dimensionMismatches({ image: 8, text: 3 }, { image: 4 })).toEqual([
      'its image vectors have 4 dimensions, the models produce 8',
      'it has no text vectors (wanted 3 dimensions)',
    ]);
    const unnamed = { ...(info as object), config: { ...(info as any).config, params: { vectors: { size: 4, distance: 'Cosine' } } } } as never;
    expect(() => readCollectionLayout(unnamed, 'c')).toThrow(/single unnamed vector/);
    const noSparse = { ...(info as object), config: { ...(info as any).config, params: { vectors: {} } } } as never;
    expect(() => readCollectionLayout(noSparse, 'c')).toThrow(/no sparse vector "lexical"/);
  });
});

describe('points', () => {
  it('builds a point with a UUID v5 id, named vectors, BM25 terms and the product payload', () => {
    const item = aStored('p-1', 0, { styleId: 's-1', split: 'test' });
    const point = buildPoint(item, DEFAULT_BM25);
    expect(point.id).toBe(productPointId('p-1'));
    const vector = point.vector as Record<string, unknown>;
    expect(vector.image).toEqual(Array.from(item.vectors.image!));
    expect(vector.text).toEqual(Array.from(item.vectors.text!));
    expect(vector.lexical).toEqual(documentTerms({ title: 'Product p-1', description: 'A plain cotton tee', brand: 'Acme' }));
    expect(point.payload).toEqual({
      product_id: 'p-1',
      title: 'Product p-1',
      description: 'A plain cotton tee',
      brand: 'Acme',
      price: 20,
      currency: 'EUR',
      in_stock: true,
      image_url: '/media/p-1.png',
      attributes: { category: ['tshirt'], color: ['white'] },
      style_id: 's-1',
      split: 'test',
    });
    expect(api.checkSchema('PointsList', { points: [point] })).toEqual([]);
  });

  it('round-trips products through the payload', () => {
    const product = aProduct('p-2', { styleId: 'x', split: 'train', attributes: { color: ['red', 'navy'] } });
    expect(payloadProduct(productPayload(product))).toEqual(product);
    expect(payloadProduct(productPayload(aProduct('p-3')))).toEqual(aProduct('p-3'));
  });

  it('reads stored products and their vectors from records', () => {
    const stored = recordToStored({ id: productPointId('p-1'), payload: productPayload(aProduct('p-1')), vector: { image: [1, 0], lexical: { indices: [1], values: [1] } } });
    expect(stored.product.id).toBe('p-1');
    expect(stored.vectors).toEqual({ image: Float32Array.from([1, 0]) });
  });

  it('builds retrieve, count and scroll bodies', () => {
    const retrieve = buildRetrieve(['a', 'b'], false, ['text']);
    expect(retrieve).toEqual({ ids: [productPointId('a'), productPointId('b')], with_payload: false, with_vector: ['text'] });
    expect(api.checkSchema('PointRequest', retrieve)).toEqual([]);
    expect(buildCount(undefined)).toEqual({ exact: true });
    const count = buildCount({ must: [{ kind: 'match', key: 'color', value: 'red' }] });
    expect(count).toEqual({ exact: true, filter: { must: [{ key: 'attributes.color', match: { value: 'red' } }] } });
    expect(api.checkSchema('CountRequest', count)).toEqual([]);
    const after = productPointId('c');
    const scroll = buildScroll({ after, limit: 50, withVectors: true, filter: { mustNot: [{ kind: 'match', key: 'inStock', value: false }] } }, ['image']);
    expect(scroll).toEqual({ limit: 50, offset: after, filter: { must_not: [{ key: 'in_stock', match: { value: false } }] }, with_payload: true, with_vector: ['image'] });
    expect(api.checkSchema('ScrollRequest', scroll)).toEqual([]);
    expect(buildScroll({ limit: 5, withVectors: false }, ['image', 'text'])).toEqual({ limit: 5, with_payload: true, with_vector: false });
  });

  it('splits into batches', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], 2)).toEqual([]);
  });

  it.each([
    ['a missing id', { ...aStored('x', 0), product: { ...aProduct('x'), id: '' } }, /product id must be a string/],
    ['a wrong dimension', { product: aProduct('x'), vectors: { image: new Float32Array(5).fill(1) } }, /image vector has dimension 5, but the space has dimension 4/],
    ['a zero vector', { product: aProduct('x'), vectors: { image: new Float32Array(4) } }, /all zeros/],
    ['a NaN', { product: aProduct('x'), vectors: { text: Float32Array.from([1, Number.NaN, 0]) } }, /non-finite value at position 1/],
    ['an unknown space', { product: aProduct('x'), vectors: { sketch: new Float32Array(4).fill(1) } as never }, /no sketch vectors/],
    ['a bad price', { ...aStored('x', 0), product: { ...aProduct('x'), price: Number.POSITIVE_INFINITY } }, /price must be a finite number/],
    ['a bad attribute', { ...aStored('x', 0), product: { ...aProduct('x'), attributes: { color: 'red' } as never } }, /attribute "color" must be a list of strings/],
  ])('rejects a product with %s', (_name, item, message) => {
    expect(() => validateStoredProduct(item as never, 0, { image: 4, text: 3 })).toThrow(message);
  });
});

describe('search requests', () => {
  const image = unitVector(4, 1);
  const text = unitVector(3, 2);
  const base: SearchRequest = { dense: [{ space: 'image', vector: image }], limit: 10 };

  it('queries one dense space directly', () => {
    const plan = buildSearch(base, options);
    expect(plan.sources.map((s) => s.source)).toEqual(['dense:image']);
    expect(plan.requests).toEqual([{ query: Array.from(image), using: 'image', limit: 10, with_payload: ['product_id'] }]);
    expect(api.checkSchema('QueryRequest', plan.requests[0])).toEqual([]);
  });

  it('puts the filter and the excluded ids in the query', () => {
    const plan = buildSearch({ ...base, filter: { must: [{ kind: 'match', key: 'color', value: 'red' }] }, excludeIds: ['p-9'] }, options);
    expect(plan.requests[0].filter).toEqual({
      must: [{ must: [{ key: 'attributes.color', match: { value: 'red' } }] }, { must_not: [{ has_id: [productPointId('p-9')] }] }],
    });
    expect(api.checkSchema('QueryRequest', plan.requests[0])).toEqual([]);
  });

  it('fuses dense and lexical sources with RRF (k = 60 on 1-based ranks) through prefetches', () => {
    const plan = buildSearch({ dense: [{ space: 'image', vector: image }, { space: 'text', vector: text }], lexical: { text: 'red dress' }, limit: 25 }, options);
    expect(plan.sources.map((s) => s.source)).toEqual(['dense:image', 'dense:text', 'lexical']);
    const [fused, ...single] = plan.requests;
    expect(QDRANT_RRF_K).toBe(61);
    expect(fused.query).toEqual({ rrf: { k: 61 } });
    expect(fused.limit).toBe(25);
    expect(fused.prefetch).toEqual([
      { query: Array.from(image), using: 'image', limit: 25 },
      { query: Array.from(text), using: 'text', limit: 25 },
      { query: queryTerms('red dress'), using: 'lexical', limit: 25 },
    ]);
    expect(single.map((r) => [r.using, r.limit])).toEqual([['image', 25], ['text', 25], ['lexical', 25]]);
    expect(api.checkSchema('QueryRequestBatch', { searches: plan.requests })).toEqual([]);
  });

  it('uses DBSF when asked and widens prefetches by the prefetch factor', () => {
    const plan = buildSearch({ dense: [{ space: 'image', vector: image }, { space: 'text', vector: text }], fusion: 'dbsf', limit: 10, filter: { must: [{ kind: 'range', key: 'price', lt: 30 }] } }, { ...options, prefetchFactor: 2.5 });
    const [fused] = plan.requests;
    expect(fused.query).toEqual({ fusion: 'dbsf' });
    expect((fused.prefetch as { limit: number; filter: unknown }[]).map((p) => [p.limit, p.filter])).toEqual([
      [25, { must: [{ key: 'price', range: { lt: 30 } }] }],
      [25, { must: [{ key: 'price', range: { lt: 30 } }] }],
    ]);
    expect(fused.filter).toEqual({ must: [{ key: 'price', range: { lt: 30 } }] });
    expect(api.checkSchema('QueryRequestBatch', { searches: plan.requests })).toEqual([]);
  });

  it('oversamples and rescores a quantized index, and bypasses it for exact searches', () => {
    const q = { ...options, quantization: quantization('binary'), hnsw: { ef: 128 } };
    expect(buildSearch(base, q).requests[0].params).toEqual({ hnsw_ef: 128, quantization: { rescore: true, oversampling: 3 } });
    expect(buildSearch({ ...base, exact: true }, q).requests[0].params).toEqual({ exact: true, quantization: { ignore: true } });
    const lexical = buildSearch({ dense: [], lexical: { text: 'wool' }, limit: 5, exact: true }, q).requests[0];
    expect(lexical.params).toEqual({ exact: true });
    for (const r of [buildSearch(base, q).requests[0], lexical]) expect(api.checkSchema('QueryRequest', r)).toEqual([]);
  });

  it('returns no request for a lexical-only search without searchable terms', () => {
    expect(buildSearch({ dense: [], lexical: { text: 'the of' }, limit: 5 }, options).requests).toEqual([]);
  });

  it('still fuses when the lexical part of a combined search has no terms', () => {
    const plan = buildSearch({ ...base, lexical: { text: '!!' } }, options);
    expect(plan.sources.map((s) => s.source)).toEqual(['dense:image']);
    expect(plan.requests[0].query).toEqual({ rrf: { k: 61 } });
    expect(plan.requests).toHaveLength(2);
  });

  it.each([
    ['a zero limit', { ...base, limit: 0 }, /limit must be an integer from 1 to 10000/],
    ['no source', { dense: [], limit: 3 }, /at least one query vector or lexical text/],
    ['a wrong dimension', { dense: [{ space: 'image', vector: new Float32Array(3).fill(1) }], limit: 3 }, /dimension 3, but the space has dimension 4/],
    ['a space the catalogue lacks', { dense: [{ space: 'text', vector: text }], limit: 3 }, /no text vectors/],
    ['an unknown fusion', { ...base, fusion: 'max' as never }, /fusion must be "rrf" or "dbsf"/],
  ])('rejects a search with %s', (_name, request, message) => {
    expect(() => validateSearch(request as SearchRequest, { image: 4 })).toThrow(message);
  });
});

describe('reading search answers', () => {
  const point = (id: string, score: number) => ({ id: productPointId(id), version: 1, score, payload: { product_id: id } });
  const sources = [
    { source: 'dense:image' as const, using: 'image', query: [1, 0] },
    { source: 'dense:text' as const, using: 'text', query: [0, 1] },
  ];

  it('scores a single source by itself, ranks from 1', () => {
    expect(readSingleHits({ points: [point('a', 0.8), point('b', 0.3)] }, 'lexical')).toEqual([
      { id: 'a', score: 0.8, parts: [{ source: 'lexical', score: 0.8, rank: 1 }] },
      { id: 'b', score: 0.3, parts: [{ source: 'lexical', score: 0.3, rank: 2 }] },
    ]);
  });

  it('recomputes RRF from the per-source ranks and breaks ties by best rank, then id', () => {
    // b: rank 2 in both; a: rank 3 in both; c and d: rank 1 in one source each (a tie, broken by id).
    const fused = { points: [point('d', 0.0328), point('c', 0.0328), point('a', 0.0323), point('b', 0.0322)] };
    const perSource = [
      { points: [point('c', 0.9), point('b', 0.8), point('a', 0.7)] },
      { points: [point('d', 0.9), point('b', 0.8), point('a', 0.7)] },
    ];
    const hits = readFusedHits(fused, perSource, sources, 'rrf');
    expect(hits.map((h) => [h.id, h.score])).toEqual([
      ['b', 2 / 62],
      ['a', 2 / 63],
      ['c', 1 / 61],
      ['d', 1 / 61],
    ]);
    expect(hits[0].parts).toEqual([
      { source: 'dense:image', score: 0.8, rank: 2 },
      { source: 'dense:text', score: 0.8, rank: 2 },
    ]);
  });

  it('keeps Qdrant\'s order and scores for DBSF', () => {
    const hits = readFusedHits({ points: [point('x', 1.5), point('y', 0.2)] }, [{ points: [point('y', 0.9)] }, { points: [] }], sources, 'dbsf');
    expect(hits).toEqual([
      { id: 'x', score: 1.5, parts: [] },
      { id: 'y', score: 0.2, parts: [{ source: 'dense:image', score: 0.9, rank: 1 }] },
    ]);
  });

  it('refuses a point without a product id', () => {
    expect(() => readSingleHits({ points: [{ id: 7, version: 1, score: 1, payload: {} }] }, 'lexical')).toThrow(/has no product_id/);
  });
});

describe('facets', () => {
  it('asks for exact counts over a window wider than the limit', () => {
    const body = buildFacet('color', { must: [{ kind: 'match', key: 'inStock', value: true }] }, 5);
    expect(body).toEqual({ key: 'attributes.color', limit: 21, exact: true, filter: { must: [{ key: 'in_stock', match: { value: true } }] } });
    expect(api.checkSchema('FacetRequest', body)).toEqual([]);
    expect(buildFacet('size', undefined, 100)).toEqual({ key: 'attributes.size', limit: 200, exact: true });
  });

  it('orders values by count, then by value, and cuts at the limit', () => {
    const hits = [
      { value: 'red', count: 2 },
      { value: 'blue', count: 5 },
      { value: 'navy', count: 2 },
      { value: 'green', count: 0 },
      { value: true, count: 1 },
    ];
    expect(readFacet(hits, 3)).toEqual([
      { value: 'blue', count: 5 },
      { value: 'navy', count: 2 },
      { value: 'red', count: 2 },
    ]);
    expect(readFacet(hits, 10).at(-1)).toEqual({ value: 'true', count: 1 });
  });
});

describe('readAttributeNames', () => {
  it.each([
    ['no payload schema', undefined, []],
    ['fields that are not attributes', { price: { data_type: 'float', points: 5 }, style_id: { data_type: 'keyword', points: 5 } }, []],
    ['attribute indexes with points, sorted', { 'attributes.size': { data_type: 'keyword', points: 3 }, 'attributes.color': { data_type: 'keyword', points: 1 } }, ['color', 'size']],
    ['an index no point holds a value in', { 'attributes.color': { data_type: 'keyword', points: 2 }, 'attributes.pattern': { data_type: 'keyword', points: 0 } }, ['color']],
    ['a quoted name', { 'attributes."fit-type"': { data_type: 'keyword', points: 1 } }, ['fit-type']],
  ])('%s', (_name, schema, expected) => {
    expect(readAttributeNames({ payload_schema: schema as never })).toEqual(expected);
  });
});
