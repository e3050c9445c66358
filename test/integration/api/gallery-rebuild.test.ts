/**
 * Gallery rebuilds over the real HTTP front with real (tiny) ONNX models. New gallery models (here
 * another gallery text tower) given to reloadModels re-embed every product in the background while
 * clients search and write; searches never fail, a product written meanwhile is in the new gallery,
 * and the server switches store and models at once. The store records the models that embedded it:
 * a restart with the same models reuses it; a restart with other models (or other weights under the
 * same model names and versions) finds its vectors stale and re-embeds them before it is ready.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { GALLERY_POINTER } from '../../../src/gallery/gallery-locations';
import { startApplication, type Application } from '../../../src/main';
import { bearer, createKey, gql, writeImageCatalog } from './api-fixtures';

jest.setTimeout(180_000);

const FIXTURE = path.resolve(__dirname, '../../fixtures/tiny-manifest');
const RELOAD = 'mutation { reloadModels { changed galleryRebuild { state from to } } }';
const STATUS = '{ ingestStatus { state rebuild { state from to processed total caughtUp failed error location } } }';
const INFO = '{ serviceInfo { productCount models { role name version } } }';
const UPSERT = 'mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }';

describe('gallery rebuilds', () => {
  let dir: string;
  let models: string;
  let app: Application | undefined;
  let admin: Record<string, string>;

  const manifest = () => JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8'));
  const setGalleryText = (name: string) => {
    const m = manifest();
    m.gallery = { image: m.defaults.image, text: name };
    writeFileSync(path.join(models, 'manifest.json'), JSON.stringify(m, null, 2));
  };
  const start = async () => {
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), CATALOG_DIR: path.join(dir, 'catalog'), MODELS_DIR: models, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    app = await startApplication(config, createLogger('silent'));
    return app;
  };
  const rebuildStatus = async (a: Application) => (await gql(a, STATUS)).json.data.ingestStatus.rebuild;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gallery-rebuild-'));
    models = path.join(dir, 'models');
    cpSync(FIXTURE, models, { recursive: true });
    await writeImageCatalog(path.join(dir, 'catalog'), 40);
    admin = bearer(createKey(path.join(dir, 'data'), ['admin'], 'ops'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('re-embeds the gallery in the background under searches and writes, then switches store and models at once', async () => {
    const a = await start();
    await a.ready;
    expect(await rebuildStatus(a)).toMatchObject({ state: 'IDLE' });
    setGalleryText('fashion-text-gru');

    let stop = false;
    const outcomes = { ok: 0, failed: [] as string[] };
    const clients = Array.from({ length: 3 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const query = i % 2 ? '{ search(input: { text: "red dress", first: 5 }) { edges { node { id } } } }' : '{ search(input: { image: { productId: "p-1" }, first: 5 }) { edges { node { id } } } }';
        const r = await gql(a, query);
        if (r.status === 200 && !r.json.errors && r.json.data.search.edges.length === 5) outcomes.ok++;
        else outcomes.failed.push(`${c}/${i}: ${r.status} ${JSON.stringify(r.json.errors ?? null)}`);
      }
    });
    const reload = await gql(a, RELOAD, {}, admin);
    expect(reload.json.errors).toBeUndefined();
    expect(reload.json.data.reloadModels.changed).toBe(false);
    expect(reload.json.data.reloadModels.galleryRebuild).toMatchObject({ state: 'RUNNING', to: expect.stringContaining('text=fashion-text-gru@') });
    expect(reload.json.data.reloadModels.galleryRebuild.from).toContain('text=fashion-text@');

    // A product written while the rebuild runs reaches the new gallery.
    const png = (await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer()).toString('base64');
    const written = await gql(a, UPSERT, { p: [{ id: 'during', title: 'red blouse', price: 12, image: { base64: png } }] }, admin);
    expect(written.json.errors).toBeUndefined();

    let status = await rebuildStatus(a);
    for (let i = 0; i < 600 && status.state === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await rebuildStatus(a);
    }
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(clients);
    // The first pass covers the 40 products stored when it began; the one written later is caught up (or, if the rebuild was faster, written to the new gallery directly).
    expect(status).toMatchObject({ state: 'COMPLETE', total: 40, processed: 40, failed: 0, error: null });
    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(3);

    const info = (await gql(a, INFO)).json.data.serviceInfo;
    expect(info.productCount).toBe(41);
    expect(info.models).toContainEqual(expect.objectContaining({ role: 'gallery-text', name: 'fashion-text-gru' }));
    const found = await gql(a, '{ search(input: { text: "blouse", first: 3 }) { edges { node { id } } } }');
    expect(found.json.data.search.edges.map((e: { node: { id: string } }) => e.node.id)).toContain('during');
    const pointer = JSON.parse(readFileSync(path.join(dir, 'data', GALLERY_POINTER), 'utf8'));
    expect(existsSync(path.join(dir, 'data', pointer.directory))).toBe(true);
  });

  it('a restart with the same models reuses the rebuilt gallery', async () => {
    const a = await start();
    await a.ready;
    expect(await rebuildStatus(a)).toMatchObject({ state: 'IDLE' });
    expect((await gql(a, INFO)).json.data.serviceInfo.productCount).toBe(41);
    const s = await gql(a, '{ search(input: { image: { productId: "during" }, first: 3 }) { edges { node { id } } } }');
    expect(s.json.errors).toBeUndefined();
  });

  it('a restart with other gallery models finds the stored vectors stale and re-embeds every product, API-written ones included, before it is ready', async () => {
    setGalleryText('fashion-text');
    const a = await start();
    await a.ready;
    const status = await rebuildStatus(a);
    expect(status).toMatchObject({ state: 'COMPLETE', from: expect.stringContaining('text=fashion-text-gru@'), to: expect.stringContaining('text=fashion-text@'), failed: 0 });
    expect((await gql(a, INFO)).json.data.serviceInfo.productCount).toBe(41);
    const s = await gql(a, '{ search(input: { text: "blouse", first: 3 }) { edges { node { id } } } }');
    expect(s.json.data.search.edges.map((e: { node: { id: string } }) => e.node.id)).toContain('during');
  });

  it('a restart with a gallery model retrained under the same name and version finds the other weights by their hash and re-embeds', async () => {
    // Other weights in the file of the gallery text tower, fashion-text@ its old version.
    cpSync(path.join(models, 'fashion-text-gru', 'model.onnx'), path.join(models, 'fashion-text', 'model.onnx'));
    const a = await start();
    await a.ready;
    const status = await rebuildStatus(a);
    expect(status).toMatchObject({ state: 'COMPLETE', failed: 0 });
    expect(status.to).toBe(status.from);
    expect((await gql(a, INFO)).json.data.serviceInfo.productCount).toBe(41);
  });
});
