import { InvalidInputError, NotFoundError } from '../../../src/domain/errors';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import { AttributeReranker } from '../../../src/search/attribute.reranker';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { extractIdentifiers, SearchService, type SearchLogEntry, type SearchOptions } from '../../../src/search/search.service';
import type { SearchQuery } from '../../../src/search/search.types';
import { sampleCatalog } from '../fakes/catalog-builder';
import { fakeImage, FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

async function setup(options: Partial<SearchOptions> = {}, n = 60) {
  const store = new MemoryStore();
  await store.upsert(sampleCatalog(n));
  const vocabulary = new CatalogVocabulary(store);
  await vocabulary.refresh();
  const text = new FakeTextEncoder();
  const image = new FakeImageEncoder();
  const fusion = new FakeFusionEncoder();
  const logged: SearchLogEntry[] = [];
  const service = new SearchService({
    store,
    textEncoder: text,
    imageEncoder: image,
    fusionEncoder: fusion,
    images: new ImageLoader({ maxBytes: 10_000, fetchTimeoutMs: 1000, allowedDir: null }),
    vocabulary,
    log: { recordSearch: (e) => logged.push(e) },
    options,
  });
  return { store, service, text, image, fusion, logged, vocabulary };
}

const b64 = (words: string) => fakeImage(words).toString('base64');

describe('SearchService modes', () => {
  it('text: dense sources plus lexical, fused by RRF, with explanations', async () => {
    const { service, store } = await setup({ textSources: ['image', 'text', 'lexical'] });
    const r = await service.search({ text: 'red denim shirt', first: 5 });
    expect(r.mode).toBe('TEXT');
    const req = store.searches[0];
    // the configured spaces, then the image space restricted to the recognised attributes
    expect(req.dense.map((d) => d.space)).toEqual(['image', 'text', 'image']);
    expect(req.dense[2]).toMatchObject({
      label: 'attributes',
      filter: { must: [{ kind: 'match', key: 'category', value: 'shirt' }, { kind: 'match', key: 'color', value: 'red' }, { kind: 'match', key: 'material', value: 'denim' }] },
    });
    expect(req.lexical).toEqual({ text: 'red denim shirt' });
    expect(req.fusion).toBe('rrf');
    expect(r.hits).toHaveLength(5);
    expect(r.hits[0].product.title).toBe('red denim shirt');
    expect(r.hits[0].matched).toEqual([
      { name: 'color', value: 'red' },
      { name: 'material', value: 'denim' },
      { name: 'category', value: 'shirt' },
    ]);
    expect(r.hits[0].parts.map((p) => p.source).sort()).toEqual(['dense:image', 'dense:image:attributes', 'dense:text', 'lexical']);
    expect(r.queryAttributes.map((a) => a.value)).toEqual(['red', 'denim', 'shirt']);
    expect(r.totalCount).toBe(60);
  });

  it('text finds a product code exactly through the lexical source', async () => {
    const { service } = await setup({ textSources: ['image', 'lexical'] });
    const r = await service.search({ text: 'ST00017', first: 3 });
    expect(r.hits[0].product.id).toBe('p-0017');
  });

  it('pins exact identifier matches above a fused ranking that would bury them', async () => {
    const { service } = await setup({ textSources: ['image', 'text', 'lexical'] });
    // "shirt" pulls shirts up in every source; the code names a bag.
    const r = await service.search({ text: 'red shirt st00003', first: 5 });
    expect(r.hits[0].product.id).toBe('p-0003');
    expect(r.hits[0].parts).toEqual([expect.objectContaining({ source: 'lexical', rank: 1 })]);
    expect(r.hits.filter((h) => h.product.id === 'p-0003')).toHaveLength(1);
    const byCode = await service.search({ text: 'shirt ST00042', first: 1 });
    expect(byCode.hits[0].product.id).toBe('p-0042');
  });

  it('pages through pinned and ranked results without duplicates or gaps', async () => {
    const { service } = await setup({ resultWindow: 4, textSources: ['image', 'text', 'lexical'] }, 30);
    const query = { text: 'green dress ST00007 ST00013' };
    const all = (await service.search({ ...query, first: 30 })).hits.map((h) => h.product.id);
    expect(all.slice(0, 2).sort()).toEqual(['p-0007', 'p-0013']);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await service.search({ ...query, first: 3, after });
      seen.push(...page.hits.map((h) => h.product.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(30);
  });

  it('image by productId uses the stored vector without encoding', async () => {
    const { service, image, store } = await setup();
    const r = await service.search({ image: { productId: 'p-0003' }, first: 3 });
    expect(r.mode).toBe('IMAGE');
    expect(image.calls).toHaveLength(0);
    expect(store.searches[0].dense).toEqual([{ space: 'image', vector: store.items.get('p-0003')!.vectors.image }]);
    expect(r.hits[0].product.attributes.color).toEqual(store.items.get('p-0003')!.product.attributes.color);
  });

  it('image by base64 is encoded by the image tower', async () => {
    const { service, image } = await setup();
    const r = await service.search({ image: { base64: b64('green cotton dress') }, first: 2 });
    expect(image.calls).toHaveLength(1);
    expect(r.hits[0].product.title).toBe('green cotton dress');
  });

  it('image + modifier runs the fusion network and leaves the reference out', async () => {
    const { service, fusion, store } = await setup();
    const r = await service.search({ image: { productId: 'p-0000' }, modifier: 'same but navy', first: 60 });
    expect(r.mode).toBe('COMPOSED');
    expect(fusion.calls).toEqual([1]);
    expect(store.searches[0].excludeIds).toEqual(['p-0000']);
    expect(r.hits.map((h) => h.product.id)).not.toContain('p-0000');
    expect(r.totalCount).toBe(59);
  });

  it('text + image without modifier searches a weighted mean in the image space', async () => {
    const { service, store, fusion } = await setup();
    const r = await service.search({ text: 'black', image: { productId: 'p-0001' }, imageWeight: 0.3 });
    expect(r.mode).toBe('TEXT_AND_IMAGE');
    expect(fusion.calls).toHaveLength(0);
    // the weighted mean, and the same vector restricted to what the text names (colour black)
    expect(store.searches[0].dense).toHaveLength(2);
    expect(store.searches[0].dense.map((d) => d.space)).toEqual(['image', 'image']);
    expect(store.searches[0].dense[1]).toMatchObject({ label: 'attributes', filter: { must: [{ kind: 'match', key: 'color', value: 'black' }] } });
  });

  it('similar products leave the product itself out', async () => {
    const { service } = await setup();
    const r = await service.similar({ id: 'p-0005', first: 10 });
    expect(r.mode).toBe('SIMILAR');
    expect(r.hits.map((h) => h.product.id)).not.toContain('p-0005');
    expect(r.totalCount).toBe(59);
  });

  it('similar products of an unknown id is NOT_FOUND', async () => {
    const { service } = await setup();
    await expect(service.similar({ id: 'nope' })).rejects.toThrow(NotFoundError);
  });

  it('logs each search with its id and shown products', async () => {
    const { service, logged } = await setup();
    const r = await service.search({ text: 'red shirt', first: 3 });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ searchId: r.searchId, mode: 'TEXT', text: 'red shirt', offset: 0, totalCount: 60 });
    expect(logged[0].resultIds).toEqual(r.hits.map((h) => h.product.id));
    expect(logged[0].sessionId).toBeNull();
  });

  it('logs the session id a storefront sends, and refuses one that is not an opaque id', async () => {
    const { service, logged } = await setup();
    const r = await service.search({ text: 'red shirt', first: 3, sessionId: ' visit-42 ' });
    expect(logged[0]).toMatchObject({ searchId: r.searchId, sessionId: 'visit-42' });
    for (const sessionId of ['', 'x'.repeat(129), 'a\nb']) {
      await expect(service.search({ text: 'red shirt', sessionId })).rejects.toThrow(/input\.sessionId must be 1 to 128 printable characters/);
    }
    expect(logged).toHaveLength(1);
  });
});

describe('extractIdentifiers', () => {
  it.each([
    ['Art. no. TE00017-2', ['TE00017-2']],
    ['p-test-00017-2 and ST01234', ['p-test-00017-2', 'ST01234']],
    ['red t-shirt size 42', []],
    ['2024 collection', []],
    ['a1b', []],
    ['X100 x100', ['X100', 'x100']],
  ])('%s', (text, expected) => {
    expect(extractIdentifiers(text)).toEqual(expected);
  });
});

describe('SearchService filters and facets', () => {
  it('applies the filter to search, count and facets', async () => {
    const { service, store } = await setup();
    const r = await service.search({
      text: 'shirt',
      filter: { attributes: [{ attribute: 'color', anyOf: ['red', 'navy'] }], inStock: true },
      facets: ['color', 'material'],
      first: 100,
    });
    const ids = r.hits.map((h) => h.product.id);
    for (const id of ids) {
      const p = store.items.get(id)!.product;
      expect(['red', 'navy']).toContain(p.attributes.color[0]);
      expect(p.inStock).toBe(true);
    }
    const expected = [...store.items.values()].filter((it) => ['red', 'navy'].includes(it.product.attributes.color[0]) && it.product.inStock).length;
    expect(r.totalCount).toBe(expected);
    const colorFacet = r.facets.find((f) => f.attribute === 'color')!;
    expect(colorFacet.values.reduce((s, v) => s + v.count, 0)).toBe(expected);
    expect(r.facets.map((f) => f.attribute)).toEqual(['color', 'material']);
  });

  it('rejects an unknown facet attribute', async () => {
    const { service } = await setup();
    await expect(service.search({ text: 'x', facets: ['colour'] })).rejects.toThrow(/unknown attribute "colour"/);
  });
});

describe('SearchService pagination', () => {
  it.each([
    ['without re-ranking', null],
    ['with re-ranking', new AttributeReranker({ weight: 2 })],
  ])('pages without duplicates or gaps across ranking segments (%s)', async (_name, reranker) => {
    const { service } = await setup({ reranker, resultWindow: 4, textSources: ['image', 'text', 'lexical'] }, 45);
    const query: SearchQuery = { text: 'red leather bag', first: 4 };
    const all = await service.search({ ...query, first: 45 });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await service.search({ ...query, after });
      pages++;
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.hits.map((h) => h.product.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && pages < 20);
    expect(seen).toEqual(all.hits.map((h) => h.product.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(45);
  });

  it('retrieves segments until offset + page + 1 is covered', async () => {
    const { service, store } = await setup({ resultWindow: 10 });
    const first = await service.search({ text: 'shirt', first: 5 });
    expect(store.searches.map((r) => r.limit)).toEqual([10]);
    store.searches.length = 0;
    const next = await service.search({ text: 'shirt', first: 10, after: first.hits[4].cursor });
    expect(store.searches.map((r) => r.limit)).toEqual([10, 20]);
    expect(next.hits[0].product.id).not.toBe(first.hits[4].product.id);
  });

  it('stops at maxResults and refuses cursors beyond it', async () => {
    const { service } = await setup({ resultWindow: 4, maxResults: 16 }, 40);
    let page = await service.search({ text: 'shirt', first: 10 });
    page = await service.search({ text: 'shirt', first: 10, after: page.pageInfo.endCursor });
    expect(page.hits).toHaveLength(6);
    expect(page.pageInfo.hasNextPage).toBe(false);
    await expect(service.search({ text: 'shirt', first: 5, after: page.pageInfo.endCursor })).rejects.toThrow(/results stop at position 16/);
  });

  it('stops at the end of the results', async () => {
    const { service, store } = await setup({ resultWindow: 8 }, 20);
    const r = await service.search({ image: { productId: 'p-0001' }, first: 100 });
    expect(r.hits).toHaveLength(20);
    expect(r.pageInfo.hasNextPage).toBe(false);
    expect(store.searches.map((x) => x.limit)).toEqual([8, 16, 32]);
  });

  it('an edge cursor continues right after that edge', async () => {
    const { service } = await setup();
    const page = await service.search({ text: 'dress', first: 6 });
    const cont = await service.search({ text: 'dress', first: 3, after: page.hits[2].cursor });
    expect(cont.hits.map((h) => h.product.id)).toEqual(page.hits.slice(3, 6).map((h) => h.product.id));
  });

  it('rejects a cursor of another query', async () => {
    const { service } = await setup();
    const page = await service.search({ text: 'dress', first: 2 });
    await expect(service.search({ text: 'shirt', after: page.pageInfo.endCursor })).rejects.toThrow(/different search/);
  });
});

describe('SearchService bad input', () => {
  const cases: [string, SearchQuery, RegExp][] = [
    ['empty input', {}, /empty search: give input.text, input.image, or both/],
    ['blank text', { text: '   ' }, /input.text is empty/],
    ['two image sources', { image: { productId: 'p-0001', base64: b64('x') } }, /exactly one of url, base64 or productId, not base64 and productId/],
    ['no image source', { image: {} }, /exactly one of url, base64 or productId/],
    ['modifier without image', { text: 'red', modifier: 'in blue' }, /give input.image too/],
    ['modifier alone', { modifier: 'in blue' }, /give input.image too/],
    ['text and modifier', { text: 'x', modifier: 'y', image: { productId: 'p-0001' } }, /either input.text or input.modifier/],
    ['first above 100', { text: 'x', first: 101 }, /first must be between 1 and 100, got 101/],
    ['first zero', { text: 'x', first: 0 }, /first must be between 1 and 100/],
    ['malformed cursor', { text: 'x', after: 'abc' }, /malformed cursor/],
    ['imageWeight out of range', { text: 'x', image: { productId: 'p-0001' }, imageWeight: 2 }, /imageWeight must be between 0 and 1/],
    ['too long text', { text: 'x'.repeat(600) }, /the limit is 500/],
    ['undecodable image', { image: { base64: b64('CORRUPT') } }, /could not be decoded/],
    ['not an image', { image: { base64: Buffer.from('hello world').toString('base64') } }, /not a supported image/],
    ['bad base64', { image: { base64: '***' } }, /not valid base64/],
    ['url with another scheme', { image: { url: 'file:///etc/passwd' } }, /^input\.image\.url: the image could not be fetched from that URL/],
    ['url of a loopback address', { image: { url: 'http://[::ffff:127.0.0.1]:9/x.png' } }, /^input\.image\.url: the image could not be fetched from that URL/],
    ['only control characters', { text: '\u0000\u0007\t\u001b' }, /input.text is empty/],
  ];
  it.each(cases)('%s', async (_name, query, message) => {
    const { service } = await setup();
    const p = service.search(query);
    await expect(p).rejects.toThrow(InvalidInputError);
    await expect(service.search(query)).rejects.toThrow(message);
  });

  it('removes control characters from the text before searching and logging it', async () => {
    const { service, text, logged } = await setup();
    await service.search({ text: 'red\u0000 denim\u0007\tshirt\u001b' });
    expect(logged[0].text).toBe('red denim shirt');
    expect(text.calls.flat().join(' ')).not.toMatch(/[\u0000-\u001f]/);
  });

  it('lists at most 30 known attributes when a facet is unknown', async () => {
    const { service, store, vocabulary } = await setup();
    const names = Array.from({ length: 500 }, (_, i) => `extra${String(i).padStart(3, '0')}`);
    await store.upsert(sampleCatalog(1).map((p) => ({ ...p, product: { ...p.product, id: 'many', attributes: Object.fromEntries(names.map((n) => [n, ['x']])) } })));
    await vocabulary.refresh();
    const error = await service.search({ text: 'x', facets: ['colour'] }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/unknown attribute "colour"; known attributes: (\w+, ){29}\w+ \(and \d+ more\)$/);
    expect((error as Error).message.length).toBeLessThan(600);
  });

  it('unknown reference product is NOT_FOUND', async () => {
    const { service } = await setup();
    await expect(service.search({ image: { productId: 'missing' } })).rejects.toThrow(/no product with id "missing"/);
  });
});
