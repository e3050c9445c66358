/** Start-up ingest: a later start reuses the store while catalogue and models match. */
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

  it('ingests once, reuses the store, and re-ingests when the models change', async () => {
    const status = `{ ingestStatus { state reused processed total } serviceInfo { productCount } }`;
    let app = await start('space@1');
    await app.ready;
    expect((await gql(app, status)).json.data).toEqual({ ingestStatus: { state: 'COMPLETE', reused: false, processed: 12, total: 12 }, serviceInfo: { productCount: 12 } });
    await app.close();

    app = await start('space@1');
    await app.ready;
    expect((await gql(app, status)).json.data.ingestStatus).toMatchObject({ state: 'COMPLETE', reused: true });
    await app.close();

    app = await start('space@2');
    await app.ready;
    expect((await gql(app, status)).json.data).toEqual({ ingestStatus: { state: 'COMPLETE', reused: false, processed: 12, total: 12 }, serviceInfo: { productCount: 12 } });
    await app.close();
  });
});
