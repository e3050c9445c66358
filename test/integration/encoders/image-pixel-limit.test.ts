/**
 * Decompression bombs: a few hundred bytes of PNG that claim 2.5 billion pixels must be refused by
 * the decoder's pixel limit (MAX_IMAGE_PIXELS, wired by src/main.ts) before anything is allocated,
 * whether the image is a search's query image (base64 or URL) or a product's image in an upsert.
 * Real ONNX encoders of the tiny fixture; the images go through the real image loader.
 */
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { loadConfig } from '../../../src/config/config';
import { PayloadTooLargeError } from '../../../src/domain/errors';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import { MediaStore } from '../../../src/ingestion/media-store';
import { ProductWriterService } from '../../../src/ingestion/product-writer.service';
import { buildEncoders, type Encoders } from '../../../src/main';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { SearchService } from '../../../src/search/search.service';
import { MemoryStore } from '../../unit/fakes/memory.store';

const TINY = path.resolve(__dirname, '../../fixtures/tiny-manifest');

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG header claiming width x height (8-bit greyscale), with the data of one row only. */
function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('pixel limit on query and product images (real decoder)', () => {
  let encoders: Encoders;
  let server: Server;
  let base: string;
  let dir: string;
  const bomb = pngBomb(50_000, 50_000);
  let wide: Buffer;
  let good: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pixel-limit-'));
    encoders = await buildEncoders(loadConfig({ MODELS_DIR: TINY, MAX_IMAGE_PIXELS: '1000000', LOG_LEVEL: 'silent' }));
    await encoders.warmUp();
    wide = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#336699' } }).png().toBuffer();
    good = await fs.readFile(path.join(TINY, 'golden', 'red-block.png'));
    server = createServer((req, res) => {
      if (req.url === '/bomb.png') res.writeHead(200, { 'content-type': 'image/png' }).end(bomb);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const images = () => new ImageLoader({ maxBytes: 5 * 1024 * 1024, fetchTimeoutMs: 2000, allowedDir: null, allowPrivateNetworks: true });

  it('the bomb is small and claims 2.5 billion pixels', async () => {
    expect(bomb.length).toBeLessThan(1000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 50_000, height: 50_000 });
  });

  it('refuses it as a search image, by base64 and by URL, and still searches a normal one', async () => {
    const store = new MemoryStore();
    const vocabulary = new CatalogVocabulary(store);
    await vocabulary.refresh();
    const search = new SearchService({
      store,
      textEncoder: encoders.text,
      imageEncoder: encoders.image,
      fusionEncoder: encoders.fusion,
      images: images(),
      vocabulary,
      log: { recordSearch: () => undefined },
    });
    for (const image of [{ base64: bomb.toString('base64') }, { url: `${base}/bomb.png` }, { base64: wide.toString('base64') }]) {
      const error = await search.search({ image }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as Error).message).toMatch(/more than 1000000 pixels/);
    }
    await expect(search.search({ image: { base64: good.toString('base64') } })).resolves.toMatchObject({ mode: 'IMAGE' });
  });

  it('refuses it as a product image and writes nothing', async () => {
    const store = new MemoryStore();
    const writer = new ProductWriterService({
      store,
      textEncoder: encoders.text,
      imageEncoder: encoders.image,
      images: images(),
      media: new MediaStore(path.join(dir, 'media')),
    });
    const product = (id: string, image: { base64?: string; url?: string }) => ({ id, title: 'blue shirt', price: 10, image });
    for (const image of [{ base64: bomb.toString('base64') }, { url: `${base}/bomb.png` }]) {
      const error = await writer.upsert([product('ok', { base64: good.toString('base64') }), product('bomb', image)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as Error).message).toMatch(/more than 1000000 pixels/);
    }
    expect(store.items.size).toBe(0);
    await expect(writer.upsert([product('ok', { base64: good.toString('base64') })])).resolves.toMatchObject({ upserted: 1 });
  });
});
