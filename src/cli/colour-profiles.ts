/**
 * npm run colours:catalogue -- [--catalog DIR] [--limit N]
 *
 * Writes the colour profiles of a catalogue's pictures to `<catalog>/colour-profiles.jsonl.gz`
 * (src/vision/colour/colour-profiler.ts: gzip JSON lines, keyed by each picture's sha256 and tagged
 * with the colour module's version), the cache the catalogue ingest reads so that a first start does
 * not spend 15-35 ms of CPU per picture. A picture missing from the cache, or a cache of another
 * module version, is profiled at ingest instead: the file only saves time.
 *
 * The demo catalogue (seed/demo, the default) ships with its file; run this again after changing the
 * colour module's defaults, palette or signatures (the server logs that the cache is ignored).
 *
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readCatalog } from '../ingestion/catalog-reader';
import { colourCacheText, COLOUR_CACHE_FILE, COLOUR_PROFILE_VERSION, InProcessColourProfiler, pictureKey, type ColourCacheLine } from '../vision/colour/colour-profiler';

async function main(): Promise<number> {
  let values: { catalog?: string; limit?: string };
  try {
    ({ values } = parseArgs({ options: { catalog: { type: 'string', default: 'seed/demo' }, limit: { type: 'string', default: '0' } } }));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    console.error(`--limit must be a whole number of products (0: all), got ${values.limit}`);
    return 2;
  }
  const dir = values.catalog as string;
  const catalog = await readCatalog(dir);
  const entries = limit ? catalog.entries.slice(0, limit) : catalog.entries;
  const profiler = new InProcessColourProfiler();
  const lines = new Map<string, ColourCacheLine>();
  const started = Date.now();
  let unreadable = 0;
  for (let i = 0; i < entries.length; i++) {
    const bytes = await fs.readFile(entries[i].imagePath);
    const key = pictureKey(bytes);
    if (!lines.has(key)) {
      const [colours] = await profiler.profile([bytes]);
      if (colours) lines.set(key, { key, colours });
      else unreadable++;
    }
    if ((i + 1) % 1000 === 0) console.error(`${i + 1}/${entries.length} pictures (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  const file = path.join(dir, COLOUR_CACHE_FILE);
  await fs.writeFile(file, gzipSync(colourCacheText(lines.values()), { level: 9 }));
  console.log(
    `${file}: ${lines.size} pictures profiled by colour module ${COLOUR_PROFILE_VERSION}` +
      `${unreadable ? `, ${unreadable} unreadable` : ''} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
