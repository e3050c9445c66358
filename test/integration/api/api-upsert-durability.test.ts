/**
 * kill -9 during API upserts loses no acknowledged write: clients upsert products through
 * `upsertProducts` against a server process, which is SIGKILLed while requests are in flight; every
 * product whose upsert was answered without errors is in the store afterwards, in the acknowledged
 * version or a later one, with its vectors, searchable, and its attributes filterable after the
 * restart. (test/integration/stores/embedded-durability.test.ts covers the ingest path.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication } from '../../../src/main';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { cosine } from '../../contract/vector-store.contract';
import { bagOfWords, DIM, fakeImage } from '../../unit/fakes/fake-encoders';
import { bearer, createKey, fakeEncoders, gql, writeCatalog } from './api-fixtures';
import { post, startAppProcess, type AppProcess } from './app-process';

jest.setTimeout(120_000);

const UPSERT = `mutation($products: [ProductInput!]!) { upsertProducts(products: $products) { upserted } }`;

function batch(first: number, size: number, version: number) {
  return Array.from({ length: size }, (_, k) => {
    const n = first + k;
    return {
      id: `u-${n}`,
      title: `v${version} durable jacket ${n}`,
      price: 20 + (n % 7),
      attributes: [
        { name: 'shellFabric', values: [n % 2 ? 'nylon' : 'cotton'] },
        { name: 'revision', values: [`v${version}`] },
      ],
      image: { base64: fakeImage(`durable jacket ${n} v${version}`).toString('base64') },
    };
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'api-upsert-durability-'));
  writeCatalog(path.join(dir, 'catalog'), 6);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Two clients upsert batches of 4 (every third request rewrites an acknowledged batch as version 2) until
 * `minAcks` products are acknowledged, then the server is SIGKILLed with requests still in flight.
 * Returns the acknowledged version of each product id.
 */
async function upsertUntilKilled(app: AppProcess, key: string, start: number, minAcks: number): Promise<Map<string, number>> {
  const acked = new Map<string, number>();
  // Batches whose version 1 was acknowledged and not yet rewritten: a rewrite never races its original.
  const rewritable: number[] = [];
  let next = start;
  let sent = 0;
  let killed = false;
  const refused: string[] = [];
  const client = async () => {
    while (!killed) {
      const rewriteOf = ++sent % 3 === 0 ? rewritable.shift() : undefined;
      const first = rewriteOf ?? next;
      if (rewriteOf === undefined) next += 4;
      const products = batch(first, 4, rewriteOf === undefined ? 1 : 2);
      try {
        const r = await post(app.url, UPSERT, { products }, bearer(key));
        if (r.status === 200 && !r.json.errors && r.json.data?.upsertProducts?.upserted === products.length) {
          for (const p of products) acked.set(p.id, Math.max(acked.get(p.id) ?? 0, Number(p.title[1])));
          if (rewriteOf === undefined) rewritable.push(first);
        } else {
          refused.push(JSON.stringify(r.json.errors?.[0] ?? r.status).slice(0, 200));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch {
        // The connection dropped with the kill: not acknowledged.
      }
      if (!killed && acked.size >= minAcks) {
        killed = true;
        app.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all([client(), client()]);
  const { signal } = await app.exited;
  expect(signal).toBe('SIGKILL');
  // Only the requests cut off by the kill may go unanswered; none is refused.
  expect(refused).toEqual([]);
  return acked;
}

test('a SIGKILLed server loses no product whose upsert it acknowledged', async () => {
  const dataDir = path.join(dir, 'data');
  const key = createKey(dataDir, ['catalog']);
  const first = await upsertUntilKilled(await startAppProcess(dataDir, path.join(dir, 'catalog')), key, 0, 120);
  // Again on the recovered directory, so recovery of a recovered store is covered too.
  const second = await upsertUntilKilled(await startAppProcess(dataDir, path.join(dir, 'catalog')), key, 10_000, 80);
  const acked = new Map([...first, ...second]);
  expect(acked.size).toBeGreaterThanOrEqual(200);

  const store = new EmbeddedStore({ directory: dataDir });
  await store.open({ image: DIM, text: DIM });
  try {
    expect(store.integrityCheck()).toBe('ok');
    const ids = [...acked.keys()];
    const products = await store.getProducts(ids);
    expect(ids.filter((_, i) => products[i] === null)).toEqual([]);
    ids.forEach((id, i) => {
      const version = Number(products[i]!.title[1]);
      // A write after the last acknowledgement may have committed before the kill: v1 may read as v2.
      expect(version).toBeGreaterThanOrEqual(acked.get(id)!);
      expect(products[i]!.attributes.revision).toEqual([`v${version}`]);
    });
    for (const [i, id] of ids.entries()) {
      const image = await store.getVector(id, 'image');
      const text = await store.getVector(id, 'text');
      expect(text).not.toBeNull();
      // The stored image vector is the one of the stored version's image.
      expect(cosine(image!, bagOfWords(`durable jacket ${id.slice(2)} v${products[i]!.title[1]}`))).toBeCloseTo(1, 5);
    }
    for (const id of ids.filter((_, i) => i % 17 === 0)) {
      const [hit] = await store.search({ dense: [], lexical: { text: `durable jacket ${id.slice(2)}` }, limit: 1 });
      expect(hit.id).toBe(id);
    }
  } finally {
    await store.close();
  }

  // The restarted server serves them, and the attribute names the API added are filterable.
  const app = await startApplication(
    loadConfig({ PORT: '0', DATA_DIR: dataDir, CATALOG_DIR: path.join(dir, 'catalog'), LOG_LEVEL: 'silent' }),
    createLogger('silent'),
    { encoders: fakeEncoders() },
  );
  try {
    await app.ready;
    const r = await gql(app, `query($input: SearchInput!) { search(input: $input) { totalCount } }`, {
      input: { text: 'durable jacket', filter: { attributes: [{ attribute: 'shellFabric', anyOf: ['nylon', 'cotton'] }] } },
    });
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.search.totalCount).toBeGreaterThanOrEqual(acked.size);
  } finally {
    await app.close();
  }
});
