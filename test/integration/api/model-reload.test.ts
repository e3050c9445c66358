/**
 * reloadModels and SIGHUP over the real HTTP front with real (tiny) ONNX models: a new query tower is
 * swapped in while other clients search, with no failed request; only admins may reload. Models that
 * embed products differently start a gallery rebuild (gallery-rebuild.test.ts).
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { reloadOnHangup, startApplication, type Application } from '../../../src/main';
import { bearer, createKey, gql, writeImageCatalog } from './api-fixtures';

jest.setTimeout(120_000);

const FIXTURE = path.resolve(__dirname, '../../fixtures/tiny-manifest');
const RELOAD = 'mutation { reloadModels { changed models { role name version } previous { name version } } }';
const INFO = '{ serviceInfo { index models { role name version } } }';

describe('reloading the query models of a running server', () => {
  let dir: string;
  let models: string;
  let app: Application;
  let admin: Record<string, string>;

  const manifest = () => JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8'));
  const writeManifest = (m: unknown) => writeFileSync(path.join(models, 'manifest.json'), JSON.stringify(m, null, 2));
  /** A fine-tuned query tower: a copy of the text tower under a new name, the old one kept for products. */
  const addQueryTower = (version: string) => {
    const m = manifest();
    const text = m.models.find((x: { name: string }) => x.name === 'fashion-text');
    mkdirSync(path.join(models, 'fashion-text-clicks'), { recursive: true });
    copyFileSync(path.join(models, text.file), path.join(models, 'fashion-text-clicks', 'model.onnx'));
    m.models = m.models.filter((x: { name: string }) => x.name !== 'fashion-text-clicks');
    m.models.push({ ...text, name: 'fashion-text-clicks', version, file: 'fashion-text-clicks/model.onnx' });
    m.defaults.text = 'fashion-text-clicks';
    m.gallery = { image: m.defaults.image, text: 'fashion-text' };
    writeManifest(m);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'model-reload-'));
    models = path.join(dir, 'models');
    cpSync(FIXTURE, models, { recursive: true });
    await writeImageCatalog(path.join(dir, 'catalog'), 24);
    admin = bearer(createKey(path.join(dir, 'data'), ['admin'], 'ops'));
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), CATALOG_DIR: path.join(dir, 'catalog'), MODELS_DIR: models, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    app = await startApplication(config, createLogger('silent'));
    await app.ready;
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the admin role', async () => {
    const r = await gql(app, RELOAD);
    expect(r.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('reports no change when the models on disk are the ones serving', async () => {
    const r = await gql(app, RELOAD, {}, admin);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.reloadModels.changed).toBe(false);
  });

  it('swaps in a new query tower under concurrent searches without a failed request', async () => {
    addQueryTower('1.1.0');
    let stop = false;
    const outcomes = { ok: 0, failed: [] as string[] };
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const r = await gql(app, '{ search(input: { text: "red dress", first: 5 }) { edges { node { id } } } }');
        if (r.status === 200 && !r.json.errors && r.json.data.search.edges.length === 5) outcomes.ok++;
        else outcomes.failed.push(`${c}/${i}: ${r.status} ${JSON.stringify(r.json.errors ?? null)}`);
      }
    });
    await new Promise((r) => setTimeout(r, 200));
    const r = await gql(app, RELOAD, {}, admin);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(clients);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.reloadModels.changed).toBe(true);
    expect(r.json.data.reloadModels.previous).toContainEqual({ name: 'fashion-text', version: '1.0.0' });
    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(4);
    const info = await gql(app, INFO);
    expect(info.json.data.serviceInfo.models).toEqual(
      expect.arrayContaining([
        { role: 'text', name: 'fashion-text-clicks', version: '1.1.0' },
        { role: 'gallery-text', name: 'fashion-text', version: '1.0.0' },
      ]),
    );
  });

  it('reloads on SIGHUP', async () => {
    addQueryTower('1.2.0');
    const before = process.listeners('SIGHUP');
    reloadOnHangup(app);
    try {
      process.emit('SIGHUP');
      let models: { name: string; version: string }[] = [];
      for (let i = 0; i < 100 && !models.some((m) => m.version === '1.2.0'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        models = (await gql(app, INFO)).json.data.serviceInfo.models;
      }
      expect(models).toContainEqual({ role: 'text', name: 'fashion-text-clicks', version: '1.2.0' });
    } finally {
      for (const l of process.listeners('SIGHUP')) if (!before.includes(l)) process.off('SIGHUP', l);
    }
  });
});
