/**
 * Faults of the systems behind the API fail the request that met them, with a coded error and no
 * internal detail, and the next request is served: an encoder failure (as an ONNX session error),
 * a store failure (SQLite busy, an embedded store's failed write, Qdrant unreachable).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnavailableError } from '../../../src/domain/errors';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { aProduct, aStoredProduct, seededRandom } from '../../contract/vector-store.contract';
import { FakeTextEncoder } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

const SEARCH = `query($input: SearchInput!) { search(input: $input) { totalCount edges { node { id } } } }`;
const UPSERT = `mutation($products: [ProductInput!]!) { upsertProducts(products: $products) { upserted } }`;

/** The kind of error onnxruntime throws when a session run fails. */
const ONNX_ERROR = "Non-zero status code returned while running Gemm node. Name:'/text/proj/Gemm' Status Message: /onnxruntime/core/framework/bfc_arena.cc alloc failed";

describe('faults behind the GraphQL API', () => {
  it('an encoder failure fails that search with INTERNAL_SERVER_ERROR and no detail; the next search works', async () => {
    const api = await createTestApi(20);
    try {
      jest.spyOn(FakeTextEncoder.prototype, 'encode').mockRejectedValueOnce(new Error(ONNX_ERROR));
      const failed = await api.exec(SEARCH, { input: { text: 'red shirt' } }, { key: null });
      expect(failed.errors).toHaveLength(1);
      expect(failed.errors![0].extensions!.code).toBe('INTERNAL_SERVER_ERROR');
      expect(failed.errors![0].message).toBe('internal error');
      expect(JSON.stringify(failed)).not.toMatch(/Gemm|onnxruntime/);
      // The details reach the server log only.
      expect(JSON.stringify(api.errors)).toMatch(/Gemm/);
      const ok = await api.exec(SEARCH, { input: { text: 'red shirt' } }, { key: null });
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.search.totalCount).toBe(20);
    } finally {
      jest.restoreAllMocks();
      await api.close();
    }
  });

  it('a store failure (SQLite busy) fails that search with INTERNAL_SERVER_ERROR; the next search works', async () => {
    const api = await createTestApi(20);
    try {
      jest.spyOn(api.store, 'search').mockRejectedValueOnce(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
      const failed = await api.exec(SEARCH, { input: { text: 'red shirt' } }, { key: null });
      expect(failed.errors![0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      const ok = await api.exec(SEARCH, { input: { text: 'red shirt' } }, { key: null });
      expect(ok.errors).toBeUndefined();
    } finally {
      await api.close();
    }
  });

  it('an unreachable store (e.g. Qdrant down) answers UNAVAILABLE with what to do', async () => {
    const api = await createTestApi(20);
    try {
      jest.spyOn(api.store, 'search').mockRejectedValueOnce(new UnavailableError('Qdrant did not answer (search): connect ECONNREFUSED; retry later'));
      const failed = await api.exec(SEARCH, { input: { text: 'red shirt' } }, { key: null });
      expect(failed.errors![0].extensions!.code).toBe('UNAVAILABLE');
      expect(failed.errors![0].message).toMatch(/retry later/);
    } finally {
      await api.close();
    }
  });

  it('a failed write fails that upsert with a coded error and writes nothing', async () => {
    const api = await createTestApi(5);
    try {
      jest.spyOn(api.store, 'upsert').mockRejectedValueOnce(new UnavailableError('the store could not save the write (SQLITE_FULL); nothing was written, retry later'));
      const products = [{ id: 'f-1', title: 'red shirt', price: 10, image: { base64: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('red shirt')]).toString('base64') } }];
      const failed = await api.exec(UPSERT, { products });
      expect(failed.errors![0].extensions!.code).toBe('UNAVAILABLE');
      expect(api.store.items.has('f-1')).toBe(false);
      const ok = await api.exec(UPSERT, { products });
      expect(ok.errors).toBeUndefined();
      expect(api.store.items.has('f-1')).toBe(true);
    } finally {
      await api.close();
    }
  });
});

describe('the embedded store under SQLite failures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'store-faults-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('turns a failed write transaction into UNAVAILABLE, keeps its indexes unchanged and stays usable', async () => {
    const store = new EmbeddedStore({ directory: dir });
    await store.open({ image: 16, text: 8 });
    try {
      const rand = seededRandom(3);
      await store.upsert([aStoredProduct(aProduct('a'), rand)]);
      const db = (store as unknown as { state: { db: { writeBatch: (...a: unknown[]) => unknown; deleteSlots: (...a: unknown[]) => unknown } } }).state.db;
      const writeBatch = db.writeBatch;
      const full = () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      };
      db.writeBatch = full;
      db.deleteSlots = full;
      await expect(store.upsert([aStoredProduct(aProduct('b'), rand)])).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/SQLITE_FULL.*nothing was written/) });
      await expect(store.delete(['a'])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(await store.count()).toBe(1);
      expect(await store.getProducts(['a', 'b'])).toEqual([expect.objectContaining({ id: 'a' }), null]);
      db.writeBatch = writeBatch;
      await store.upsert([aStoredProduct(aProduct('b'), rand)]);
      expect(await store.count()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('reports a failing background checkpoint instead of throwing it into the process', async () => {
    const errors: unknown[] = [];
    const store = new EmbeddedStore({ directory: dir, checkpointDelayMs: 5, onBackgroundError: (e) => errors.push(e) });
    await store.open({ image: 16, text: 8 });
    const rand = seededRandom(4);
    // Writing the graph fails, as on a full disk.
    const spaces = (store as unknown as { state: { spaces: Map<string, { checkpoint: () => void }> } }).state.spaces;
    for (const s of spaces.values()) {
      s.checkpoint = () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
    }
    await store.upsert([aStoredProduct(aProduct('a'), rand)]);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/ENOSPC/);
    expect(await store.count()).toBe(1);
    await expect(store.close()).rejects.toThrow(/ENOSPC/);
  });
});
