/**
 * SIGTERM and SIGINT on a running server process: the request in flight is answered, the process
 * exits 0, the vector index is saved (the next open loads it with nothing to catch up) and the
 * search log holds the searches served. After a restart, an attribute added through the API is
 * still filterable.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication } from '../../../src/main';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { DIM, fakeImage } from '../../unit/fakes/fake-encoders';
import { bearer, createKey, fakeEncoders, gql, writeCatalog } from './api-fixtures';
import { post, startAppProcess } from './app-process';

jest.setTimeout(90_000);

const UPSERT = `mutation($products: [ProductInput!]!) { upsertProducts(products: $products) { upserted } }`;
const SEARCH = `query($input: SearchInput!) { search(input: $input) { searchId totalCount edges { node { id } } } }`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'graceful-shutdown-'));
  writeCatalog(path.join(dir, 'catalog'), 12);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const searchCount = (dataDir: string) => {
  const db = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM searches').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  const dataDir = () => path.join(dir, `data-${signal}`);

  it('answers the request in flight, saves the index and the search log, and exits 0', async () => {
    const key = createKey(dataDir(), ['catalog']);
    const app = await startAppProcess(dataDir(), path.join(dir, 'catalog'));
    const added = await post(
      app.url,
      UPSERT,
      { products: [{ id: 'new-1', title: 'heavy wool coat', price: 90, attributes: [{ name: 'fabricWeight', values: ['heavy'] }], image: { base64: fakeImage('wool coat').toString('base64') } }] },
      bearer(key),
    );
    expect(added.json).toEqual({ data: { upsertProducts: { upserted: 1 } } });
    for (let i = 0; i < 3; i++) expect((await post(app.url, SEARCH, { input: { text: 'red shirt', first: 3 } })).status).toBe(200);

    // A search that takes 700 ms, then the signal while it runs.
    const inFlight = post(app.url, SEARCH, { input: { text: 'slowly red shirt', first: 3 } });
    await new Promise((r) => setTimeout(r, 200));
    const signalled = Date.now();
    app.child.kill(signal);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data.search.edges.length).toBeGreaterThan(0);

    const { code } = await app.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    const log = app.stderr();
    expect(log).toMatch(/"requests drained"/);
    expect(log).toMatch(/"stopped: stores saved and closed"/);

    // Every search answered reached the log (group commit flushed at close).
    expect(searchCount(dataDir())).toBe(4);
    // The graph was checkpointed: nothing to re-index at the next open.
    const store = new EmbeddedStore({ directory: dataDir() });
    await store.open({ image: DIM, text: DIM });
    const status = store.indexStatus();
    expect(status.image!.load).toMatchObject({ kind: 'loaded', pending: 0 });
    expect(status.text!.load).toMatchObject({ kind: 'loaded', pending: 0 });
    expect(store.integrityCheck()).toBe('ok');
    await store.close();
  });

  it('keeps an attribute added through the API filterable after the restart', async () => {
    const app = await startApplication(
      loadConfig({ PORT: '0', DATA_DIR: dataDir(), CATALOG_DIR: path.join(dir, 'catalog'), LOG_LEVEL: 'silent' }),
      createLogger('silent'),
      { encoders: fakeEncoders() },
    );
    try {
      await app.ready;
      const r = await gql(app, `query($input: SearchInput!) { search(input: $input) { edges { node { id } } facets { attribute values { value count } } } }`, {
        input: { text: 'coat', filter: { attributes: [{ attribute: 'fabricWeight', anyOf: ['heavy'] }] }, facets: ['fabricWeight'] },
      });
      expect(r.json.errors).toBeUndefined();
      expect(r.json.data.search.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['new-1']);
      expect(r.json.data.search.facets).toEqual([{ attribute: 'fabricWeight', values: [{ value: 'heavy', count: 1 }] }]);
    } finally {
      await app.close();
    }
  });
});
