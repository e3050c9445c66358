/**
 * The store port. Every backend (embedded, Qdrant) implements it; services depend only on it.
 * Stores translate requests to their backend; they do not interpret queries (no model calls here).
 *
 * One test suite (test/contract/vector-store.contract.ts) runs against every implementation.
 */
import { InvalidInputError } from '../domain/errors';
import type { Filter } from '../domain/filter';
import type { Product } from '../domain/product';

/** A vector space per input kind: product photos (image tower) and product text (text tower). */
export type VectorSpace = 'image' | 'text';
export const VECTOR_SPACES: readonly VectorSpace[] = ['image', 'text'];

export interface StoredProduct {
  product: Product;
  vectors: Partial<Record<VectorSpace, Float32Array>>;
}

/**
 * One dense source of a search: a query vector against one space. A source may carry a filter of
 * its own, AND-ed with the request's: it then ranks only the products that also match it (e.g. the
 * attributes understood in the query), and is fused with the other sources like any source. Such a
 * source names itself with `label`, which tells its score parts apart (`dense:image:attributes`).
 */
export interface DenseSource {
  space: VectorSpace;
  vector: Float32Array;
  filter?: Filter;
  /** Lower-case letters, digits and hyphens; required with `filter`. */
  label?: string;
}

const SOURCE_LABEL = /^[a-z][a-z0-9-]{0,31}$/;

/** Checks the label and filter of a dense source (both stores); throws a message saying what to fix. */
export function validateDenseSource(source: DenseSource, index: number): void {
  if (source.label !== undefined && (typeof source.label !== 'string' || !SOURCE_LABEL.test(source.label))) {
    throw new InvalidInputError(`query vector ${index}: label must be 1 to 32 lower-case letters, digits and hyphens, starting with a letter (got ${JSON.stringify(source.label)})`);
  }
  if (source.filter !== undefined && source.label === undefined) {
    throw new InvalidInputError(`query vector ${index}: a source with its own filter needs a label to tell its scores apart`);
  }
}

/** The score-part source name of a dense source. */
export function denseSourceName(source: Pick<DenseSource, 'space' | 'label'>): ScorePart['source'] {
  return source.label ? `dense:${source.space}:${source.label}` : `dense:${source.space}`;
}

/**
 * A search request. With several sources (dense and/or lexical) results are fused by
 * reciprocal rank fusion (RRF, k = 60) unless `fusion` says 'dbsf' (distribution-based score fusion).
 * `limit` is the retrieval depth: callers pass offset + page size + 1.
 */
export interface SearchRequest {
  dense: DenseSource[];
  /** BM25 over title, description and brand. */
  lexical?: { text: string };
  filter?: Filter;
  limit: number;
  fusion?: 'rrf' | 'dbsf';
  /** Force exact (brute-force) scoring instead of the approximate index; used by evaluations. */
  exact?: boolean;
  /** Ids to leave out (e.g. the reference product of a similar-items query). */
  excludeIds?: string[];
}

/** Per-source contribution to a fused score; `rank` is 1-based within that source. */
export interface ScorePart {
  source: `dense:${VectorSpace}` | `dense:${VectorSpace}:${string}` | 'lexical';
  score: number;
  rank: number;
}

export interface ScoredHit {
  id: string;
  /** Final score: the cosine similarity for a single dense source, else the fused score. */
  score: number;
  parts: ScorePart[];
}

export interface FacetValueCount {
  value: string;
  count: number;
}

export interface FacetCount {
  attribute: string;
  values: FacetValueCount[];
}

export interface ScrollPage {
  items: StoredProduct[];
  /** Opaque position for the next page, null at the end. */
  next: string | null;
}

/**
 * What embedded a store's vectors: the gallery models (image tower and gallery text tower) and the
 * index they share, recorded in the store itself (the embedded store's meta table, the Qdrant
 * collection's metadata), so that a server whose models differ finds out before it searches.
 */
export interface SpaceRecord {
  /** The gallery key: the index and each gallery model as role=name@version (galleryKey in src/main.ts). */
  key: string;
  /** The gallery models, with the SHA-256 of each model file where known. */
  models: { role: string; name: string; version: string; sha256: string | null }[];
  /** When the record was written (ISO 8601). */
  recordedAt: string;
}

export interface StoreInfo {
  backend: string;
  products: number;
  dimensions: Partial<Record<VectorSpace, number>>;
}

export interface VectorStore {
  /** Opens (and creates where needed) the collection for vectors of the given dimensions. */
  open(dimensions: Partial<Record<VectorSpace, number>>): Promise<void>;
  close(): Promise<void>;
  /** Inserts or replaces products by id; resolves once the write is durable. */
  upsert(items: StoredProduct[]): Promise<void>;
  /** Removes products; resolves to the number that existed. */
  delete(ids: string[]): Promise<number>;
  /** Products in the order of `ids`; null where an id is unknown. */
  getProducts(ids: string[]): Promise<(Product | null)[]>;
  /** Stored vector of one product in one space, or null. */
  getVector(id: string, space: VectorSpace): Promise<Float32Array | null>;
  search(request: SearchRequest): Promise<ScoredHit[]>;
  /** Number of products matching the filter (all when absent). */
  count(filter?: Filter): Promise<number>;
  /** Value counts per attribute over every product matching the filter, most frequent first. */
  facets(attributes: string[], filter?: Filter, limitPerAttribute?: number): Promise<FacetCount[]>;
  /** Pages through products in id order, for export and migration. */
  scroll(options: { after?: string | null; limit: number; withVectors?: boolean; filter?: Filter }): Promise<ScrollPage>;
  info(): Promise<StoreInfo>;
  /** Names of the attributes at least one stored product carries, sorted (the vocabulary reads them at start). */
  attributeNames(): Promise<string[]>;
  /**
   * An opaque version of the catalogue that changes with every write (upsert or delete), so a
   * search cursor can tell that the ranking it was cut from may have changed. null when the store
   * cannot tell; cursors are then positional only (see README, "Pagination and writes").
   */
  catalogVersion(): Promise<string | null>;
  /** The record of the models that embedded the stored vectors; null when none was recorded (a new store, or one from before records). */
  spaceRecord(): Promise<SpaceRecord | null>;
  /** Records the models that embed the stored vectors, replacing any earlier record. */
  recordSpace(record: SpaceRecord): Promise<void>;
}
