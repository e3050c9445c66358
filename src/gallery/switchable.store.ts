/**
 * The store a running server uses, as one stable object in front of the store that holds the
 * current gallery, so that a gallery rebuild can switch every service (search, writes, facets,
 * outfits, evaluations) to a new store at once, without a failed request.
 *
 * - Every call goes to the store current when it is made; a call in flight finishes on the store it
 *   started with, and `retire` closes a replaced store once its calls have finished.
 * - Writes are announced to a watcher (the rebuild) after they succeed, with the ids they touched,
 *   so that products written during a rebuild reach the new store too.
 * - `exclusive` runs a step while no write is in flight and new writes wait: the rebuild's last
 *   catch-up and the switch happen there, so no write falls between the two stores.
 * - While `refuseSearches` is set (the stored vectors were embedded by other models than the running
 *   ones, and no store for the running models exists yet), searches fail with MODELS_INCOMPATIBLE
 *   naming both; reads of products, counts and facets keep working.
 */
import { IncompatibleModelsError } from '../domain/errors';
import type { Filter } from '../domain/filter';
import type { Product } from '../domain/product';
import type {
  FacetCount,
  ScoredHit,
  ScrollPage,
  SearchRequest,
  SpaceRecord,
  StoreInfo,
  StoredProduct,
  VectorSpace,
  VectorStore,
} from '../stores/vector-store';

export interface WriteWatcher {
  upserted(ids: string[]): void;
  deleted(ids: string[]): void;
}

export class SwitchableStore implements VectorStore {
  private store: VectorStore;
  private readonly inFlight = new Map<VectorStore, { calls: number; idle: (() => void)[] }>();
  private writes = 0;
  private writesIdle: (() => void)[] = [];
  private gate: Promise<void> | null = null;
  private watcher: WriteWatcher | null = null;
  private refusal: IncompatibleModelsError | null = null;

  constructor(initial: VectorStore) {
    this.store = initial;
  }

  /** The store calls go to now. */
  get current(): VectorStore {
    return this.store;
  }

  /** Makes `next` current: every later call goes to it. Returns the store it replaces. */
  switchTo(next: VectorStore): VectorStore {
    const previous = this.store;
    this.store = next;
    this.refusal = null;
    return previous;
  }

  /** Closes a replaced store once the calls it was serving have finished. */
  async retire(store: VectorStore): Promise<void> {
    const entry = this.inFlight.get(store);
    if (entry && entry.calls > 0) await new Promise<void>((resolve) => entry.idle.push(resolve));
    await store.close();
  }

  watchWrites(watcher: WriteWatcher | null): void {
    this.watcher = watcher;
  }

  /** Refuses searches with this error until the next `switchTo` (null lifts it). */
  refuseSearches(error: IncompatibleModelsError | null): void {
    this.refusal = error;
  }

  get searchRefusal(): IncompatibleModelsError | null {
    return this.refusal;
  }

  /** Runs `step` with no write in flight; writes arriving meanwhile wait for it to end. */
  async exclusive<T>(step: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      if (this.writes > 0) await new Promise<void>((resolve) => this.writesIdle.push(resolve));
      return await step();
    } finally {
      this.gate = null;
      open();
    }
  }

  private async read<T>(fn: (store: VectorStore) => Promise<T>): Promise<T> {
    const store = this.store;
    let entry = this.inFlight.get(store);
    if (!entry) this.inFlight.set(store, (entry = { calls: 0, idle: [] }));
    entry.calls++;
    try {
      return await fn(store);
    } finally {
      entry.calls--;
      if (entry.calls === 0) {
        this.inFlight.delete(store);
        for (const resolve of entry.idle.splice(0)) resolve();
      }
    }
  }

  private async write<T>(fn: (store: VectorStore) => Promise<T>, announce: (watcher: WriteWatcher) => void): Promise<T> {
    while (this.gate) await this.gate;
    this.writes++;
    try {
      const result = await this.read(fn);
      if (this.watcher) announce(this.watcher);
      return result;
    } finally {
      this.writes--;
      if (this.writes === 0) for (const resolve of this.writesIdle.splice(0)) resolve();
    }
  }

  open(dimensions: Partial<Record<VectorSpace, number>>): Promise<void> {
    return this.store.open(dimensions);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  upsert(items: StoredProduct[]): Promise<void> {
    return this.write(
      (s) => s.upsert(items),
      (w) => w.upserted(items.map((i) => i.product.id)),
    );
  }

  delete(ids: string[]): Promise<number> {
    return this.write(
      (s) => s.delete(ids),
      (w) => w.deleted(ids),
    );
  }

  getProducts(ids: string[]): Promise<(Product | null)[]> {
    return this.read((s) => s.getProducts(ids));
  }

  getVector(id: string, space: VectorSpace): Promise<Float32Array | null> {
    return this.read((s) => s.getVector(id, space));
  }

  search(request: SearchRequest): Promise<ScoredHit[]> {
    if (this.refusal && request.dense.length > 0) return Promise.reject(this.refusal);
    return this.read((s) => s.search(request));
  }

  count(filter?: Filter): Promise<number> {
    return this.read((s) => s.count(filter));
  }

  facets(attributes: string[], filter?: Filter, limitPerAttribute?: number): Promise<FacetCount[]> {
    return this.read((s) => s.facets(attributes, filter, limitPerAttribute));
  }

  scroll(options: { after?: string | null; limit: number; withVectors?: boolean; filter?: Filter }): Promise<ScrollPage> {
    return this.read((s) => s.scroll(options));
  }

  info(): Promise<StoreInfo> {
    return this.read((s) => s.info());
  }

  attributeNames(): Promise<string[]> {
    return this.read((s) => s.attributeNames());
  }

  catalogVersion(): Promise<string | null> {
    return this.read((s) => s.catalogVersion());
  }

  spaceRecord(): Promise<SpaceRecord | null> {
    return this.read((s) => s.spaceRecord());
  }

  recordSpace(record: SpaceRecord): Promise<void> {
    return this.read((s) => s.recordSpace(record));
  }
}
