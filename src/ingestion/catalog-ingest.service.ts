/**
 * Loads the catalogue into the store at start. The first start encodes every product (image
 * tower for the `image` space, text tower for `text`) in batches and writes them; later starts
 * reuse the store when the catalogue hash and the model index key recorded in
 * DATA_DIR/ingest-state.json still match. An interrupted ingest resumes: products already
 * written under the same catalogue and models are skipped.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageEncoder, TextEncoder } from '../encoders/encoder';
import type { StoredProduct, VectorStore } from '../stores/vector-store';
import { analysePictures, type PictureAnalysers } from './picture-analysis';
import { parseCatalog, productText, readCatalogText, type Catalog, type CatalogEntry } from './catalog-reader';
import type { IngestStatus } from './ingest.types';

export interface IngestLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface CatalogIngestOptions {
  catalogDir: string;
  /** Where ingest-state.json lives (DATA_DIR). */
  stateDir: string;
  /** Identifies the vector space the stored vectors belong to, e.g. "fashion-space@1.0.0 image=fashion-image@1.0.0 ...". */
  indexKey: string;
  batchSize: number;
  /** Ingest only the first N products (0: all); for quick starts on a subset. */
  limit?: number;
}

interface IngestStateFile {
  formatVersion: 1;
  status: 'running' | 'complete';
  catalogHash: string;
  indexKey: string;
  limit: number;
  ids: string[];
  completedAt?: string;
}

const STATE_FILE = 'ingest-state.json';

export class CatalogIngestService {
  private current: IngestStatus = { state: 'PENDING', catalogHash: null, processed: 0, total: 0, reused: false, error: null };

  constructor(
    private readonly deps: {
      store: VectorStore;
      textEncoder: TextEncoder;
      imageEncoder: ImageEncoder;
      /** What else the pictures tell (colours, categories: picture-analysis.ts); nothing without. */
      pictures?: PictureAnalysers | null;
      logger: IngestLogger;
      options: CatalogIngestOptions;
    },
  ) {}

  private cancelled = false;

  /** Stops a running ingest after the batch in flight; run() then rejects. */
  cancel(): void {
    this.cancelled = true;
  }

  status(): IngestStatus {
    return { ...this.current };
  }

  get ready(): boolean {
    return this.current.state === 'COMPLETE';
  }

  /** Runs the ingest; resolves when the catalogue is in the store. Errors are kept in status(). */
  async run(): Promise<IngestStatus> {
    const { logger, options } = this.deps;
    try {
      this.current = { ...this.current, state: 'RUNNING', error: null };
      // The hash decides first: an unchanged catalogue is not parsed at all (seconds at 350,000 products).
      const { text, hash } = await readCatalogText(options.catalogDir);
      this.current.catalogHash = hash;
      const previous = await this.readState();
      const limit = options.limit ?? 0;
      const same = previous && previous.catalogHash === hash && previous.indexKey === options.indexKey && previous.limit === limit;
      if (same && previous.status === 'complete') {
        const info = await this.deps.store.info();
        if (info.products >= previous.ids.length) {
          logger.info('catalogue unchanged: reusing the stored index', { products: info.products, catalogHash: hash });
          this.current = { ...this.current, state: 'COMPLETE', processed: previous.ids.length, total: previous.ids.length, reused: true };
          return this.status();
        }
        logger.warn('stored index has fewer products than the catalogue: ingesting again', { stored: info.products, catalogue: previous.ids.length });
      }
      const catalog = parseCatalog(options.catalogDir, text, hash);
      const entries = options.limit ? catalog.entries.slice(0, options.limit) : catalog.entries;
      this.current.total = entries.length;
      if (previous && !same) await this.removeStale(previous, entries, previous.indexKey !== options.indexKey);
      await this.writeState({
        formatVersion: 1,
        status: 'running',
        catalogHash: catalog.hash,
        indexKey: options.indexKey,
        limit,
        ids: entries.map((e) => e.product.id),
      });
      // Same catalogue and models (e.g. an interrupted run, or a larger CATALOG_LIMIT): skip what is stored.
      const resumable = Boolean(previous && previous.catalogHash === catalog.hash && previous.indexKey === options.indexKey);
      await this.ingest(catalog, entries, resumable);
      await this.writeState({
        formatVersion: 1,
        status: 'complete',
        catalogHash: catalog.hash,
        indexKey: options.indexKey,
        limit,
        ids: entries.map((e) => e.product.id),
        completedAt: new Date().toISOString(),
      });
      this.current = { ...this.current, state: 'COMPLETE', reused: false };
      return this.status();
    } catch (e) {
      this.current = { ...this.current, state: 'FAILED', error: (e as Error).message };
      throw e;
    }
  }

  private async ingest(catalog: Catalog, entries: CatalogEntry[], resume: boolean): Promise<void> {
    const { store, logger, options } = this.deps;
    const started = Date.now();
    logger.info('ingesting catalogue', { dir: catalog.dir, products: entries.length, resume });
    let lastLog = 0;
    let skipped = 0;
    const progress = (processed: number) => {
      this.current.processed = processed;
      const now = Date.now();
      if (now - lastLog > 2000 || processed === entries.length) {
        lastLog = now;
        const seconds = (now - started) / 1000;
        logger.info('ingest progress', {
          processed,
          total: entries.length,
          percent: Math.round((100 * processed) / Math.max(1, entries.length)),
          perSecond: Math.round(processed / Math.max(seconds, 0.001)),
        });
      }
    };
    // Two-stage pipeline: batch n is written while batch n + 1 is encoded. Writes stay in order.
    let writing: Promise<void> = Promise.resolve();
    let writeError: unknown = null;
    for (let i = 0; i < entries.length; i += options.batchSize) {
      if (this.cancelled) {
        await writing.catch(() => undefined);
        throw new Error('ingest cancelled before it completed; it resumes at the next start');
      }
      if (writeError) throw writeError;
      let batch = entries.slice(i, i + options.batchSize);
      if (resume) {
        const existing = await store.getProducts(batch.map((e) => e.product.id));
        const missing = batch.filter((_, j) => existing[j] === null);
        skipped += batch.length - missing.length;
        batch = missing;
      }
      let encoded: StoredProduct[];
      try {
        encoded = batch.length ? await this.encode(batch) : [];
      } catch (error) {
        // Let the write in flight finish so nothing touches the store after run() settles.
        await writing.catch(() => undefined);
        throw error;
      }
      await writing;
      const done = Math.min(entries.length, i + options.batchSize);
      writing = (encoded.length ? store.upsert(encoded) : Promise.resolve()).then(
        () => progress(done),
        (error) => {
          writeError = error;
          throw error;
        },
      );
      writing.catch(() => undefined);
    }
    await writing;
    logger.info('catalogue ingested', { products: entries.length, skipped, seconds: Math.round((Date.now() - started) / 100) / 10 });
  }

  private async encode(batch: CatalogEntry[]): Promise<StoredProduct[]> {
    const images = await Promise.all(
      batch.map((e) =>
        fs.readFile(e.imagePath).catch(() => {
          throw new Error(`catalogue image missing for product ${e.product.id}: ${e.imagePath}`);
        }),
      ),
    );
    const [imageVectors, textVectors, coloured] = await Promise.all([
      this.deps.imageEncoder.encode(images),
      this.deps.textEncoder.encode(batch.map((e) => productText(e.product))),
      analysePictures(batch, images, this.deps.pictures, (what, error) => this.deps.logger.warn(`${what}: a batch is written without them`, { error: error.message })),
    ]);
    return coloured.map((e, j) => ({ product: e.product, vectors: { image: imageVectors[j], text: textVectors[j] } }));
  }

  /** Removes products of the previous catalogue that are gone, or all of them when the models changed. */
  private async removeStale(previous: IngestStateFile, entries: CatalogEntry[], modelsChanged: boolean): Promise<void> {
    const keep = new Set(modelsChanged ? [] : entries.map((e) => e.product.id));
    const stale = previous.ids.filter((id) => !keep.has(id));
    if (stale.length === 0) return;
    let removed = 0;
    for (let i = 0; i < stale.length; i += 1000) removed += await this.deps.store.delete(stale.slice(i, i + 1000));
    this.deps.logger.info(modelsChanged ? 'models changed: removed vectors of the previous catalogue' : 'removed products gone from the catalogue', {
      removed,
    });
  }

  /**
   * The stored products were re-embedded by other gallery models (a gallery rebuild): later runs
   * compare against `indexKey`, and the recorded state says the stored products are embedded by it,
   * so the next run keeps them rather than embedding the catalogue again.
   */
  async adoptIndexKey(indexKey: string): Promise<void> {
    this.deps.options.indexKey = indexKey;
    const state = await this.readState();
    if (state && state.indexKey !== indexKey) await this.writeState({ ...state, indexKey });
  }

  /** The gallery key the last run embedded the catalogue with (what a store from before space records was embedded by); null when none ran. */
  async recordedIndexKey(): Promise<string | null> {
    return (await this.readState())?.indexKey ?? null;
  }

  private async readState(): Promise<IngestStateFile | null> {
    try {
      const s = JSON.parse(await fs.readFile(path.join(this.deps.options.stateDir, STATE_FILE), 'utf8')) as IngestStateFile;
      return s.formatVersion === 1 && Array.isArray(s.ids) ? s : null;
    } catch {
      return null;
    }
  }

  private async writeState(state: IngestStateFile): Promise<void> {
    const dir = this.deps.options.stateDir;
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `${STATE_FILE}.tmp`);
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path.join(dir, STATE_FILE));
  }
}
