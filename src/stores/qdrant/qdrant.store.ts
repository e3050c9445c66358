/**
 * The store port over Qdrant: one collection per catalogue with named dense vectors `image` and
 * `text` (cosine) and a sparse vector `lexical` (BM25 with server-side IDF). Request bodies come from
 * the pure builders in qdrant-requests.ts; this class moves them through the client, with retries.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { InvalidInputError, UnavailableError } from '../../domain/errors';
import type { Filter } from '../../domain/filter';
import { filterablePredictions, predictedKey, type Product } from '../../domain/product';
import type {
  FacetCount,
  ScoredHit,
  ScrollPage,
  SearchRequest,
  StoreInfo,
  StoredProduct,
  VectorSpace,
  VectorStore,
} from '../vector-store';
import { VECTOR_SPACES, type SpaceRecord } from '../vector-store';

/** Key of the space record in the collection's metadata. */
const SPACE_METADATA_KEY = 'space';
import { isUuid } from './point-id';
import { resolveQdrantStoreOptions, type QdrantStoreOptions, type QdrantStoreSettings } from './qdrant-options';
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
  pointVector,
  readAttributeNames,
  readCollectionLayout,
  readFacet,
  readFusedHits,
  readSingleHits,
  recordToStored,
  validateSearch,
  validateStoredProduct,
  type FieldIndex,
} from './qdrant-requests';
import { realSleep, withRetry, type Sleep } from './qdrant-retry';

/** The client calls this store makes. */
export type QdrantApi = Pick<
  QdrantClient,
  | 'collectionExists'
  | 'createCollection'
  | 'getCollection'
  | 'createPayloadIndex'
  | 'upsert'
  | 'delete'
  | 'retrieve'
  | 'query'
  | 'queryBatch'
  | 'count'
  | 'facet'
  | 'scroll'
  | 'updateCollection'
  | 'deleteCollection'
  | 'getAliases'
  | 'updateCollectionAliases'
>;

/** Ids per retrieve request. */
const RETRIEVE_BATCH = 512;
const DEFAULT_FACET_LIMIT = 100;
export const MAX_SCROLL_LIMIT = 10_000;

export class QdrantStore implements VectorStore {
  private dimensions: Partial<Record<VectorSpace, number>> | null = null;
  private readonly indexed = new Set<string>();

  constructor(
    private readonly client: QdrantApi,
    private readonly options: QdrantStoreOptions,
    private readonly sleep: Sleep = realSleep,
  ) {}

  get collection(): string {
    return this.options.collection;
  }

  async open(dimensions: Partial<Record<VectorSpace, number>>): Promise<void> {
    for (const [space, dim] of Object.entries(dimensions)) {
      if (!VECTOR_SPACES.includes(space as VectorSpace)) throw new InvalidInputError(`unknown vector space ${space}; use image or text`);
      if (!Number.isInteger(dim) || (dim as number) < 1) throw new InvalidInputError(`${space} dimension must be a positive integer (got ${dim})`);
    }
    const name = this.collection;
    const { exists } = await this.call('check the collection', () => this.client.collectionExists(name));
    if (!exists) await this.createCollection(dimensions);
    const info = await this.call('read the collection', () => this.client.getCollection(name));
    const existing = readCollectionLayout(info, name);
    const problems = dimensionMismatches(dimensions, existing);
    if (problems.length > 0) {
      throw new InvalidInputError(
        `Qdrant collection ${name} does not fit the models: ${problems.join('; ')}. Use another QDRANT_COLLECTION or re-ingest into a new collection.`,
        { collection: name },
      );
    }
    for (const field of Object.keys(info.payload_schema ?? {})) this.indexed.add(field);
    await this.ensureIndexes(buildFieldIndexes());
    this.dimensions = existing;
  }

  async close(): Promise<void> {
    this.dimensions = null;
  }

  async upsert(items: StoredProduct[]): Promise<void> {
    const dims = this.opened();
    if (!Array.isArray(items)) throw new InvalidInputError('upsert expects a list of products with vectors');
    const attributeNames = new Set<string>();
    items.forEach((item, i) => {
      validateStoredProduct(item, i, dims);
      for (const name of Object.keys(item.product.attributes)) attributeNames.add(name);
      for (const name of Object.keys(filterablePredictions(item.product))) attributeNames.add(predictedKey(name));
    });
    if (items.length === 0) return;
    await this.ensureIndexes(buildFieldIndexes([...attributeNames]));
    // A later item with the same id wins, as it would in sequential upserts.
    const latest = new Map<string, StoredProduct>();
    for (const item of items) latest.set(item.product.id, item);
    const points = [...latest.values()].map((item) => buildPoint(item, this.options.lexical));
    for (const batch of batches(points, this.options.batchSize)) {
      await this.call('upsert products', () => this.client.upsert(this.collection, { wait: true, points: batch }));
    }
  }

  async delete(ids: string[]): Promise<number> {
    this.opened();
    checkIds(ids, 'delete');
    let existing = 0;
    for (const batch of batches([...new Set(ids)], RETRIEVE_BATCH)) {
      const found = await this.call('look up products', () => this.client.retrieve(this.collection, buildRetrieve(batch, false, false)));
      existing += found.length;
      if (found.length > 0) {
        const points = found.map((record) => record.id);
        await this.call('delete products', () => this.client.delete(this.collection, { wait: true, points }));
      }
    }
    return existing;
  }

  async getProducts(ids: string[]): Promise<(Product | null)[]> {
    this.opened();
    checkIds(ids, 'getProducts');
    const byId = new Map<string, Product>();
    for (const batch of batches([...new Set(ids)], RETRIEVE_BATCH)) {
      const records = await this.call('read products', () => this.client.retrieve(this.collection, buildRetrieve(batch, true, false)));
      for (const record of records) {
        const product = payloadProduct(record.payload ?? {});
        byId.set(product.id, product);
      }
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  async getVector(id: string, space: VectorSpace): Promise<Float32Array | null> {
    const dims = this.opened();
    if (dims[space] === undefined) {
      const known = Object.keys(dims).join(', ') || 'none';
      throw new InvalidInputError(`vector space "${space}" is not configured in this store (configured: ${known})`);
    }
    const [record] = await this.call('read a vector', () => this.client.retrieve(this.collection, buildRetrieve([id], false, [space])));
    return record ? pointVector(record, space) : null;
  }

  async search(request: SearchRequest): Promise<ScoredHit[]> {
    validateSearch(request, this.opened());
    const plan = buildSearch(request, this.options);
    if (plan.requests.length === 0) return [];
    if (plan.requests.length === 1) {
      const response = await this.call('search', () => this.client.query(this.collection, plan.requests[0]));
      return readSingleHits(response, plan.sources[0].source);
    }
    const [fused, ...perSource] = await this.call('search', () =>
      this.client.queryBatch(this.collection, { searches: plan.requests }),
    );
    return readFusedHits(fused ?? { points: [] }, perSource, plan.sources, request.fusion ?? 'rrf');
  }

  async count(filter?: Filter): Promise<number> {
    this.opened();
    const body = buildCount(filter);
    const { count } = await this.call('count products', () => this.client.count(this.collection, body));
    return count;
  }

  async facets(attributes: string[], filter?: Filter, limitPerAttribute = DEFAULT_FACET_LIMIT): Promise<FacetCount[]> {
    this.opened();
    if (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string')) {
      throw new InvalidInputError('facets expects a list of attribute names');
    }
    if (!Number.isInteger(limitPerAttribute) || limitPerAttribute < 1) {
      throw new InvalidInputError(`limitPerAttribute must be a positive integer (got ${limitPerAttribute})`);
    }
    // Qdrant's facet API needs a keyword index on the key.
    await this.ensureIndexes(buildFieldIndexes(attributes));
    return Promise.all(
      attributes.map(async (attribute) => {
        const body = buildFacet(attribute, filter, limitPerAttribute);
        const { hits } = await this.call(`count ${attribute} values`, () => this.client.facet(this.collection, body));
        return { attribute, values: readFacet(hits, limitPerAttribute) };
      }),
    );
  }

  async scroll(options: { after?: string | null; limit: number; withVectors?: boolean; filter?: Filter }): Promise<ScrollPage> {
    const dims = this.opened();
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCROLL_LIMIT) {
      throw new InvalidInputError(`scroll limit must be an integer from 1 to ${MAX_SCROLL_LIMIT} (got ${limit})`);
    }
    if (options.after != null && !isUuid(options.after)) {
      throw new InvalidInputError(`scroll position ${JSON.stringify(options.after)} was not produced by this store; start from null`);
    }
    const body = buildScroll(options, VECTOR_SPACES.filter((space) => dims[space] !== undefined));
    const page = await this.call('page through products', () => this.client.scroll(this.collection, body));
    const next = page.next_page_offset;
    return { items: page.points.map(recordToStored), next: next === null || next === undefined ? null : String(next) };
  }

  async info(): Promise<StoreInfo> {
    const dimensions = this.opened();
    const products = await this.count();
    return { backend: 'qdrant', products, dimensions: { ...dimensions } };
  }

  async attributeNames(): Promise<string[]> {
    this.opened();
    const info = await this.call('read the collection', () => this.client.getCollection(this.collection));
    return readAttributeNames(info);
  }

  /**
   * Qdrant exposes no counter that changes with every write to a collection, and a counter kept
   * here would miss the writes of other replicas sharing the collection: null, so cursors over
   * Qdrant are positional only (see README, "Pagination and writes").
   */
  async catalogVersion(): Promise<null> {
    this.opened();
    return null;
  }

  /** The record kept in the collection's metadata (`metadata.space`), shared by every replica using the collection. */
  async spaceRecord(): Promise<SpaceRecord | null> {
    this.opened();
    const info = await this.call('read the collection', () => this.client.getCollection(this.collection));
    const metadata = (info.config as { metadata?: Record<string, unknown> | null }).metadata;
    const space = metadata?.[SPACE_METADATA_KEY];
    return space && typeof space === 'object' ? (space as SpaceRecord) : null;
  }

  async recordSpace(record: SpaceRecord): Promise<void> {
    this.opened();
    await this.call('record the space in the collection metadata', () =>
      this.client.updateCollection(this.collection, { metadata: { [SPACE_METADATA_KEY]: record as unknown as Record<string, unknown> } }),
    );
  }

  /**
   * Why `publishAs(alias)` cannot succeed, or null when it can: a collection (rather than an alias)
   * already has that name.
   */
  async publishRefusal(alias: string): Promise<string | null> {
    const { aliases } = await this.call('list the aliases', () => this.client.getAliases());
    if (aliases.some((a) => a.alias_name === alias)) return null;
    const { exists } = await this.call('check the alias name', () => this.client.collectionExists(alias));
    return exists
      ? `the Qdrant collection "${alias}" is a collection, not an alias, so a rebuilt gallery cannot be published under that name; ` +
          `copy it to a collection of another name (npm run migrate), make "${alias}" an alias of that copy, and reload again`
      : null;
  }

  /**
   * Points the collection alias `alias` at this store's collection, in one atomic change of
   * aliases, so every replica that opens the alias searches this collection from its next request.
   * Refused when a collection (rather than an alias) already has that name.
   */
  async publishAs(alias: string): Promise<void> {
    this.opened();
    const refusal = await this.publishRefusal(alias);
    if (refusal) throw new InvalidInputError(refusal, { collection: alias });
    const { aliases } = await this.call('list the aliases', () => this.client.getAliases());
    const current = aliases.find((a) => a.alias_name === alias);
    if (current?.collection_name === this.collection) return;
    const actions = [
      ...(current ? [{ delete_alias: { alias_name: alias } }] : []),
      { create_alias: { collection_name: this.collection, alias_name: alias } },
    ];
    await this.call('point the alias at the collection', () => this.client.updateCollectionAliases({ actions }));
  }

  /** Deletes this store's collection if it exists (a gallery rebuild that failed, or an unfinished one started again). */
  async dropCollection(): Promise<void> {
    const { exists } = await this.call('check the collection', () => this.client.collectionExists(this.collection));
    if (exists) await this.call('delete the collection', () => this.client.deleteCollection(this.collection));
    this.dimensions = null;
  }

  private opened(): Partial<Record<VectorSpace, number>> {
    if (!this.dimensions) throw new UnavailableError(`the Qdrant store (collection ${this.collection}) is not open; call open() first`);
    return this.dimensions;
  }

  private async createCollection(dimensions: Partial<Record<VectorSpace, number>>): Promise<void> {
    const body = buildCreateCollection(dimensions, this.options);
    try {
      await this.call('create the collection', () => this.client.createCollection(this.collection, body));
    } catch (error) {
      // Another replica may have created it between our check and our request: then use theirs.
      const { exists } = await this.call('check the collection', () => this.client.collectionExists(this.collection));
      if (!exists) throw error;
    }
  }

  private async ensureIndexes(indexes: FieldIndex[]): Promise<void> {
    for (const index of indexes) {
      if (this.indexed.has(index.field_name)) continue;
      await this.call(`index ${index.field_name}`, () =>
        this.client.createPayloadIndex(this.collection, { wait: true, field_name: index.field_name, field_schema: index.field_schema }),
      );
      this.indexed.add(index.field_name);
    }
  }

  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(operation, fn, this.options.retry, this.sleep);
  }
}

function checkIds(ids: unknown, operation: string): void {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new InvalidInputError(`${operation} expects a list of product ids`);
  }
}

export interface QdrantConnection {
  url: string;
  apiKey?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** A store over a Qdrant server at `url`; settings are validated here. */
export function createQdrantStore(connection: QdrantConnection, settings: QdrantStoreSettings = {}): QdrantStore {
  if (!/^https?:\/\//.test(connection.url)) {
    throw new InvalidInputError(`Qdrant URL must start with http:// or https:// (got ${JSON.stringify(connection.url)})`);
  }
  const options = resolveQdrantStoreOptions(settings);
  const client = new QdrantClient({
    url: connection.url,
    ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
    timeout: connection.timeoutMs ?? 30_000,
    checkCompatibility: false,
  });
  return new QdrantStore(client, options);
}
