/**
 * The evaluation gallery: the products of one split of a catalogue (test by default, validation for
 * choices), ingested into an embedded store under the data folder through the same ingestion
 * service and encoders as the API. The gallery folder holds a catalogue view (the split's product
 * lines, the catalogue's manifest, a link to its images) so that the ingest state's catalogue hash
 * identifies exactly the gallery; a second run with the same catalogue and models reuses the store
 * instead of re-encoding. The graph is complete before any search (no vector is left to exact
 * scoring), and only searches that do not ask for exact scoring use it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UnavailableError } from '../domain/errors';
import type { ImageEncoder, TextEncoder } from '../encoders/encoder';
import { CatalogIngestService, type IngestLogger } from '../ingestion/catalog-ingest.service';
import type { IngestStatus } from '../ingestion/ingest.types';
import { EmbeddedStore } from '../stores/embedded/embedded.store';
import type { EvaluationSplit } from './seed-judgement-sets';

export interface GalleryOptions {
  catalogDir: string;
  /** Parent folder of galleries, e.g. data/eval. */
  dataDir: string;
  /** The split whose products form the gallery; `all` takes every product (a shop's catalogue). */
  split?: EvaluationSplit | 'all';
  dim: number;
  indexKey: string;
  textEncoder: TextEncoder;
  imageEncoder: ImageEncoder;
  logger: IngestLogger;
  batchSize?: number;
  onProgress?: (processed: number, total: number) => void;
}

export interface Gallery {
  store: EmbeddedStore;
  dir: string;
  products: number;
  reused: boolean;
  close(): Promise<void>;
}

async function writeIfChanged(file: string, text: string): Promise<void> {
  const current = await fs.readFile(file, 'utf8').catch(() => null);
  if (current !== text) await fs.writeFile(file, text);
}

/** Writes the catalogue view of one split; returns its folder and product count. */
export async function writeGalleryCatalog(catalogDir: string, dataDir: string, split: EvaluationSplit | 'all'): Promise<{ dir: string; products: number }> {
  const source = path.resolve(catalogDir);
  const productsFile = path.join(source, 'products.jsonl');
  const text = await fs.readFile(productsFile, 'utf8').catch(() => {
    throw new UnavailableError(`catalogue not found: ${productsFile} does not exist (generate it with python3 -m seed.generator or pass --catalog DIR)`);
  });
  const lines = text.split('\n').filter((l) => l.trim() !== '' && (split === 'all' || (JSON.parse(l) as { split?: string }).split === split));
  if (lines.length === 0) throw new UnavailableError(split === 'all' ? `catalogue ${source} has no product` : `catalogue ${source} has no ${split}-split product`);
  const name = `${path.basename(source)}-${split}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}`;
  const dir = path.join(path.resolve(dataDir), name);
  await fs.mkdir(dir, { recursive: true });
  await writeIfChanged(path.join(dir, 'products.jsonl'), lines.join('\n') + '\n');
  const manifest = await fs.readFile(path.join(source, 'manifest.json'), 'utf8').catch(() => null);
  if (manifest !== null) await writeIfChanged(path.join(dir, 'manifest.json'), manifest);
  const link = path.join(dir, 'images');
  const target = path.join(source, 'images');
  const existing = await fs.readlink(link).catch(() => null);
  if (existing !== target) {
    await fs.rm(link, { force: true, recursive: false }).catch(() => undefined);
    await fs.symlink(target, link, 'dir');
  }
  return { dir, products: lines.length };
}

export async function openGallery(options: GalleryOptions): Promise<Gallery> {
  const split = options.split ?? 'test';
  const view = await writeGalleryCatalog(options.catalogDir, options.dataDir, split);
  // Model variants ask for exact search; every other search walks the HNSW graph whatever the
  // gallery's size, so the index set measures the graph itself.
  const store = new EmbeddedStore({ directory: path.join(view.dir, 'store'), exactBudget: 0 });
  await store.open({ image: options.dim, text: options.dim });
  try {
    const ingest = new CatalogIngestService({
      store,
      textEncoder: options.textEncoder,
      imageEncoder: options.imageEncoder,
      logger: options.logger,
      options: { catalogDir: view.dir, stateDir: path.join(view.dir, 'store'), indexKey: options.indexKey, batchSize: options.batchSize ?? 128 },
    });
    let timer: NodeJS.Timeout | null = null;
    if (options.onProgress) {
      timer = setInterval(() => {
        const s: IngestStatus = ingest.status();
        options.onProgress!(s.processed, s.total);
      }, 250);
    }
    let status: IngestStatus;
    try {
      status = await ingest.run();
    } finally {
      if (timer) clearInterval(timer);
    }
    options.onProgress?.(status.processed, status.total);
    await store.flushIndex();
    return { store, dir: view.dir, products: view.products, reused: status.reused, close: () => store.close() };
  } catch (e) {
    await store.close();
    throw e;
  }
}
