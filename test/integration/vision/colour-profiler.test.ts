/**
 * Colour profiling as writes use it: the worker thread (real pictures, made with sharp), the cache
 * of a catalogue's pictures by content and module version, and writes that go on when profiling fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { Product, ProductColours } from '../../../src/domain/product';
import {
  CachedColourProfiler,
  colourCacheText,
  COLOUR_CACHE_FORMAT,
  InProcessColourProfiler,
  pictureKey,
  readColourCache,
  type ColourProfiler,
} from '../../../src/vision/colour/colour-profiler';
import { WorkerColourProfiler } from '../../../src/vision/colour/colour-profile-worker.runner';
import { analysePictures } from '../../../src/ingestion/picture-analysis';

jest.setTimeout(60_000);

/** A garment-like block of one colour on a light grey backdrop. */
async function picture(rgb: [number, number, number]): Promise<Buffer> {
  const garment = await sharp({ create: { width: 60, height: 80, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
  return sharp({ create: { width: 128, height: 128, channels: 3, background: { r: 236, g: 236, b: 236 } } })
    .composite([{ input: garment, left: 34, top: 24 }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

describe('colour profiling', () => {
  let red: Buffer;
  let navy: Buffer;
  const worker = new WorkerColourProfiler();

  beforeAll(async () => {
    red = await picture([200, 30, 40]);
    navy = await picture([25, 35, 80]);
  });

  afterAll(() => worker.close());

  it('profiles pictures on the worker thread as on the calling thread, null for bytes that are no picture', async () => {
    const inProcess = await new InProcessColourProfiler().profile([red, navy, Buffer.from('not a picture')]);
    const onWorker = await worker.profile([red, navy, Buffer.from('not a picture')]);
    expect(onWorker).toEqual(inProcess);
    expect(onWorker[0]!.family).toBe('red');
    expect(onWorker[1]!.family).toBe('blue');
    expect(onWorker[2]).toBeNull();
    const [c] = onWorker as ProductColours[];
    expect(c.histogram.reduce((a, h) => a + h.share, 0)).toBeCloseTo(1, 1);
    expect(c.probabilities[0].name).toBe(c.dominant);
    // requests in parallel are answered each with its own pictures
    const [a, b] = await Promise.all([worker.profile([navy]), worker.profile([red])]);
    expect(a[0]!.family).toBe('blue');
    expect(b[0]!.family).toBe('red');
  });

  it('is refused once closed', async () => {
    const closed = new WorkerColourProfiler();
    await closed.close();
    await expect(closed.profile([red])).rejects.toThrow(/closed/);
  });

  it('reads a cache written for the running module and ignores one of another version', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'colour-cache-'));
    try {
      const [colours] = await new InProcessColourProfiler().profile([red]);
      const file = path.join(dir, 'colour-profiles.jsonl.gz');
      writeFileSync(file, gzipSync(colourCacheText([{ key: pictureKey(red), colours: colours! }])));
      const { cache, ignored } = await readColourCache(file);
      expect(ignored).toBeNull();
      expect(cache.get(pictureKey(red))).toEqual(colours);
      writeFileSync(file, gzipSync(`${JSON.stringify({ format: COLOUR_CACHE_FORMAT, version: 'older' })}\n`));
      expect((await readColourCache(file)).ignored).toMatch(/older/);
      expect((await readColourCache(path.join(dir, 'none.gz'))).ignored).toBe('no cache file');

      // cached pictures are not profiled again; the others are
      const inner = new InProcessColourProfiler();
      const spy = jest.spyOn(inner, 'profile');
      const cached = new CachedColourProfiler(inner, new Map([[pictureKey(red), colours!]]));
      const out = await cached.profile([red, navy]);
      expect(out[0]).toEqual(colours);
      expect(out[1]!.family).toBe('blue');
      expect(spy).toHaveBeenCalledWith([navy]);
      expect([cached.hits, cached.misses]).toEqual([1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never fails a write: a profiler that fails leaves the products as they were', async () => {
    const product = { id: 'x', attributes: {} } as unknown as Product;
    const failing: ColourProfiler = { profile: async () => { throw new Error('worker gone'); }, close: async () => {} };
    const errors: string[] = [];
    const out = await analysePictures([{ product }], [red], { colours: failing }, (_what, e) => errors.push(e.message));
    expect(out[0].product).toBe(product);
    expect(errors).toEqual(['worker gone']);
    const coloured = await analysePictures([{ product }], [red], { colours: worker });
    expect(coloured[0].product.colours?.family).toBe('red');
  });
});
