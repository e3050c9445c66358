/**
 * Start-up ingest: a later start reuses the store while catalogue and models match; a start with
 * other gallery models re-embeds the stored products (a gallery rebuild) before it is ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication } from '../../../src/main';
import { fakeEncoders, gql, writeCatalog } from './api-fixtures';

describe('restarts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-restart-'));
    writeCatalog(path.join(dir, 'catalog'), 12);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (indexKey: string) =>
    startApplication(
      loadConfig({ PORT: '0', DATA_DIR: path.join(dir, 'data'), CATALOG_DIR: path.join(dir, 'catalog'), LOG_LEVEL: 'silent' }),
      createLogger('silent'),
      { encoders: fakeEncoders(indexKey) },
    );

  const withApp = async (indexKey: string, check: (app: Awaited<ReturnType<typeof start>>) => Promise<void>) => {
    const app = await start(indexKey);
    try {
      await app.ready;
      await check(app);
    } finally {
      await app.close();
    }
  };

  it('ingests once, reuses the store, and re-embeds the stored products when the gallery models change', async () => {
    const status = `{ ingestStatus { state reused processed total rebuild { state from to total failed } } serviceInfo { productCount } }`;
    await withApp('space@1', async (app) => {
      expect((await gql(app, status)).json.data).toEqual({
        ingestStatus: { state: 'COMPLETE', reused: false, processed: 12, total: 12, rebuild: { state: 'IDLE', from: null, to: null, total: 0, failed: 0 } },
        serviceInfo: { productCount: 12 },
      });
    });
    await withApp('space@1', async (app) => {
      expect((await gql(app, status)).json.data.ingestStatus).toMatchObject({ state: 'COMPLETE', reused: true, rebuild: { state: 'IDLE' } });
    });
    await withApp('space@2', async (app) => {
      expect((await gql(app, status)).json.data).toEqual({
        ingestStatus: { state: 'COMPLETE', reused: true, processed: 12, total: 12, rebuild: { state: 'COMPLETE', from: 'space@1', to: 'space@2', total: 12, failed: 0 } },
        serviceInfo: { productCount: 12 },
      });
    });
    await withApp('space@2', async (app) => {
      expect((await gql(app, status)).json.data.ingestStatus).toMatchObject({ state: 'COMPLETE', reused: true, rebuild: { state: 'IDLE' } });
    });
  });
});
