/**
 * Re-embeds the whole gallery with new gallery models (image tower, gallery text tower) into a new
 * store, in the background, and switches the server to it when it is complete.
 *
 * 1. Every product of the current store (catalogue products and products written through the API
 *    alike) is read page by page, its image read back (ProductImageReader: the catalogue file, the
 *    upload, or the URL it was imported from) and embedded with the new models, and written to the
 *    new store (a new folder, or a new Qdrant collection). Searches keep using the current store and
 *    the models that embedded it all along; `status` shows the progress (`ingestStatus.rebuild`).
 * 2. Writes made meanwhile are announced by the SwitchableStore; their ids are re-read from the
 *    current store and written to (or deleted from) the new one in catch-up passes, so products
 *    written during the rebuild land in both.
 * 3. The last catch-up runs with writes held (`SwitchableStore.exclusive`), then the new store
 *    records the models that embedded it, is published (the folder later starts open, or the
 *    Qdrant alias), and one synchronous step switches the store and installs the new models:
 *    the next search runs on the new gallery with the query models that match it.
 *
 * A product whose image cannot be read or embedded fails the rebuild: switching would drop it. The
 * new store is then discarded, the server keeps its gallery, and the status names the products.
 * At start-up, when the stored vectors belong to models the server no longer has, there is no
 * gallery to keep: `dropUnreadable` then leaves such products out (logged, counted in `failed`).
 */
import type { ImageEncoder, TextEncoder } from '../encoders/encoder';
import { productText } from '../ingestion/catalog-reader';
import type { ProductImageReader } from '../ingestion/product-image.reader';
import type { Product } from '../domain/product';
import type { SpaceRecord, StoredProduct, VectorStore } from '../stores/vector-store';
import type { SwitchableStore } from './switchable.store';
import { analysePictures, type PictureAnalysers } from '../ingestion/picture-analysis';

/** The gallery models a rebuild embeds with, and the record the new store gets. */
export interface GalleryModels {
  key: string;
  models: SpaceRecord['models'];
  image: ImageEncoder;
  text: TextEncoder;
}

/** The store a rebuild writes to, opened and empty. */
export interface GalleryTarget {
  store: VectorStore;
  /** Where it lives (a folder, a collection), for the status and the logs. */
  location: string;
  /** Makes it the store that later starts (and other replicas) open. */
  publish(): Promise<void>;
  /** Closes it and removes its data (a rebuild that failed). */
  discard(): Promise<void>;
}

export type RebuildState = 'IDLE' | 'RUNNING' | 'COMPLETE' | 'FAILED';

export interface RebuildStatus {
  state: RebuildState;
  /** Gallery key of the store being replaced (null when it recorded none). */
  from: string | null;
  /** Gallery key of the new models. */
  to: string | null;
  location: string | null;
  /** Products re-embedded in the first pass, out of `total`. */
  processed: number;
  total: number;
  /** Products written or deleted during the rebuild and carried over to the new store. */
  caughtUp: number;
  /** Products that could not be re-embedded. */
  failed: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RebuildLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Catch-up passes run with writes flowing before the last one runs with writes held. */
const CATCH_UP_PASSES = 5;
/** Failed products named in the status. */
const NAMED_FAILURES = 5;

/** The status of a server that ran no rebuild. */
export const IDLE_REBUILD: Readonly<RebuildStatus> = {
  state: 'IDLE',
  from: null,
  to: null,
  location: null,
  processed: 0,
  total: 0,
  caughtUp: 0,
  failed: 0,
  error: null,
  startedAt: null,
  finishedAt: null,
};

export class GalleryRebuildService {
  private current: RebuildStatus = { ...IDLE_REBUILD };
  private running: Promise<RebuildStatus> | null = null;
  private started: Promise<void> = Promise.resolve();
  private markStarted: () => void = () => undefined;
  private cancelled = false;
  private dropUnreadable = false;
  private warned = false;

  constructor(
    private readonly deps: {
      store: SwitchableStore;
      images: ProductImageReader;
      logger: RebuildLogger;
      batchSize: number;
      /** What else the pictures tell (colours, categories: ingestion/picture-analysis.ts), analysed again on the way; nothing without. */
      pictures?: PictureAnalysers | null;
    },
  ) {}

  status(): RebuildStatus {
    return { ...this.current };
  }

  get inProgress(): boolean {
    return this.running !== null;
  }

  /** Stops a running rebuild after the batch in flight; its new store is discarded. */
  cancel(): void {
    this.cancelled = true;
  }

  /** Resolves once the running rebuild has read the current gallery and opened the new store (or failed to). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Resolves when the rebuild in progress (if any) has ended. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /**
   * Starts a rebuild with `models` into the store `openTarget` creates; `install` runs in the
   * switching step (synchronously, so no request sees the new store with the old models). A
   * rebuild already running for the same models is joined; one for other models is refused.
   */
  start(
    models: GalleryModels,
    openTarget: () => Promise<GalleryTarget>,
    install: (models: GalleryModels) => void,
    options: { dropUnreadable?: boolean } = {},
  ): Promise<RebuildStatus> {
    if (this.running) {
      if (this.current.to === models.key) return this.running;
      return Promise.reject(new Error(`a gallery rebuild to "${this.current.to}" is running; wait for it to end before starting one to "${models.key}"`));
    }
    this.cancelled = false;
    this.current = { ...IDLE_REBUILD, state: 'RUNNING', to: models.key, startedAt: new Date().toISOString() };
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
    this.dropUnreadable = options.dropUnreadable ?? false;
    this.warned = false;
    this.running = this.run(models, openTarget, install).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(models: GalleryModels, openTarget: () => Promise<GalleryTarget>, install: (models: GalleryModels) => void): Promise<RebuildStatus> {
    const { store, logger } = this.deps;
    const from = (await store.spaceRecord())?.key ?? null;
    this.current.from = from;
    const dirty = new Map<string, 'upsert' | 'delete'>();
    store.watchWrites({
      upserted: (ids) => ids.forEach((id) => dirty.set(id, 'upsert')),
      deleted: (ids) => ids.forEach((id) => dirty.set(id, 'delete')),
    });
    const failures: string[] = [];
    let target: GalleryTarget | null = null;
    let switched = false;
    try {
      target = await openTarget();
      this.current.location = target.location;
      this.current.total = await store.count();
      this.markStarted();
      logger.info('gallery rebuild started', { from, to: models.key, location: target.location, products: this.current.total });
      let after: string | null = null;
      do {
        this.checkCancelled();
        const page = await store.scroll({ after, limit: this.deps.batchSize });
        await this.copy(
          page.items.map((i) => i.product),
          target.store,
          models,
          failures,
        );
        this.current.processed += page.items.length;
        after = page.next;
      } while (after !== null);
      for (let pass = 0; pass < CATCH_UP_PASSES && dirty.size > 0; pass++) await this.catchUp(dirty, target.store, models, failures);
      this.throwIfFailed(failures);
      const ready = target;
      let previous: VectorStore | null = null;
      await store.exclusive(async () => {
        await this.catchUp(dirty, ready.store, models, failures);
        this.throwIfFailed(failures);
        await ready.store.recordSpace({ key: models.key, models: models.models, recordedAt: new Date().toISOString() });
        await ready.publish();
        store.watchWrites(null);
        previous = store.switchTo(ready.store);
        switched = true;
        install(models);
      });
      // The replaced store closes once the calls it was serving have finished.
      await store.retire(previous!).catch((error) => logger.warn('gallery rebuild: closing the replaced store failed', { error: (error as Error).message }));
      this.current = { ...this.current, state: 'COMPLETE', finishedAt: new Date().toISOString() };
      logger.info('gallery rebuild complete: searches use the new gallery', { to: models.key, location: target.location, caughtUp: this.current.caughtUp });
      return this.status();
    } catch (error) {
      this.markStarted();
      store.watchWrites(null);
      this.current = { ...this.current, state: 'FAILED', error: (error as Error).message, finishedAt: new Date().toISOString() };
      if (switched) {
        // The new store serves already: it is kept, and only the step after the switch failed.
        logger.warn('gallery rebuild: the store switched, but installing the new models failed', { to: models.key, error: (error as Error).message });
        throw error;
      }
      logger.warn('gallery rebuild failed: the server keeps its gallery', { to: models.key, error: (error as Error).message });
      await target?.discard().catch((e) => logger.warn('gallery rebuild: removing the unfinished store failed', { error: (e as Error).message }));
      throw error;
    }
  }

  private checkCancelled(): void {
    if (this.cancelled) throw new Error('gallery rebuild cancelled; the server keeps its gallery');
  }

  private throwIfFailed(failures: string[]): void {
    if (this.current.failed === 0) return;
    if (this.dropUnreadable) {
      if (this.warned) return;
      this.warned = true;
      this.deps.logger.warn('gallery rebuild: products left out, their image could not be embedded', { failed: this.current.failed, first: failures });
      return;
    }
    throw new Error(
      `${this.current.failed} product(s) could not be re-embedded (${failures.join('; ')}${this.current.failed > failures.length ? '; ...' : ''}); ` +
        'the server keeps its gallery: fix or delete those products and reload again',
    );
  }

  /** Embeds products with the new models and writes them to the new store; products whose image fails are counted, not written. */
  private async copy(products: Product[], target: VectorStore, models: GalleryModels, failures: string[]): Promise<void> {
    if (products.length === 0) return;
    const images = await Promise.all(
      products.map((p) =>
        this.deps.images.bytes(p.imageUrl).then(
          (bytes) => ({ bytes, error: null }),
          (error: Error) => ({ bytes: null, error }),
        ),
      ),
    );
    const ok: { product: Product; bytes: Buffer }[] = [];
    images.forEach((img, i) => {
      if (img.bytes) ok.push({ product: products[i], bytes: img.bytes });
      else this.fail(products[i].id, img.error!.message, failures);
    });
    if (ok.length === 0) return;
    let imageVectors: Float32Array[];
    try {
      imageVectors = await models.image.encode(ok.map((x) => x.bytes));
    } catch {
      // One bad image fails the batch: embed one by one to name it and keep the others.
      imageVectors = [];
      const kept: typeof ok = [];
      for (const x of ok) {
        try {
          imageVectors.push((await models.image.encode([x.bytes]))[0]);
          kept.push(x);
        } catch (error) {
          this.fail(x.product.id, (error as Error).message, failures);
        }
      }
      ok.splice(0, ok.length, ...kept);
      if (ok.length === 0) return;
    }
    const textVectors = await models.text.encode(ok.map((x) => productText(x.product)));
    // Pictures are analysed again too: the rebuild is also how a store gets current colour profiles and picture categories.
    const coloured = await analysePictures(ok, ok.map((x) => x.bytes), this.deps.pictures, (what, error) =>
      this.deps.logger.warn(`gallery rebuild: a batch keeps its previous ${what}`, { error: error.message }),
    );
    const items: StoredProduct[] = coloured.map((x, i) => ({ product: x.product, vectors: { image: imageVectors[i], text: textVectors[i] } }));
    await target.upsert(items);
  }

  private fail(id: string, reason: string, failures: string[]): void {
    this.current.failed++;
    if (failures.length < NAMED_FAILURES) failures.push(`${id}: ${reason}`);
  }

  /** Carries the writes announced since the last pass over to the new store. */
  private async catchUp(dirty: Map<string, 'upsert' | 'delete'>, target: VectorStore, models: GalleryModels, failures: string[]): Promise<void> {
    if (dirty.size === 0) return;
    const changes = [...dirty];
    dirty.clear();
    const written = changes.filter(([, kind]) => kind === 'upsert').map(([id]) => id);
    const deleted = changes.filter(([, kind]) => kind === 'delete').map(([id]) => id);
    for (let i = 0; i < written.length; i += this.deps.batchSize) {
      const ids = written.slice(i, i + this.deps.batchSize);
      const products = await this.deps.store.current.getProducts(ids);
      const gone = ids.filter((_, j) => products[j] === null);
      await this.copy(
        products.filter((p): p is Product => p !== null),
        target,
        models,
        failures,
      );
      if (gone.length > 0) await target.delete(gone);
    }
    if (deleted.length > 0) await target.delete(deleted);
    this.current.caughtUp += changes.length;
  }
}
