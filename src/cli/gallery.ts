/**
 * `npm run gallery -- [--catalog DIR] [--models DIR] [--data DIR] [--out DIR]`: the catalogue's
 * product vectors as the index holds them, for training against the frozen gallery.
 *
 * Every product of the catalogue (all splits) is ingested into an evaluation gallery store under
 * --data (default data/eval; reused while the catalogue and the gallery models are unchanged) through
 * the server's own ingestion service and encoders, so the vectors are the ones a server with these
 * models serves. Writes to --out (default data/training-cache/gallery-<catalogue>):
 * - gallery.json: product ids in row order, the dimension, the image model and the index key;
 * - image.f32: the image-space vectors, row-major little-endian float32.
 * Query-side fine-tuning (`python -m training.train --events ...`) reads them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelRegistry } from '../encoders/model-registry';
import { openGallery } from '../evaluation/evaluation-gallery';
import { galleryIndexKey } from './eval';

const USAGE = 'usage: npm run gallery -- [--catalog DIR] [--models DIR] [--data DIR] [--out DIR]';
const SCROLL = 1000;

export interface GalleryArgs {
  catalogDir: string;
  modelsDir: string;
  dataDir: string;
  outDir: string;
}

export function parseGalleryArgs(argv: string[]): GalleryArgs {
  const named: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    if (!['--catalog', '--models', '--data', '--out'].includes(flag)) throw new Error(`unexpected argument "${flag}"\n${USAGE}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    named[flag.slice(2)] = value;
    i++;
  }
  const catalogDir = named.catalog ?? 'seed/demo';
  return {
    catalogDir,
    modelsDir: named.models ?? 'models',
    dataDir: named.data ?? 'data/eval',
    outDir: named.out ?? path.join('data', 'training-cache', `gallery-${path.basename(path.resolve(catalogDir))}`),
  };
}

/** Ingests (or reuses) the catalogue's gallery and writes its image-space vectors; returns the product count. */
export async function exportGallery(args: GalleryArgs, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const registry = await ModelRegistry.open(args.modelsDir);
  const indexKey = await galleryIndexKey(registry);
  const gallery = await openGallery({
    catalogDir: args.catalogDir,
    split: 'all',
    dataDir: args.dataDir,
    dim: registry.index.dim,
    indexKey,
    textEncoder: registry.galleryTextEncoder(),
    imageEncoder: registry.imageEncoder(),
    logger: { info: () => undefined, warn: (m) => log(`warning: ${m}`) },
  });
  try {
    log(`${gallery.reused ? 'gallery reused' : 'gallery ingested'}: ${gallery.products} products in ${gallery.dir}`);
    const ids: string[] = [];
    const dim = registry.index.dim;
    const chunks: Buffer[] = [];
    let after: string | null = null;
    do {
      const page = await gallery.store.scroll({ after, limit: SCROLL, withVectors: true });
      for (const item of page.items) {
        const v = item.vectors.image;
        if (!v) continue;
        if (v.length !== dim) throw new Error(`product ${item.product.id} has a ${v.length}-dimensional image vector; the index has ${dim}`);
        ids.push(item.product.id);
        chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
      after = page.next;
    } while (after !== null);
    await fs.mkdir(args.outDir, { recursive: true });
    const image = registry.galleryModels().find((m) => m.role === 'image')!;
    await fs.writeFile(path.join(args.outDir, 'image.f32'), Buffer.concat(chunks));
    await fs.writeFile(
      path.join(args.outDir, 'gallery.json'),
      JSON.stringify({ dim, products: ids.length, imageModel: `${image.name}@${image.version}`, indexKey, catalog: path.resolve(args.catalogDir), ids }) + '\n',
    );
    log(`${ids.length} image vectors written to ${args.outDir}`);
    return ids.length;
  } finally {
    await gallery.close();
  }
}

if (require.main === module) {
  let args: GalleryArgs;
  try {
    args = parseGalleryArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  exportGallery(args).catch((e: Error) => {
    process.stderr.write(`gallery: ${e.message}\n`);
    process.exit(1);
  });
}
