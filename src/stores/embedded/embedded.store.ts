/**
 * The embedded vector store: the default backend, on local disk, with no server to run.
 *
 * Why SQLite (better-sqlite3) is the source of truth: one file holds payloads, vectors and the
 * FTS5 full-text index, and a batch is written in one transaction; with WAL and synchronous=FULL a
 * committed transaction survives a killed process (and a power cut), so `upsert` resolves only
 * after its commit and a restart recovers by reading the file. SQLite keeps the analyzed text
 * (FTS5, whose bm25() is the reference the lexical index is tested against), `PRAGMA
 * integrity_check`, and ordered scans by id for export, with no daemon and a synchronous
 * API that never interleaves writes. What SQLite cannot do fast, nearest-neighbour search and
 * filter algebra, lives in memory and is derived from it:
 *
 * - per vector space (image, text): unit-length Float32 vectors for exact scoring and an HNSW graph
 *   (hnswlib-node) persisted next to the database with the write sequence number it reflects, so an
 *   open re-indexes only rows written since (see vector-space.ts); a missing or corrupt graph is rebuilt;
 * - an attribute index (keyword postings, price and stock columns) that evaluates filters to
 *   bitsets with Qdrant's semantics and counts facets (see attribute-index.ts);
 * - a lexical index (inverted index with BM25 and top-k pruning, see lexical/lexical-index.ts),
 *   rebuilt at open from the analyzed terms the FTS5 table holds.
 *
 * Search: the filter becomes a candidate set; a set cheap enough to score exactly (candidates x
 * dimension within `exactBudget`, SIMD scoring in vector-arena.ts) or `exact: true` is scored
 * exactly, a larger one walks the graph restricted to the candidates with a breadth widened by the
 * filter's selectivity, then re-scores exactly. Vectors not yet in the graph
 * are scored exactly, so results never lag behind writes. The lexical source takes the same
 * candidate set as a bitset during its traversal. Several sources (dense spaces, lexical bm25) are
 * ranked separately to `limit` and fused with RRF (k = 60) or DBSF.
 *
 * The graph catches up in short slices on the event loop after writes, and is checkpointed when
 * writes go quiet and at close. One process owns a store directory at a time.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, UnavailableError } from '../../domain/errors';
import type { Filter } from '../../domain/filter';
import type { Product } from '../../domain/product';
import {
  VECTOR_SPACES,
  denseSourceName,
  validateDenseSource,
  type FacetCount,
  type ScoredHit,
  type ScrollPage,
  type SearchRequest,
  type StoreInfo,
  type StoredProduct,
  type VectorSpace,
  type VectorStore,
} from '../vector-store';
import type { SpaceRecord } from '../vector-store';
import { lexicalDocument, lexicalQuery } from '../bm25';
import { AttributeIndex } from './attribute-index';
import { Bitset } from './bitset';
import { validateFilter } from '../../domain/filter-evaluator';
import { fuse, type RankedList } from './fusion';
import { buildLexicalIndex, LexicalIndex } from './lexical/lexical-index';
import { StoreDatabase, type RowToWrite } from './store-database';
import { DEFAULT_HNSW, VectorSpaceIndex, type HnswOptions, type IndexLoad } from './vector-space';

export interface EmbeddedStoreOptions {
  /** Directory holding catalog.sqlite and the HNSW files; created when missing. */
  directory: string;
  hnsw?: Partial<HnswOptions>;
  /**
   * Candidate sets whose exact scoring costs at most this many multiply-adds (candidates x dimension)
   * are scored exactly instead of through the graph (default 8M: a few milliseconds with SIMD).
   */
  exactBudget?: number;
  /** Longest stretch (ms) the background indexer holds the event loop. */
  indexSliceMs?: number;
  /** Quiet time (ms) after the last write before the graph is checkpointed. */
  checkpointDelayMs?: number;
  /** Finish indexing pending vectors at close so the next open needs no catch-up (default true). */
  indexOnClose?: boolean;
  /**
   * Told when background indexing or a background checkpoint fails (e.g. a full disk). The failure
   * never reaches the process: searches keep scoring unindexed vectors exactly, and the checkpoint is
   * tried again after the next write or at close.
   */
  onBackgroundError?: (error: unknown) => void;
}

/** Meta key of the space record (what embedded the vectors). */
const SPACE_META_KEY = 'space';
export const MAX_SEARCH_LIMIT = 10_000;
export const MAX_SCROLL_LIMIT = 10_000;
export const MAX_DIMENSION = 65_536;
const DEFAULT_FACET_LIMIT = 100;
export const DEFAULT_EXACT_BUDGET = 8_000_000;

interface OpenState {
  db: StoreDatabase;
  spaces: Map<VectorSpace, VectorSpaceIndex>;
  attributes: AttributeIndex;
  lexical: LexicalIndex;
  idToSlot: Map<string, number>;
  slotToId: string[];
  slotSeq: number[];
  loads: Partial<Record<VectorSpace, IndexLoad>>;
  /** Random id of this store's database, made at its creation: versions of two stores never match. */
  storeId: string;
}

export class EmbeddedStore implements VectorStore {
  private state: OpenState | null = null;
  private readonly hnsw: HnswOptions;
  private readonly exactBudget: number;
  private readonly sliceMs: number;
  private readonly checkpointDelayMs: number;
  private readonly indexOnClose: boolean;
  private indexing: NodeJS.Immediate | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: EmbeddedStoreOptions) {
    if (!options.directory) throw new InvalidInputError('EmbeddedStore needs a directory');
    this.hnsw = { ...DEFAULT_HNSW, ...options.hnsw };
    this.exactBudget = options.exactBudget ?? DEFAULT_EXACT_BUDGET;
    this.sliceMs = options.indexSliceMs ?? 20;
    this.checkpointDelayMs = options.checkpointDelayMs ?? 5000;
    this.indexOnClose = options.indexOnClose ?? true;
  }

  get databaseFile(): string {
    return join(this.options.directory, 'catalog.sqlite');
  }

  async open(dimensions: Partial<Record<VectorSpace, number>>): Promise<void> {
    if (this.state) throw new InvalidInputError(`the store at ${this.options.directory} is already open`);
    for (const [space, dim] of Object.entries(dimensions)) {
      if (!VECTOR_SPACES.includes(space as VectorSpace)) throw new InvalidInputError(`unknown vector space "${space}": use one of ${VECTOR_SPACES.join(', ')}`);
      if (!Number.isInteger(dim) || (dim as number) < 1 || (dim as number) > MAX_DIMENSION) {
        throw new InvalidInputError(`dimension of the ${space} space must be an integer from 1 to ${MAX_DIMENSION} (got ${dim})`);
      }
    }
    mkdirSync(this.options.directory, { recursive: true });
    let db: StoreDatabase;
    try {
      db = new StoreDatabase(this.databaseFile);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY') {
        throw new UnavailableError(`the store at ${this.options.directory} is in use by another process; stop it or use another directory`);
      }
      throw e;
    }
    try {
      const dims: Partial<Record<VectorSpace, number>> = {};
      for (const space of VECTOR_SPACES) {
        const stored = db.getMeta(`dim:${space}`);
        const wanted = dimensions[space];
        if (stored !== undefined && wanted !== undefined && Number(stored) !== wanted) {
          throw new InvalidInputError(
            `the store at ${this.options.directory} holds ${space} vectors of dimension ${stored}, but ${wanted} was requested: ` +
              'use the model the store was built with, or re-index into a new directory',
          );
        }
        const dim = wanted ?? (stored !== undefined ? Number(stored) : undefined);
        if (dim !== undefined) dims[space] = dim;
      }
      for (const [space, dim] of Object.entries(dims)) db.setMeta(`dim:${space}`, String(dim));
      let storeId = db.getMeta('store-id');
      if (!storeId) db.setMeta('store-id', (storeId = randomUUID().slice(0, 8)));

      const state: OpenState = { db, spaces: new Map(), attributes: null!, lexical: new LexicalIndex(), idToSlot: new Map(), slotToId: [], slotSeq: [], loads: {}, storeId };
      state.attributes = new AttributeIndex((id) => state.idToSlot.get(id));
      for (const [space, dim] of Object.entries(dims)) state.spaces.set(space as VectorSpace, new VectorSpaceIndex(space as VectorSpace, dim, this.hnsw));
      db.loadProducts((slot, id, seq, product) => {
        state.idToSlot.set(id, slot);
        state.slotToId[slot] = id;
        state.slotSeq[slot] = seq;
        state.attributes.set(slot, product);
      });
      state.lexical = buildLexicalIndex((add) => db.loadLexicalDocuments(add));
      db.loadVectors((slot, space, vector) => {
        const s = state.spaces.get(space as VectorSpace);
        if (s && vector.length === s.dim) s.set(slot, vector, 0, false);
      });
      const dbSeq = db.seq;
      for (const [space, s] of state.spaces) state.loads[space] = s.load(this.options.directory, dbSeq, (slot) => state.slotSeq[slot] ?? dbSeq);
      this.state = state;
      this.scheduleIndexing();
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const state = this.state;
    if (!state) return;
    this.cancelBackground();
    try {
      if (this.indexOnClose) for (const s of state.spaces.values()) s.indexPending(Infinity);
      this.checkpoint(state);
    } finally {
      state.db.close();
      this.state = null;
    }
  }

  private open_(): OpenState {
    if (!this.state) throw new UnavailableError('the embedded store is not open: call open() first');
    return this.state;
  }

  private space(state: OpenState, space: VectorSpace): VectorSpaceIndex {
    const s = state.spaces.get(space);
    if (!s) {
      const known = [...state.spaces.keys()].join(', ') || 'none';
      throw new InvalidInputError(`vector space "${space}" is not configured in this store (configured: ${known})`);
    }
    return s;
  }

  private unitVector(state: OpenState, space: VectorSpace, v: unknown, what: string): Float32Array {
    const s = this.space(state, space);
    if (!(v instanceof Float32Array)) throw new InvalidInputError(`${what} must be a Float32Array`);
    if (v.length !== s.dim) throw new InvalidInputError(`${what} has dimension ${v.length}, but the ${space} space has dimension ${s.dim}`);
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new InvalidInputError(`${what} holds a non-finite value at position ${i}`);
      sum += v[i] * v[i];
    }
    if (sum === 0) throw new InvalidInputError(`${what} is all zeros; it has no direction to compare`);
    const norm = Math.sqrt(sum);
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
    return out;
  }

  async upsert(items: StoredProduct[]): Promise<void> {
    const state = this.open_();
    if (!Array.isArray(items)) throw new InvalidInputError('upsert expects a list of products with vectors');
    const byId = new Map<string, { product: Product; vectors: [VectorSpace, Float32Array][] }>();
    items.forEach((item, i) => {
      const what = `item ${i}`;
      validateProduct(item?.product, what);
      const vectors: [VectorSpace, Float32Array][] = [];
      for (const [space, v] of Object.entries(item.vectors ?? {})) {
        if (v === undefined) continue;
        vectors.push([space as VectorSpace, this.unitVector(state, space as VectorSpace, v, `${what} (${item.product.id}) ${space} vector`)]);
      }
      byId.delete(item.product.id);
      byId.set(item.product.id, { product: item.product, vectors });
    });
    if (byId.size === 0) return;
    const rows: RowToWrite[] = [...byId.values()].map((r) => ({ ...r, slot: state.idToSlot.get(r.product.id), lexical: lexicalDocument(r.product) }));
    const { seq, slots } = sqliteWrite(() => state.db.writeBatch(rows));
    rows.forEach((row, i) => {
      const slot = slots[i];
      state.idToSlot.set(row.product.id, slot);
      state.slotToId[slot] = row.product.id;
      state.slotSeq[slot] = seq;
      state.attributes.set(slot, row.product);
      const given = new Map(row.vectors);
      for (const [space, s] of state.spaces) {
        const v = given.get(space);
        if (v) s.set(slot, v, seq);
        else s.remove(slot);
      }
    });
    state.lexical.update(rows.map((row, i) => ({ slot: slots[i], document: row.lexical })));
    this.scheduleIndexing();
  }

  async delete(ids: string[]): Promise<number> {
    const state = this.open_();
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new InvalidInputError('delete expects a list of product ids');
    const slots = [...new Set(ids)].map((id) => state.idToSlot.get(id)).filter((s): s is number => s !== undefined);
    if (slots.length === 0) return 0;
    sqliteWrite(() => state.db.deleteSlots(slots));
    for (const slot of slots) {
      state.idToSlot.delete(state.slotToId[slot]);
      state.attributes.remove(slot);
      for (const s of state.spaces.values()) s.remove(slot);
    }
    state.lexical.delete(slots);
    this.scheduleIndexing();
    return slots.length;
  }

  async getProducts(ids: string[]): Promise<(Product | null)[]> {
    const state = this.open_();
    return ids.map((id) => (state.idToSlot.has(id) ? state.db.payloadById(id) : null));
  }

  async getVector(id: string, space: VectorSpace): Promise<Float32Array | null> {
    const state = this.open_();
    const s = this.space(state, space);
    const slot = state.idToSlot.get(id);
    return slot === undefined ? null : s.get(slot);
  }

  async search(request: SearchRequest): Promise<ScoredHit[]> {
    const state = this.open_();
    const { limit } = request;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      throw new InvalidInputError(`search limit must be an integer from 1 to ${MAX_SEARCH_LIMIT} (got ${limit})`);
    }
    if (request.fusion !== undefined && request.fusion !== 'rrf' && request.fusion !== 'dbsf') {
      throw new InvalidInputError(`fusion must be "rrf" or "dbsf" (got ${JSON.stringify(request.fusion)})`);
    }
    validateFilter(request.filter);
    const dense = (request.dense ?? []).map((d, i) => {
      validateDenseSource(d, i);
      if (d.filter !== undefined) validateFilter(d.filter);
      return { source: denseSourceName(d), space: d.space, filter: d.filter, q: this.unitVector(state, d.space, d.vector, `query vector ${i} (${d.space})`) };
    });
    const lexicalText = request.lexical?.text;
    if (lexicalText !== undefined && typeof lexicalText !== 'string') throw new InvalidInputError('lexical.text must be a string');
    if (dense.length === 0 && lexicalText === undefined) throw new InvalidInputError('a search needs at least one query vector or lexical text');

    const candidates = this.candidates(state, request.filter);
    for (const id of request.excludeIds ?? []) {
      const slot = state.idToSlot.get(id);
      if (slot !== undefined) candidates.delete(slot);
    }
    const lists: RankedList[] = dense.map(({ source, space, filter, q }) => ({
      source,
      hits: state.spaces
        .get(space)!
        .search(q, filter ? this.candidates(state, filter).and(candidates) : candidates, limit, request.exact === true, this.exactBudget)
        .map((h) => ({ id: state.slotToId[h.slot], score: h.score })),
    }));
    if (lexicalText !== undefined) {
      // Without a filter or exclusions every indexed product is a candidate: no bitset to test.
      const within = request.filter || request.excludeIds?.length ? candidates : undefined;
      lists.push({ source: 'lexical', hits: this.lexical(state, lexicalText, within, limit) });
    }
    if (lists.length === 1) {
      const [only] = lists;
      return only.hits.map((h, i) => ({ id: h.id, score: h.score, parts: [{ source: only.source, score: h.score, rank: i + 1 }] }));
    }
    return fuse(lists, request.fusion ?? 'rrf', limit);
  }

  private candidates(state: OpenState, filter: Filter | undefined): Bitset {
    return state.attributes.evaluate(filter);
  }

  private lexical(state: OpenState, text: string, candidates: Bitset | undefined, limit: number): { id: string; score: number }[] {
    return state.lexical.search(lexicalQuery(text), limit, candidates).map(({ slot, score }) => ({ id: state.slotToId[slot], score }));
  }

  async count(filter?: Filter): Promise<number> {
    const state = this.open_();
    validateFilter(filter);
    return filter ? state.attributes.count(filter) : state.attributes.size;
  }

  async facets(attributes: string[], filter?: Filter, limitPerAttribute = DEFAULT_FACET_LIMIT): Promise<FacetCount[]> {
    const state = this.open_();
    validateFilter(filter);
    if (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string' || a === '')) {
      throw new InvalidInputError('facets expects a list of attribute names');
    }
    if (!Number.isInteger(limitPerAttribute) || limitPerAttribute < 1) {
      throw new InvalidInputError(`limitPerAttribute must be a positive integer (got ${limitPerAttribute})`);
    }
    return attributes.map((attribute) => ({ attribute, values: state.attributes.facetCounts(attribute, filter, limitPerAttribute) }));
  }

  async scroll(options: { after?: string | null; limit: number; withVectors?: boolean; filter?: Filter }): Promise<ScrollPage> {
    const state = this.open_();
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCROLL_LIMIT) {
      throw new InvalidInputError(`scroll limit must be an integer from 1 to ${MAX_SCROLL_LIMIT} (got ${limit})`);
    }
    validateFilter(options.filter);
    const after = options.after == null ? '' : decodeCursor(options.after);
    const within = options.filter ? state.attributes.matching(options.filter).bits : null;
    const items: StoredProduct[] = [];
    let more = false;
    for (const row of state.db.scroll(after)) {
      if (within && !within.has(row.slot)) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      const vectors: StoredProduct['vectors'] = {};
      if (options.withVectors) {
        for (const [space, s] of state.spaces) {
          const v = s.get(row.slot);
          if (v) vectors[space] = v;
        }
      }
      items.push({ product: row.product(), vectors });
    }
    return { items, next: more ? encodeCursor(items[items.length - 1].product.id) : null };
  }

  async info(): Promise<StoreInfo> {
    const state = this.open_();
    const dimensions: StoreInfo['dimensions'] = {};
    for (const [space, s] of state.spaces) dimensions[space] = s.dim;
    return { backend: 'embedded', products: state.attributes.size, dimensions };
  }

  async attributeNames(): Promise<string[]> {
    return this.open_().attributes.attributeNames().sort();
  }

  /** The database's write sequence number (every upsert and delete raises it), tagged with the store's id. */
  async spaceRecord(): Promise<SpaceRecord | null> {
    const value = this.open_().db.getMeta(SPACE_META_KEY);
    return value === undefined ? null : (JSON.parse(value) as SpaceRecord);
  }

  async recordSpace(record: SpaceRecord): Promise<void> {
    this.open_().db.setMeta(SPACE_META_KEY, JSON.stringify(record));
  }

  async catalogVersion(): Promise<string> {
    const state = this.open_();
    return `${state.storeId}.${state.db.seq}`;
  }

  /** How each space's graph was attached at open, and how many vectors still wait for it. */
  indexStatus(): Partial<Record<VectorSpace, { load: IndexLoad; pending: number; vectors: number }>> {
    const state = this.open_();
    const out: ReturnType<EmbeddedStore['indexStatus']> = {};
    for (const [space, s] of state.spaces) out[space] = { load: state.loads[space]!, pending: s.pendingCount, vectors: s.count };
    return out;
  }

  /** Indexes every pending vector now and checkpoints the graphs (ingest jobs and benchmarks call it). */
  async flushIndex(): Promise<void> {
    const state = this.open_();
    this.cancelBackground();
    for (const s of state.spaces.values()) s.indexPending(Infinity);
    this.checkpoint(state);
  }

  /** SQLite's `PRAGMA integrity_check` result ("ok" when sound). */
  integrityCheck(): string {
    return this.open_().db.integrityCheck();
  }

  private checkpoint(state: OpenState): void {
    const seq = state.db.seq;
    for (const s of state.spaces.values()) s.checkpoint(this.options.directory, seq);
  }

  private cancelBackground(): void {
    if (this.indexing) clearImmediate(this.indexing);
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.indexing = null;
    this.checkpointTimer = null;
  }

  private scheduleIndexing(): void {
    if (this.checkpointTimer) {
      clearTimeout(this.checkpointTimer);
      this.checkpointTimer = null;
    }
    if (this.indexing) return;
    const step = () => {
      this.indexing = null;
      const state = this.state;
      if (!state) return;
      const deadline = Date.now() + this.sliceMs;
      let more = false;
      try {
        for (const s of state.spaces.values()) if (Date.now() < deadline) more = s.indexPending(deadline) || more;
      } catch (error) {
        // Vectors stay pending (scored exactly); indexing resumes after the next write.
        this.options.onBackgroundError?.(error);
        return;
      }
      for (const s of state.spaces.values()) more = more || s.pendingCount > 0;
      if (more) {
        this.indexing = setImmediate(step).unref();
      } else if ([...state.spaces.values()].some((s) => s.hasUncheckpointedChanges)) {
        this.checkpointTimer = setTimeout(() => {
          this.checkpointTimer = null;
          if (this.state !== state) return;
          try {
            this.checkpoint(state);
          } catch (error) {
            this.options.onBackgroundError?.(error);
          }
        }, this.checkpointDelayMs).unref();
      }
    };
    this.indexing = setImmediate(step).unref();
  }
}

function validateProduct(p: unknown, what: string): asserts p is Product {
  if (!p || typeof p !== 'object') throw new InvalidInputError(`${what}: product must be an object`);
  const r = p as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 512) throw new InvalidInputError(`${what}: product id must be a string of 1 to 512 characters`);
  for (const f of ['title', 'description', 'brand', 'currency', 'imageUrl']) {
    if (typeof r[f] !== 'string') throw new InvalidInputError(`${what} (${r.id}): ${f} must be a string`);
  }
  if (typeof r.price !== 'number' || !Number.isFinite(r.price)) throw new InvalidInputError(`${what} (${r.id}): price must be a finite number`);
  if (typeof r.inStock !== 'boolean') throw new InvalidInputError(`${what} (${r.id}): inStock must be a boolean`);
  if (!r.attributes || typeof r.attributes !== 'object' || Array.isArray(r.attributes)) {
    throw new InvalidInputError(`${what} (${r.id}): attributes must be an object of string lists`);
  }
  for (const [k, v] of Object.entries(r.attributes as Record<string, unknown>)) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidInputError(`${what} (${r.id}): attribute "${k}" must be a list of strings`);
  }
}

/**
 * Runs a write transaction. SQLite's own failures (a full disk, an I/O error, a lock held too long)
 * roll the transaction back: they become UNAVAILABLE, saying nothing was written, so the request
 * that asked fails with a coded error and the client can retry.
 */
function sqliteWrite<T>(write: () => T): T {
  try {
    return write();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      throw new UnavailableError(`the store could not save the write (${code}); nothing was written, retry later`, { reason: code });
    }
    throw e;
  }
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidInputError('scroll position is not one this store returned');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
