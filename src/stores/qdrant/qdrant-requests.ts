/**
 * Pure builders of every request body the Qdrant store sends, and pure readers of Qdrant's answers.
 * The store (qdrant.store.ts) only moves these through the client.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { InvalidInputError } from '../../domain/errors';
import { andFilters, type Filter } from '../../domain/filter';
import { ATTRIBUTE_NAMES, filterablePredictions, type Product } from '../../domain/product';
import type { ScoredHit, ScorePart, SearchRequest, StoredProduct, VectorSpace } from '../vector-store';
import { VECTOR_SPACES, denseSourceName, validateDenseSource } from '../vector-store';
import { documentTerms, queryTerms, type Bm25Params } from './lexical-terms';
import { productPointId } from './point-id';
import { ATTRIBUTES_PATH, payloadKey, PREDICTED_PATH, toQdrantFilter, type QdrantFilter } from './qdrant-filter';
import type { QdrantStoreOptions } from './qdrant-options';

/** Name of the sparse vector holding BM25 term weights. */
export const LEXICAL_VECTOR = 'lexical';
/** Payload key of the product id. */
export const PRODUCT_ID_KEY = 'product_id';

/**
 * Qdrant scores a document at 0-based position p of a source as 1 / (p + k). The port's RRF is
 * 1 / (60 + rank) with 1-based ranks, so Qdrant's k is 61.
 */
export const QDRANT_RRF_K = 61;

export type CreateCollectionBody = Schemas['CreateCollection'];
export type FieldIndex = Schemas['CreateFieldIndex'] & { field_schema: Schemas['PayloadFieldSchema'] };
export type QueryBody = Schemas['QueryRequest'];
export type PointBody = Schemas['PointStruct'];

// ---------------------------------------------------------------- collection and indexes

export function buildCreateCollection(
  dimensions: Partial<Record<VectorSpace, number>>,
  options: Pick<QdrantStoreOptions, 'quantization' | 'shards' | 'replicas' | 'writeConsistency' | 'vectorsOnDisk' | 'hnsw'>,
): CreateCollectionBody {
  const vectors: Record<string, Schemas['VectorParams']> = {};
  for (const space of VECTOR_SPACES) {
    const size = dimensions[space];
    if (size === undefined) continue;
    vectors[space] = { size, distance: 'Cosine', ...(options.vectorsOnDisk ? { on_disk: true } : {}) };
  }
  const body: CreateCollectionBody = {
    vectors,
    sparse_vectors: { [LEXICAL_VECTOR]: { modifier: 'idf' } },
    shard_number: options.shards,
    replication_factor: options.replicas,
    write_consistency_factor: options.writeConsistency,
  };
  const hnsw: Schemas['HnswConfigDiff'] = {};
  if (options.hnsw.m !== undefined) hnsw.m = options.hnsw.m;
  if (options.hnsw.efConstruct !== undefined) hnsw.ef_construct = options.hnsw.efConstruct;
  if (Object.keys(hnsw).length > 0) body.hnsw_config = hnsw;
  const q = options.quantization;
  if (q.kind === 'scalar') {
    body.quantization_config = {
      scalar: { type: 'int8', ...(q.quantile !== undefined ? { quantile: q.quantile } : {}), ...(q.pinned ? { always_ram: true } : {}) },
    };
  } else if (q.kind === 'binary') {
    body.quantization_config = { binary: q.pinned ? { always_ram: true } : {} };
  }
  return body;
}

/** Payload indexes for the filterable fields and the given attribute names (and `predicted:<name>` keys). */
export function buildFieldIndexes(attributeNames: readonly string[] = ATTRIBUTE_NAMES): FieldIndex[] {
  const indexes: FieldIndex[] = [
    { field_name: PRODUCT_ID_KEY, field_schema: 'keyword' },
    { field_name: 'price', field_schema: 'float' },
    { field_name: 'in_stock', field_schema: 'bool' },
    { field_name: 'style_id', field_schema: 'keyword' },
    { field_name: 'split', field_schema: 'keyword' },
    { field_name: 'title', field_schema: { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2 } },
  ];
  for (const name of new Set(attributeNames)) indexes.push({ field_name: payloadKey(name), field_schema: 'keyword' });
  return indexes;
}

/**
 * Attribute names that at least one point carries, from a collection's payload indexes (every
 * attribute gets a keyword index `attributes.<name>` before the first point carrying it is written;
 * `points` counts the points holding a value there). Sorted.
 */
export function readAttributeNames(info: Pick<Schemas['CollectionInfo'], 'payload_schema'>): string[] {
  const prefix = `${ATTRIBUTES_PATH}.`;
  const names: string[] = [];
  for (const [field, index] of Object.entries(info.payload_schema ?? {})) {
    if (!field.startsWith(prefix) || !((index?.points ?? 0) > 0)) continue;
    const rest = field.slice(prefix.length);
    const name = rest.length >= 2 && rest.startsWith('"') && rest.endsWith('"') ? rest.slice(1, -1) : rest;
    if (name) names.push(name);
  }
  return names.sort();
}

/** Dense dimensions of an existing collection; throws when its layout is not this store's. */
export function readCollectionLayout(info: Schemas['CollectionInfo'], collection: string): Partial<Record<VectorSpace, number>> {
  const vectors = info.config.params.vectors;
  if (vectors && typeof (vectors as Schemas['VectorParams']).size === 'number') {
    throw new InvalidInputError(
      `Qdrant collection ${collection} has a single unnamed vector; this store needs named vectors (image, text). Choose another collection name.`,
    );
  }
  const named = (vectors ?? {}) as Record<string, Schemas['VectorParams']>;
  const dims: Partial<Record<VectorSpace, number>> = {};
  for (const space of VECTOR_SPACES) {
    const params = named[space];
    if (params) dims[space] = params.size;
  }
  if (!info.config.params.sparse_vectors?.[LEXICAL_VECTOR]) {
    throw new InvalidInputError(
      `Qdrant collection ${collection} has no sparse vector "${LEXICAL_VECTOR}"; it was not created by this store. Choose another collection name.`,
    );
  }
  return dims;
}

/** Problems between the dimensions asked for and those of an existing collection (empty when compatible). */
export function dimensionMismatches(
  wanted: Partial<Record<VectorSpace, number>>,
  existing: Partial<Record<VectorSpace, number>>,
): string[] {
  const problems: string[] = [];
  for (const space of VECTOR_SPACES) {
    const want = wanted[space];
    if (want === undefined) continue;
    const have = existing[space];
    if (have === undefined) problems.push(`it has no ${space} vectors (wanted ${want} dimensions)`);
    else if (have !== want) problems.push(`its ${space} vectors have ${have} dimensions, the models produce ${want}`);
  }
  return problems;
}

// ---------------------------------------------------------------- points

export function productPayload(product: Product): Schemas['Payload'] {
  const payload: Schemas['Payload'] = {
    [PRODUCT_ID_KEY]: product.id,
    title: product.title,
    description: product.description,
    brand: product.brand,
    price: product.price,
    currency: product.currency,
    in_stock: product.inStock,
    image_url: product.imageUrl,
    attributes: product.attributes,
  };
  if (product.styleId !== undefined) payload.style_id = product.styleId;
  if (product.split !== undefined) payload.split = product.split;
  if (product.predictedAttributes) {
    payload.predicted_attributes = product.predictedAttributes as unknown as Record<string, unknown>;
    payload[PREDICTED_PATH] = filterablePredictions(product);
  }
  if (product.colours) payload.colours = product.colours as unknown as Record<string, unknown>;
  if (product.pictureCategories) payload.picture_categories = product.pictureCategories as unknown as Record<string, unknown>[];
  return payload;
}

/** Product.colours as stored in the payload; undefined when absent or not of that shape. */
function readColours(raw: unknown): Product['colours'] | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const c = raw as Record<string, unknown>;
  if (!Array.isArray(c.histogram) || typeof c.dominant !== 'string') return undefined;
  const entries = (list: unknown, key: 'share' | 'probability') =>
    (Array.isArray(list) ? list : [])
      .filter((v): v is Record<string, unknown> => !!v && typeof v === 'object')
      .map((v) => ({ name: String(v.name), [key]: Number(v[key]) }));
  return {
    histogram: entries(c.histogram, 'share') as { name: string; share: number }[],
    dominant: c.dominant,
    family: String(c.family ?? ''),
    confidence: Number(c.confidence ?? 0),
    probabilities: entries(c.probabilities, 'probability') as { name: string; probability: number }[],
  };
}

function readPredicted(raw: unknown): Product['predictedAttributes'] | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: NonNullable<Product['predictedAttributes']> = {};
  for (const [name, values] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(values)) continue;
    out[name] = values
      .filter((v): v is Record<string, unknown> => !!v && typeof v === 'object')
      .map((v) => ({ value: String(v.value), confidence: Number(v.confidence), filterable: v.filterable === true }));
  }
  return out;
}

function str(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  return typeof value === 'string' ? value : '';
}

export function payloadProduct(payload: Record<string, unknown>): Product {
  const attributes: Record<string, string[]> = {};
  const rawAttributes = payload.attributes;
  if (rawAttributes && typeof rawAttributes === 'object') {
    for (const [name, values] of Object.entries(rawAttributes as Record<string, unknown>)) {
      attributes[name] = Array.isArray(values) ? values.map(String) : [String(values)];
    }
  }
  const product: Product = {
    id: str(payload, PRODUCT_ID_KEY),
    title: str(payload, 'title'),
    description: str(payload, 'description'),
    brand: str(payload, 'brand'),
    price: typeof payload.price === 'number' ? payload.price : Number(payload.price ?? 0),
    currency: str(payload, 'currency'),
    inStock: payload.in_stock === true,
    imageUrl: str(payload, 'image_url'),
    attributes,
  };
  if (typeof payload.style_id === 'string') product.styleId = payload.style_id;
  if (payload.split === 'train' || payload.split === 'test') product.split = payload.split;
  const predicted = readPredicted(payload.predicted_attributes);
  if (predicted) product.predictedAttributes = predicted;
  const colours = readColours(payload.colours);
  if (colours) product.colours = colours;
  if (Array.isArray(payload.picture_categories)) {
    product.pictureCategories = (payload.picture_categories as unknown[])
      .filter((v): v is Record<string, unknown> => !!v && typeof v === 'object')
      .map((v) => ({ name: String(v.name), probability: Number(v.probability) }));
  }
  return product;
}

export function toNumbers(vector: Float32Array): number[] {
  return Array.from(vector);
}

export function buildPoint(item: StoredProduct, bm25: Bm25Params): PointBody {
  const vector: Record<string, Schemas['Vector']> = {};
  for (const space of VECTOR_SPACES) {
    const v = item.vectors[space];
    if (v) vector[space] = toNumbers(v);
  }
  const lexical = documentTerms(item.product, bm25);
  if (lexical.indices.length > 0) vector[LEXICAL_VECTOR] = lexical;
  return { id: productPointId(item.product.id), vector, payload: productPayload(item.product) };
}

/** Splits into consecutive batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Product id of a returned point, from its payload. */
export function pointProductId(point: { id: Schemas['ExtendedPointId']; payload?: Schemas['Payload'] | null }): string {
  const id = point.payload?.[PRODUCT_ID_KEY];
  if (typeof id !== 'string') {
    throw new Error(`Qdrant point ${String(point.id)} has no ${PRODUCT_ID_KEY} in its payload; the collection holds foreign data`);
  }
  return id;
}

/** A named dense vector of a returned point, or null. */
export function pointVector(point: { vector?: unknown }, space: VectorSpace): Float32Array | null {
  const vector = point.vector;
  if (!vector || typeof vector !== 'object' || Array.isArray(vector)) return null;
  const named = (vector as Record<string, unknown>)[space];
  if (!Array.isArray(named) || named.some((x) => typeof x !== 'number')) return null;
  return Float32Array.from(named as number[]);
}

export function recordToStored(record: Schemas['Record']): StoredProduct {
  const vectors: Partial<Record<VectorSpace, Float32Array>> = {};
  for (const space of VECTOR_SPACES) {
    const v = pointVector(record, space);
    if (v) vectors[space] = v;
  }
  return { product: payloadProduct(record.payload ?? {}), vectors };
}

/** Retrieval of points by product id (ids in the order given). */
export function buildRetrieve(productIds: string[], withPayload: boolean, withVector: VectorSpace[] | false): Schemas['PointRequest'] {
  return { ids: productIds.map(productPointId), with_payload: withPayload, with_vector: withVector };
}

export function buildCount(filter: Filter | undefined): Schemas['CountRequest'] {
  const qdrantFilter = toQdrantFilter(filter);
  return { exact: true, ...(qdrantFilter ? { filter: qdrantFilter } : {}) };
}

/** A page of points in point-id order; vectors of the given spaces when asked. */
export function buildScroll(
  options: { after?: string | null; limit: number; withVectors?: boolean; filter?: Filter },
  spaces: readonly VectorSpace[],
): Schemas['ScrollRequest'] {
  const filter = toQdrantFilter(options.filter);
  return {
    limit: options.limit,
    ...(options.after != null ? { offset: options.after } : {}),
    ...(filter ? { filter } : {}),
    with_payload: true,
    with_vector: options.withVectors && spaces.length > 0 ? [...spaces] : false,
  };
}

// ---------------------------------------------------------------- search

export interface SearchSource {
  source: ScorePart['source'];
  using: string;
  query: number[] | Schemas['SparseVector'];
  /** The source's own filter, AND-ed with the request's. */
  filter?: Filter;
}

export interface SearchPlan {
  /** Every source of the search; empty when nothing can match (e.g. a lexical query of stop words only). */
  sources: SearchSource[];
  /** One request for a single source; when fused, the fused request first, then one per source. */
  requests: QueryBody[];
}

function searchParams(
  kind: 'dense' | 'lexical',
  request: SearchRequest,
  options: Pick<QdrantStoreOptions, 'quantization' | 'hnsw'>,
): Schemas['SearchParams'] | undefined {
  const params: Schemas['SearchParams'] = {};
  if (request.exact) params.exact = true;
  if (kind === 'dense') {
    if (!request.exact && options.hnsw.ef !== undefined) params.hnsw_ef = options.hnsw.ef;
    const q = options.quantization;
    if (q.kind !== 'none') {
      params.quantization = request.exact ? { ignore: true } : { rescore: q.rescore, oversampling: q.oversampling };
    }
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

/** The filter of a search: the request's filter minus the excluded ids. */
export function searchFilter(request: Pick<SearchRequest, 'filter' | 'excludeIds'>): QdrantFilter | undefined {
  const exclude: Filter | undefined = request.excludeIds?.length
    ? { mustNot: [{ kind: 'hasId', ids: request.excludeIds }] }
    : undefined;
  return toQdrantFilter(andFilters(request.filter, exclude));
}

/** Longest result list one search may ask for (as in the embedded store). */
export const MAX_SEARCH_LIMIT = 10_000;

/** Problem with a vector (wrong length, non-finite or all-zero values), or null. */
export function vectorProblem(vector: unknown, dim: number): string | null {
  if (!(vector instanceof Float32Array)) return 'must be a Float32Array';
  if (vector.length !== dim) return `has dimension ${vector.length}, but the space has dimension ${dim}`;
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) return `holds a non-finite value at position ${i}`;
    sum += vector[i] * vector[i];
  }
  return sum === 0 ? 'is all zeros; it has no direction to compare' : null;
}

/** Checks a product before it is written; throws a message naming the item and the field to fix. */
export function validateStoredProduct(item: StoredProduct, index: number, dimensions: Partial<Record<VectorSpace, number>>): void {
  const what = `item ${index}`;
  const p = item?.product as unknown as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') throw new InvalidInputError(`${what}: product must be an object`);
  if (typeof p.id !== 'string' || p.id.length === 0 || p.id.length > 512) {
    throw new InvalidInputError(`${what}: product id must be a string of 1 to 512 characters`);
  }
  for (const field of ['title', 'description', 'brand', 'currency', 'imageUrl']) {
    if (typeof p[field] !== 'string') throw new InvalidInputError(`${what} (${p.id}): ${field} must be a string`);
  }
  if (typeof p.price !== 'number' || !Number.isFinite(p.price)) throw new InvalidInputError(`${what} (${p.id}): price must be a finite number`);
  if (typeof p.inStock !== 'boolean') throw new InvalidInputError(`${what} (${p.id}): inStock must be a boolean`);
  if (!p.attributes || typeof p.attributes !== 'object' || Array.isArray(p.attributes)) {
    throw new InvalidInputError(`${what} (${p.id}): attributes must be an object of string lists`);
  }
  for (const [name, values] of Object.entries(p.attributes as Record<string, unknown>)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw new InvalidInputError(`${what} (${p.id}): attribute "${name}" must be a list of strings`);
    }
    payloadKey(name);
  }
  for (const [space, vector] of Object.entries(item.vectors ?? {})) {
    if (vector === undefined) continue;
    const dim = dimensions[space as VectorSpace];
    if (dim === undefined) throw new InvalidInputError(`${what} (${p.id}): this catalogue holds no ${space} vectors`);
    const problem = vectorProblem(vector, dim);
    if (problem) throw new InvalidInputError(`${what} (${p.id}) ${space} vector ${problem}`);
  }
}

/** Checks a search request against the collection's dimensions; throws a message saying what to fix. */
export function validateSearch(request: SearchRequest, dimensions: Partial<Record<VectorSpace, number>>): void {
  const { limit } = request;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new InvalidInputError(`search limit must be an integer from 1 to ${MAX_SEARCH_LIMIT} (got ${limit})`);
  }
  if (request.fusion !== undefined && request.fusion !== 'rrf' && request.fusion !== 'dbsf') {
    throw new InvalidInputError(`fusion must be "rrf" or "dbsf" (got ${JSON.stringify(request.fusion)})`);
  }
  const dense = request.dense ?? [];
  if (request.lexical !== undefined && typeof request.lexical?.text !== 'string') {
    throw new InvalidInputError('lexical.text must be a string');
  }
  if (dense.length === 0 && request.lexical === undefined) {
    throw new InvalidInputError('a search needs at least one query vector or lexical text');
  }
  dense.forEach((source, i) => {
    validateDenseSource(source, i);
    const { space, vector } = source;
    const dim = dimensions[space];
    if (dim === undefined) throw new InvalidInputError(`query vector ${i}: this catalogue has no ${space} vectors to search`);
    const problem = vectorProblem(vector, dim);
    if (problem) throw new InvalidInputError(`query vector ${i} (${space}) ${problem}`);
  });
}

export function prefetchLimit(limit: number, factor: number): number {
  return Math.max(limit, Math.ceil(limit * factor));
}

/**
 * Builds the Query API request(s) of a valid search. A search with one source is a plain nearest
 * query scored by that source; with several (even if the lexical text turns out to have no searchable
 * term) the sources become prefetches fused with RRF or DBSF.
 */
export function buildSearch(
  request: SearchRequest,
  options: Pick<QdrantStoreOptions, 'quantization' | 'hnsw' | 'prefetchFactor'>,
): SearchPlan {
  const dense = request.dense ?? [];
  const sources: SearchSource[] = dense.map((d) => ({
    source: denseSourceName(d),
    using: d.space,
    query: toNumbers(d.vector),
    ...(d.filter ? { filter: d.filter } : {}),
  }));
  if (request.lexical) {
    const terms = queryTerms(request.lexical.text);
    if (terms.indices.length > 0) sources.push({ source: 'lexical', using: LEXICAL_VECTOR, query: terms });
  }
  if (sources.length === 0) return { sources, requests: [] };
  const filter = searchFilter(request);
  const withFilter = filter ? { filter } : {};
  const sourceFilter = (source: SearchSource) => {
    if (!source.filter) return withFilter;
    const f = searchFilter({ filter: andFilters(request.filter, source.filter), excludeIds: request.excludeIds });
    return f ? { filter: f } : {};
  };
  const single = (source: SearchSource, limit: number): QueryBody => {
    const params = searchParams(source.source === 'lexical' ? 'lexical' : 'dense', request, options);
    return {
      query: source.query,
      using: source.using,
      ...sourceFilter(source),
      ...(params ? { params } : {}),
      limit,
      with_payload: [PRODUCT_ID_KEY],
    };
  };
  const fused = dense.length + (request.lexical ? 1 : 0) > 1;
  if (!fused) return { sources, requests: [single(sources[0], request.limit)] };

  const depth = prefetchLimit(request.limit, options.prefetchFactor);
  const prefetch: Schemas['Prefetch'][] = sources.map((source) => {
    const params = searchParams(source.source === 'lexical' ? 'lexical' : 'dense', request, options);
    return { query: source.query, using: source.using, ...sourceFilter(source), ...(params ? { params } : {}), limit: depth };
  });
  const fusedRequest: QueryBody = {
    prefetch,
    query: request.fusion === 'dbsf' ? { fusion: 'dbsf' } : { rrf: { k: QDRANT_RRF_K } },
    ...withFilter,
    limit: request.limit,
    with_payload: [PRODUCT_ID_KEY],
  };
  return { sources, requests: [fusedRequest, ...sources.map((s) => single(s, depth))] };
}

/** The port's RRF constant: a hit at 1-based rank r of a source earns 1 / (RRF_K + r). */
export const RRF_K = 60;

type ScoredPoints = { points: Schemas['ScoredPoint'][] };

/** Hits of a single-source search, scored by that source. */
export function readSingleHits(response: ScoredPoints, source: SearchSource['source']): ScoredHit[] {
  return response.points.map((point, i) => ({ id: pointProductId(point), score: point.score, parts: [{ source, score: point.score, rank: i + 1 }] }));
}

/**
 * Hits of a fused search: Qdrant's fused list decides which products come back; the per-source lists
 * give each hit its parts. For RRF the score is recomputed from those ranks in double precision
 * (Qdrant scores in 32-bit floats) and ties are broken by best rank, then id, as the embedded store does.
 */
export function readFusedHits(
  fused: ScoredPoints,
  perSource: ScoredPoints[],
  sources: SearchSource[],
  fusion: 'rrf' | 'dbsf',
): ScoredHit[] {
  const partsById = new Map<string, ScorePart[]>();
  perSource.forEach((response, s) => {
    response.points.forEach((point, i) => {
      const id = pointProductId(point);
      const parts = partsById.get(id) ?? [];
      parts.push({ source: sources[s].source, score: point.score, rank: i + 1 });
      partsById.set(id, parts);
    });
  });
  const hits = fused.points.map((point) => {
    const id = pointProductId(point);
    const parts = partsById.get(id) ?? [];
    const score = fusion === 'rrf' && parts.length > 0 ? parts.reduce((sum, part) => sum + 1 / (RRF_K + part.rank), 0) : point.score;
    return { id, score, parts };
  });
  if (fusion === 'dbsf') return hits;
  const best = (hit: ScoredHit) => Math.min(...hit.parts.map((part) => part.rank), Number.MAX_SAFE_INTEGER);
  return hits.sort((a, b) => b.score - a.score || best(a) - best(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

// ---------------------------------------------------------------- facets

/**
 * Facet values asked of Qdrant per attribute: more than the limit, so that ties at the cut are broken
 * by value here rather than by the order Qdrant happens to return them in.
 */
export function facetWindow(limit: number): number {
  return limit + Math.max(16, limit);
}

export function buildFacet(attribute: string, filter: Filter | undefined, limit: number): Schemas['FacetRequest'] {
  const qdrantFilter = toQdrantFilter(filter);
  return { key: payloadKey(attribute), limit: facetWindow(limit), exact: true, ...(qdrantFilter ? { filter: qdrantFilter } : {}) };
}

export function readFacet(hits: Schemas['FacetValueHit'][], limit: number): { value: string; count: number }[] {
  return hits
    .map((hit) => ({ value: String(hit.value), count: hit.count }))
    .filter((hit) => hit.count > 0)
    .sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0))
    .slice(0, limit);
}
