/**
 * Colour profiles of product pictures as writes store them (Product.colours): the port the writers
 * use, the conversion of a full profile (colour-profile.ts) to what a product keeps, and a cache of
 * profiles by picture content.
 *
 * A profile costs 15-35 ms of CPU per picture, so the server computes them on a worker thread
 * (colour-profile-worker.runner.ts) and the catalogue ingest first looks them up in the catalogue's
 * cache file (`colour-profiles.jsonl.gz` beside products.jsonl, keyed by the picture's sha256 and
 * the module's version; `npm run colours:catalogue` writes it), which keeps the demo's first start
 * as fast as it was.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ProductColours } from '../../domain/product';
import cataloguePaletteJson from './catalogue-palette.json';
import catalogueSignaturesJson from './catalogue-signatures.json';
import { colourProfile, DEFAULT_COLOUR_PROFILE_OPTIONS, type ColourProfile } from './colour-profile';

/** Profiles pictures; null for a picture it could not read (the product is written without colours). */
export interface ColourProfiler {
  profile(images: readonly Buffer[]): Promise<(ProductColours | null)[]>;
  close(): Promise<void>;
}

/** Histogram entries under this share are not kept on the product. */
const MIN_SHARE = 0.01;

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** What a product keeps of a profile: the histogram (shares of 1% or more), the prediction and its probabilities. */
export function productColours(profile: ColourProfile): ProductColours {
  return {
    histogram: profile.histogram.filter((h) => h.share >= MIN_SHARE).map((h) => ({ name: h.name, share: round(h.share) })),
    dominant: profile.dominant,
    family: profile.family,
    confidence: round(profile.confidence, 4),
    probabilities: profile.probabilities.map((p) => ({ name: p.name, probability: round(p.probability, 4) })),
  };
}

/**
 * The module's version: a digest of its defaults, palette and signatures, so cached profiles of an
 * earlier tuning are never taken for current ones.
 */
export const COLOUR_PROFILE_VERSION = createHash('sha256')
  .update(JSON.stringify([DEFAULT_COLOUR_PROFILE_OPTIONS, cataloguePaletteJson, catalogueSignaturesJson]))
  .digest('hex')
  .slice(0, 16);

/** Profiles on the calling thread (tools and tests; the server uses the worker). */
export class InProcessColourProfiler implements ColourProfiler {
  async profile(images: readonly Buffer[]): Promise<(ProductColours | null)[]> {
    const out: (ProductColours | null)[] = [];
    for (const image of images) {
      try {
        out.push(productColours(await colourProfile(image)));
      } catch {
        out.push(null);
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}

export const COLOUR_CACHE_FILE = 'colour-profiles.jsonl.gz';
export const COLOUR_CACHE_FORMAT = 'colour-profiles/1';

/** The key of a picture in the cache: its sha256 (hex, first 32 characters). */
export function pictureKey(image: Buffer): string {
  return createHash('sha256').update(image).digest('hex').slice(0, 32);
}

/** One line of the cache file after its header. */
export interface ColourCacheLine {
  key: string;
  colours: ProductColours;
}

/**
 * Reads a cache file (gzip JSON lines: a header `{format, version}`, then one ColourCacheLine per
 * picture). A missing file, another format or another module version gives an empty cache and a
 * reason.
 */
export async function readColourCache(file: string): Promise<{ cache: Map<string, ProductColours>; ignored: string | null }> {
  let text: string;
  try {
    text = gunzipSync(await fs.readFile(file)).toString('utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { cache: new Map(), ignored: missing ? 'no cache file' : `unreadable: ${(error as Error).message}` };
  }
  const lines = text.split('\n').filter(Boolean);
  const header = lines.length ? (JSON.parse(lines[0]) as { format?: string; version?: string }) : {};
  if (header.format !== COLOUR_CACHE_FORMAT) return { cache: new Map(), ignored: `format ${String(header.format)}, expected ${COLOUR_CACHE_FORMAT}` };
  if (header.version !== COLOUR_PROFILE_VERSION) return { cache: new Map(), ignored: `written by colour module ${String(header.version)}, running ${COLOUR_PROFILE_VERSION}` };
  const cache = new Map<string, ProductColours>();
  for (const line of lines.slice(1)) {
    const { key, colours } = JSON.parse(line) as ColourCacheLine;
    cache.set(key, colours);
  }
  return { cache, ignored: null };
}

/** Serialises a cache (see readColourCache), lines ordered by key so the file is reproducible. */
export function colourCacheText(entries: Iterable<ColourCacheLine>): string {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return [JSON.stringify({ format: COLOUR_CACHE_FORMAT, version: COLOUR_PROFILE_VERSION }), ...sorted.map((e) => JSON.stringify(e))].join('\n') + '\n';
}

/** Looks pictures up in a cache by content and profiles the others with `inner`. */
export class CachedColourProfiler implements ColourProfiler {
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: ColourProfiler,
    private readonly cache: ReadonlyMap<string, ProductColours>,
  ) {}

  async profile(images: readonly Buffer[]): Promise<(ProductColours | null)[]> {
    const out: (ProductColours | null)[] = images.map((image) => this.cache.get(pictureKey(image)) ?? null);
    const missing = out.flatMap((c, i) => (c === null ? [i] : []));
    this.hits += images.length - missing.length;
    this.misses += missing.length;
    if (missing.length) {
      const computed = await this.inner.profile(missing.map((i) => images[i]));
      missing.forEach((i, j) => (out[i] = computed[j]));
    }
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
