/**
 * Cursors across writes: over a store with catalogue versions (the embedded store), a page asked
 * for after a write gets STALE_CURSOR instead of repeating a product; without writes, pages neither
 * repeat nor skip. Over a store without versions, cursors stay positional.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { SearchService } from '../../../src/search/search.service';
import type { SearchResult } from '../../../src/search/search.types';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import type { VectorStore } from '../../../src/stores/vector-store';
import { product, sampleCatalog } from '../fakes/catalog-builder';
import { bagOfWords, DIM, FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

async function serviceOverDeps(store: VectorStore) {
  const vocabulary = new CatalogVocabulary(store);
  await vocabulary.refresh();
  return {
    store,
    textEncoder: new FakeTextEncoder(),
    imageEncoder: new FakeImageEncoder(),
    fusionEncoder: new FakeFusionEncoder(),
    images: new ImageLoader({ maxBytes: 10_000, fetchTimeoutMs: 1000, allowedDir: null }),
    vocabulary,
  };
}

async function serviceOver(store: VectorStore): Promise<SearchService> {
  return new SearchService({ ...(await serviceOverDeps(store)), options: { textSources: ['image', 'lexical'] } });
}

const ids = (r: SearchResult) => r.hits.map((h) => h.product.id);

/** A product whose words match the query best, so it enters at the top of the ranking. */
function bestMatch(id: string) {
  const p = product({ id, title: 'red denim shirt red denim shirt', attributes: { color: ['red'], category: ['shirt'], material: ['denim'] } });
  const v = bagOfWords('red denim shirt');
  return { product: p, vectors: { image: v, text: v } };
}

describe('pagination across writes (embedded store)', () => {
  let dir: string;
  let store: EmbeddedStore;
  let service: SearchService;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pagination-writes-'));
    store = new EmbeddedStore({ directory: dir });
    await store.open({ image: DIM, text: DIM });
    await store.upsert(sampleCatalog(60));
    service = await serviceOver(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages through the whole ranking without repeating or skipping a product while nothing is written', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 30; page++) {
      const r: SearchResult = await service.search({ text: 'red denim shirt', first: 7, after });
      seen.push(...ids(r));
      if (!r.pageInfo.hasNextPage) break;
      after = r.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe((await service.search({ text: 'red denim shirt', first: 100 })).hits.length);
  });

  it('refuses the next page after an upsert with STALE_CURSOR, and the search run again includes the write', async () => {
    const first = await service.search({ text: 'red denim shirt', first: 5 });
    await store.upsert([bestMatch('p-new')]);
    await expect(service.search({ text: 'red denim shirt', first: 5, after: first.pageInfo.endCursor })).rejects.toMatchObject({
      code: 'STALE_CURSOR',
      details: { argument: 'after' },
    });
    const again = await service.search({ text: 'red denim shirt', first: 5 });
    expect(ids(again)).toContain('p-new');
    const next = await service.search({ text: 'red denim shirt', first: 5, after: again.pageInfo.endCursor });
    expect(ids(next).filter((id) => ids(again).includes(id))).toEqual([]);
  });

  it('refuses the next page after a delete, and for similar products too', async () => {
    const first = await service.similar({ id: 'p-0001', first: 5 });
    const page2 = await service.similar({ id: 'p-0001', first: 5, after: first.pageInfo.endCursor });
    expect(ids(page2).filter((id) => ids(first).includes(id))).toEqual([]);
    await store.delete([ids(first)[0]]);
    await expect(service.similar({ id: 'p-0001', first: 5, after: first.pageInfo.endCursor })).rejects.toMatchObject({ code: 'STALE_CURSOR' });
  });

  it('a cursor survives a restart of the store when nothing was written', async () => {
    const first = await service.search({ text: 'navy cotton dress', first: 4 });
    await store.close();
    store = new EmbeddedStore({ directory: dir });
    await store.open({ image: DIM, text: DIM });
    service = await serviceOver(store);
    const next = await service.search({ text: 'navy cotton dress', first: 4, after: first.pageInfo.endCursor });
    expect(next.hits.length).toBe(4);
    expect(ids(next).filter((id) => ids(first).includes(id))).toEqual([]);
  });
});

describe('the canonical ranking of a first page serves the pages after it', () => {
  const counting = async (store: MemoryStore) => {
    const calls = { search: 0 };
    const search = store.search.bind(store);
    store.search = async (request) => {
      calls.search++;
      return search(request);
    };
    return { calls, service: await serviceOver(store) };
  };

  it('a next page retrieves nothing again, and pages the same as a service without the cache', async () => {
    const store = new MemoryStore();
    await store.upsert(sampleCatalog(60));
    const { calls, service } = await counting(store);
    const first = await service.search({ text: 'red denim shirt', first: 5 });
    const afterFirst = calls.search;
    expect(afterFirst).toBeGreaterThan(0);
    const second = await service.search({ text: 'red denim shirt', first: 5, after: first.pageInfo.endCursor });
    expect(calls.search).toBe(afterFirst);
    const uncached = new SearchService({ ...(await serviceOverDeps(store)), options: { textSources: ['image', 'lexical'], rankingCacheSize: 0 } });
    const reference = await uncached.search({ text: 'red denim shirt', first: 10 });
    expect([...ids(first), ...ids(second)]).toEqual(ids(reference));
  });

  it('a first page always ranks afresh, and a page deeper than the kept ranking retrieves again', async () => {
    const store = new MemoryStore();
    await store.upsert(sampleCatalog(60));
    const { calls, service } = await counting(store);
    await service.search({ text: 'navy cotton dress', first: 5 });
    const once = calls.search;
    await service.search({ text: 'navy cotton dress', first: 5 });
    expect(calls.search).toBe(2 * once);
    const small = new SearchService({ ...(await serviceOverDeps(store)), options: { textSources: ['image', 'lexical'], resultWindow: 10, maxResults: 40 } });
    // Positions 1-4 need a ranking of 5, positions 5-8 one of 9: both within the first window of 10.
    const p1 = await small.search({ text: 'navy cotton dress', first: 4 });
    const afterP1 = calls.search;
    const p2 = await small.search({ text: 'navy cotton dress', first: 4, after: p1.pageInfo.endCursor });
    expect(calls.search).toBe(afterP1);
    // Positions 9-12 need 13: beyond the kept ranking, so it is retrieved again, deeper.
    await small.search({ text: 'navy cotton dress', first: 4, after: p2.pageInfo.endCursor });
    expect(calls.search).toBeGreaterThan(afterP1);
  });
});

describe('pagination over a store without catalogue versions', () => {
  it('keeps positional cursors working', async () => {
    const store = new MemoryStore();
    await store.upsert(sampleCatalog(30));
    store.catalogVersion = async () => null;
    const service = await serviceOver(store);
    const first = await service.search({ text: 'red denim shirt', first: 5 });
    await store.upsert([bestMatch('p-new')]);
    const next = await service.search({ text: 'red denim shirt', first: 5, after: first.pageInfo.endCursor });
    expect(next.hits).toHaveLength(5);
  });
});
