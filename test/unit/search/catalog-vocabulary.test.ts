/** The catalogue vocabulary: names from the store at start, incremental counts on writes, coalesced rebuilds. */
import type { Product } from '../../../src/domain/product';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { aProduct } from '../../contract/vector-store.contract';
import { MemoryStore } from '../fakes/memory.store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function product(id: string, attributes: Record<string, string[]>): Product {
  return aProduct(id, { attributes });
}

async function storeWith(products: Product[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.upsert(products.map((p) => ({ product: p, vectors: {} })));
  return store;
}

describe('CatalogVocabulary', () => {
  it('takes attribute names from the store at refresh, so names added through the API survive a restart', async () => {
    const store = await storeWith([product('a', { color: ['red'], fabricWeight: ['heavy'] }), product('b', { color: ['navy'] })]);
    // A fresh vocabulary, as after a restart: it has not seen the writes that added fabricWeight.
    const vocabulary = new CatalogVocabulary(store);
    expect(vocabulary.knownAttributes.has('fabricWeight')).toBe(false);
    await vocabulary.refresh();
    expect(vocabulary.knownAttributes.has('fabricWeight')).toBe(true);
    expect(vocabulary.knownAttributes.has('color')).toBe(true);
    expect(vocabulary.values.fabricWeight).toEqual(['heavy']);
    expect(vocabulary.values.color.sort()).toEqual(['navy', 'red']);
  });

  it('moves value counts by the written products without reading the store', async () => {
    const store = await storeWith([product('a', { color: ['red'] }), product('b', { color: ['red'] })]);
    const vocabulary = new CatalogVocabulary(store, { rebuildDelayMs: 5 });
    await vocabulary.refresh();
    const facets = jest.spyOn(store, 'facets');
    const names = jest.spyOn(store, 'attributeNames');

    // b becomes navy and gains a new attribute; c is new; a is deleted.
    vocabulary.apply({ removed: [product('b', { color: ['red'] })], added: [product('b', { color: ['navy'], lining: ['silk'] }), product('c', { color: ['navy'] })] });
    expect(vocabulary.knownAttributes.has('lining')).toBe(true);
    vocabulary.apply({ removed: [product('a', { color: ['red'] })], added: [] });
    vocabulary.settle();
    expect(vocabulary.values).toMatchObject({ color: ['navy'], lining: ['silk'] });
    expect(facets).not.toHaveBeenCalled();
    expect(names).not.toHaveBeenCalled();

    // The counts equal a full refresh over the same catalogue.
    const after = await storeWith([product('b', { color: ['navy'], lining: ['silk'] }), product('c', { color: ['navy'] })]);
    const fresh = new CatalogVocabulary(after);
    await fresh.refresh();
    expect(vocabulary.values).toEqual(fresh.values);
  });

  it('rebuilds the query understanding once for a burst of writes, after a short delay', async () => {
    const store = await storeWith([product('a', { color: ['red'] })]);
    const vocabulary = new CatalogVocabulary(store, { rebuildDelayMs: 40 });
    await vocabulary.refresh();
    const rebuildsBefore = vocabulary.rebuildCount;
    const understanding = vocabulary.understanding;
    for (let i = 0; i < 50; i++) vocabulary.apply({ removed: [], added: [product(`n${i}`, { color: [`shade${i}`] })] });
    // Names and counts are current at once; the understanding is rebuilt later, once.
    expect(vocabulary.values.color).toHaveLength(51);
    expect(vocabulary.understanding).toBe(understanding);
    await sleep(100);
    expect(vocabulary.understanding).not.toBe(understanding);
    expect(vocabulary.rebuildCount).toBe(rebuildsBefore + 1);
  });

  it('a write that touches no attribute schedules no rebuild', async () => {
    const vocabulary = new CatalogVocabulary(new MemoryStore(), { rebuildDelayMs: 1 });
    await vocabulary.refresh();
    const before = vocabulary.rebuildCount;
    vocabulary.apply({ removed: [], added: [product('x', {})] });
    await sleep(20);
    expect(vocabulary.rebuildCount).toBe(before);
  });

  it('close cancels a waiting rebuild', async () => {
    const vocabulary = new CatalogVocabulary(new MemoryStore(), { rebuildDelayMs: 10 });
    vocabulary.apply({ removed: [], added: [product('x', { color: ['red'] })] });
    vocabulary.close();
    await sleep(40);
    expect(vocabulary.rebuildCount).toBe(0);
  });
});
