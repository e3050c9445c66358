/**
 * Where the store of the current gallery lives, and where a gallery rebuild puts the next one.
 *
 * - Embedded store: the folder named by DATA_DIR/gallery.json, or DATA_DIR itself when there is no
 *   such file (every store from before rebuilds). A rebuild writes DATA_DIR/galleries/<key hash>/
 *   and publishes it by replacing gallery.json (written to a temporary file, then renamed: atomic).
 * - Qdrant: QDRANT_COLLECTION is opened by name, which may be a collection alias. A rebuild writes
 *   the collection <QDRANT_COLLECTION>-<key hash> and publishes it by pointing the alias
 *   QDRANT_COLLECTION at it in one atomic change of aliases, so every replica that opens the alias
 *   searches the new collection. A deployment whose QDRANT_COLLECTION is a real collection (not an
 *   alias) cannot publish that way; the rebuild is refused before it starts, with what to do.
 */
import type { RuleStore } from '../rules/rule-store';
import { EmbeddedRuleStore } from '../stores/embedded/embedded-rule.store';
import { createQdrantRuleStore } from '../stores/qdrant/qdrant-rule.store';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { EmbeddedStore } from '../stores/embedded/embedded.store';
import { quantization } from '../stores/qdrant/qdrant-options';
import { createQdrantStore, type QdrantStore } from '../stores/qdrant/qdrant.store';
import type { VectorStore } from '../stores/vector-store';
import type { GalleryTarget } from './gallery-rebuild.service';

/** The file naming the embedded store's current folder, relative to DATA_DIR. */
export const GALLERY_POINTER = 'gallery.json';
/** Where rebuilt embedded stores go, under DATA_DIR. */
export const GALLERIES_DIR = 'galleries';

/** A short, stable name for a gallery key. */
export function galleryId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** The embedded store's current folder: the one gallery.json names, else DATA_DIR. */
export function currentEmbeddedDirectory(dataDir: string): string {
  let pointer: { directory?: unknown };
  try {
    pointer = JSON.parse(readFileSync(path.join(dataDir, GALLERY_POINTER), 'utf8')) as { directory?: unknown };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return dataDir;
    throw new Error(`${path.join(dataDir, GALLERY_POINTER)} cannot be read (${(error as Error).message}); restore it or remove it to open the store in DATA_DIR`);
  }
  if (typeof pointer.directory !== 'string' || pointer.directory.includes('..')) {
    throw new Error(`${path.join(dataDir, GALLERY_POINTER)} names no folder inside DATA_DIR ("directory"); restore it or remove it to open the store in DATA_DIR`);
  }
  return path.join(dataDir, pointer.directory);
}

function embeddedStore(directory: string, logger?: Pick<Logger, 'warn'>): EmbeddedStore {
  return new EmbeddedStore({
    directory,
    onBackgroundError: (error) =>
      logger?.warn('vector index: background indexing or checkpoint failed; searches stay exact and it is tried again', {
        error: (error as Error)?.message ?? String(error),
      }),
  });
}

function qdrantStore(config: Config, collection: string): QdrantStore {
  return createQdrantStore(
    { url: config.qdrant.url as string, apiKey: config.qdrant.apiKey ?? undefined },
    { collection, quantization: quantization(config.qdrant.quantization) },
  );
}

/**
 * The merchandising rules' storage beside the catalogue, as configured: DATA_DIR's rules file, or
 * the rules collection beside QDRANT_COLLECTION (the alias, so a gallery rebuild keeps the rules).
 */
export function ruleStore(config: Config): RuleStore {
  if (config.store === 'qdrant') {
    return createQdrantRuleStore({ url: config.qdrant.url as string, apiKey: config.qdrant.apiKey ?? undefined }, { collection: config.qdrant.collection });
  }
  return new EmbeddedRuleStore({ file: EmbeddedRuleStore.fileIn(config.dataDir) });
}

/** Opens the store of the current gallery, as configured. */
export async function openStore(config: Config, dim: number, logger?: Pick<Logger, 'warn'>): Promise<VectorStore> {
  const store: VectorStore = config.store === 'qdrant' ? qdrantStore(config, config.qdrant.collection) : embeddedStore(currentEmbeddedDirectory(config.dataDir), logger);
  await store.open({ image: dim, text: dim });
  return store;
}

/**
 * Creates the empty store a rebuild to the gallery named `space` (its key, with the weights' hashes:
 * `spaceIdentity`) writes, replacing what an earlier, unfinished rebuild to the same gallery left.
 */
export async function openGalleryTarget(config: Config, space: string, dim: number, logger?: Pick<Logger, 'warn'>): Promise<GalleryTarget> {
  const id = galleryId(space);
  if (config.store === 'qdrant') {
    const alias = config.qdrant.collection;
    const collection = `${alias}-${id}`;
    const store = qdrantStore(config, collection);
    const refusal = await store.publishRefusal(alias);
    if (refusal) throw new Error(refusal);
    await store.dropCollection();
    await store.open({ image: dim, text: dim });
    return {
      store,
      location: `Qdrant collection ${collection} (alias ${alias})`,
      publish: () => store.publishAs(alias),
      discard: async () => {
        await store.dropCollection();
      },
    };
  }
  const relative = path.join(GALLERIES_DIR, id);
  const directory = path.join(config.dataDir, relative);
  if (path.resolve(directory) === path.resolve(currentEmbeddedDirectory(config.dataDir))) {
    throw new Error(`the gallery for "${space}" is the one in use (${directory})`);
  }
  await fs.rm(directory, { recursive: true, force: true });
  await fs.mkdir(directory, { recursive: true });
  const store = embeddedStore(directory, logger);
  await store.open({ image: dim, text: dim });
  return {
    store,
    location: directory,
    publish: async () => {
      const file = path.join(config.dataDir, GALLERY_POINTER);
      const temporary = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temporary, `${JSON.stringify({ directory: relative, space, publishedAt: new Date().toISOString() }, null, 2)}\n`);
      await fs.rename(temporary, file);
    },
    discard: async () => {
      await store.close().catch(() => undefined);
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

/** Removes a replaced embedded gallery's folder when it is one a rebuild made (never DATA_DIR itself). */
export async function removeReplacedGallery(config: Config, directory: string): Promise<boolean> {
  const galleries = path.resolve(config.dataDir, GALLERIES_DIR);
  const resolved = path.resolve(directory);
  if (config.store !== 'embedded' || path.dirname(resolved) !== galleries) return false;
  await fs.rm(resolved, { recursive: true, force: true });
  return true;
}
