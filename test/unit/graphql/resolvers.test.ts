import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fakeImage } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

const SEARCH = /* GraphQL */ `
  query Search($input: SearchInput!) {
    search(input: $input) {
      searchId
      mode
      totalCount
      queryAttributes { name value }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      facets { attribute values { value count } }
      edges {
        cursor
        score
        node { id title price inStock imageUrl attributes { name value } color: attribute(name: "color") }
        explanation { matchedAttributes { name value } unmatchedAttributes { name value } scoreParts { source score rank } rerankBoost }
      }
    }
  }
`;

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeEach(async () => {
  api = await createTestApi();
});
afterEach(async () => {
  await api.close();
});

describe('Query.search', () => {
  it('returns edges with products, scores, explanations, facets and page info', async () => {
    const r = await api.exec(SEARCH, { input: { text: 'red denim shirt', first: 3, facets: ['color'] } });
    expect(r.errors).toBeUndefined();
    const s = r.data!.search;
    expect(s.mode).toBe('TEXT');
    expect(s.searchId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.edges).toHaveLength(3);
    expect(s.edges[0].node.title).toBe('red denim shirt');
    expect(s.edges[0].node.color).toEqual(['red']);
    expect(s.edges[0].node.attributes).toContainEqual({ name: 'size', value: 'M' });
    expect(s.edges[0].explanation.matchedAttributes).toContainEqual({ name: 'category', value: 'shirt' });
    expect(s.edges[0].explanation.scoreParts.length).toBeGreaterThan(0);
    expect(s.totalCount).toBe(30);
    expect(s.facets[0].attribute).toBe('color');
    expect(s.facets[0].values.reduce((a: number, v: { count: number }) => a + v.count, 0)).toBe(30);
    expect(s.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, endCursor: s.edges[2].cursor });
  });

  it('pages with after', async () => {
    const p1 = await api.exec(SEARCH, { input: { text: 'bag', first: 5 } });
    const p2 = await api.exec(SEARCH, { input: { text: 'bag', first: 5, after: p1.data!.search.pageInfo.endCursor } });
    const ids1 = p1.data!.search.edges.map((e: any) => e.node.id);
    const ids2 = p2.data!.search.edges.map((e: any) => e.node.id);
    const all = await api.exec(SEARCH, { input: { text: 'bag', first: 10 } });
    expect([...ids1, ...ids2]).toEqual(all.data!.search.edges.map((e: any) => e.node.id));
    expect(p2.data!.search.pageInfo.hasPreviousPage).toBe(true);
  });

  it('filters with and / or / not', async () => {
    const r = await api.exec(SEARCH, {
      input: {
        image: { productId: 'p-0001' },
        first: 100,
        filter: { or: [{ attributes: [{ attribute: 'color', anyOf: ['red'] }] }, { price: { max: 15 } }], not: { inStock: false } },
      },
    });
    expect(r.errors).toBeUndefined();
    for (const e of r.data!.search.edges) {
      expect(e.node.inStock).toBe(true);
      expect(e.node.color[0] === 'red' || e.node.price <= 15).toBe(true);
    }
    expect(r.data!.search.totalCount).toBe(r.data!.search.edges.length);
  });

  it.each([
    ['empty input', {}, 'BAD_USER_INPUT', /empty search/],
    ['first over 100', { text: 'x', first: 101 }, 'BAD_USER_INPUT', /first must be between 1 and 100/],
    ['malformed cursor', { text: 'x', after: 'nope' }, 'BAD_USER_INPUT', /malformed cursor/],
    ['two image sources', { image: { productId: 'p-0001', url: 'http://127.0.0.1:1/x.png' } }, 'BAD_USER_INPUT', /exactly one of url, base64 or productId/],
    ['unknown facet', { text: 'x', facets: ['colour'] }, 'BAD_USER_INPUT', /unknown attribute "colour"/],
    ['undecodable image', { image: { base64: fakeImage('CORRUPT').toString('base64') } }, 'BAD_USER_INPUT', /could not be decoded/],
    ['unknown filter attribute', { text: 'x', filter: { attributes: [{ attribute: 'fabric', anyOf: ['x'] }] } }, 'BAD_USER_INPUT', /unknown attribute "fabric"/],
    ['unknown reference product', { image: { productId: 'nope' } }, 'NOT_FOUND', /no product with id "nope"/],
  ])('%s gives %s', async (_name, input, code, message) => {
    const r = await api.exec(SEARCH, { input });
    expect(r.data).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions!.code).toBe(code);
    expect(r.errors![0].message).toMatch(message);
  });

  it('a wrongly typed variable is BAD_USER_INPUT from GraphQL itself', async () => {
    const r = await api.exec(SEARCH, { input: { text: 'x', first: 'ten' } });
    expect(r.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('an unexpected failure is masked as INTERNAL_SERVER_ERROR and logged', async () => {
    jest.spyOn(api.store, 'search').mockRejectedValueOnce(new Error('disk on fire at /secret/path'));
    const r = await api.exec(SEARCH, { input: { text: 'x' } });
    expect(r.errors![0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(r)).not.toContain('secret');
    expect(api.errors).toHaveLength(1);
  });
});

describe('product queries', () => {
  it('product and products (missing ids give null) load in one batch', async () => {
    api.getProducts.mockClear();
    const r = await api.exec(`{ a: product(id: "p-0002") { id title } b: product(id: "zzz") { id } products(ids: ["p-0003", "nope", "p-0002"]) { id } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { id: 'p-0002', title: 'black leather sneaker' }, b: null, products: [{ id: 'p-0003' }, null, { id: 'p-0002' }] });
    expect(api.getProducts).toHaveBeenCalledTimes(1);
  });

  it('similarProducts leaves the product out and pages', async () => {
    const q = `query($after: String) { similarProducts(id: "p-0004", first: 4, after: $after) { mode totalCount edges { node { id } } pageInfo { endCursor hasNextPage } } }`;
    const r = await api.exec(q);
    expect(r.data!.similarProducts.mode).toBe('SIMILAR');
    expect(r.data!.similarProducts.totalCount).toBe(29);
    const ids = r.data!.similarProducts.edges.map((e: any) => e.node.id);
    expect(ids).not.toContain('p-0004');
    const r2 = await api.exec(q, { after: r.data!.similarProducts.pageInfo.endCursor });
    const ids2 = r2.data!.similarProducts.edges.map((e: any) => e.node.id);
    expect(ids2.filter((id: string) => ids.includes(id))).toEqual([]);
  });

  it('similarProducts of an unknown product is NOT_FOUND', async () => {
    const r = await api.exec(`{ similarProducts(id: "missing") { totalCount } }`);
    expect(r.errors![0].extensions!.code).toBe('NOT_FOUND');
  });

  it('products refuses more than 100 ids', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `x${i}`);
    const r = await api.exec(`query($ids: [ID!]!) { products(ids: $ids) { id } }`, { ids });
    expect(r.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('serviceInfo and ingestStatus', async () => {
    const r = await api.exec(`{ serviceInfo { index store productCount ready models { name role } } ingestStatus { state processed total } }`);
    expect(r.data).toEqual({
      serviceInfo: { index: 'test-space@1.0.0', store: 'memory', productCount: 30, ready: true, models: [{ name: 'fake-text', role: 'text' }] },
      ingestStatus: { state: 'COMPLETE', processed: 30, total: 30 },
    });
  });
});

describe('mutations', () => {
  const UPSERT = `mutation($products: [ProductInput!]!) { upsertProducts(products: $products) { upserted products { id imageUrl brand attributes { name value } } } }`;
  const input = (id: string, image: Record<string, string>) => ({
    id,
    title: 'Purple velvet gown',
    price: 99.5,
    brand: 'Velour',
    attributes: [{ name: 'color', values: ['purple'] }, { name: 'category', values: ['dress'] }],
    image,
  });

  it('upserts by base64 and server path, idempotently, then deletes', async () => {
    writeFileSync(path.join(api.dir, 'gown.png'), fakeImage('purple velvet gown'));
    const r = await api.exec(UPSERT, {
      products: [input('new-1', { base64: fakeImage('purple velvet gown').toString('base64') }), input('new-2', { path: 'gown.png' })],
    });
    expect(r.errors).toBeUndefined();
    expect(r.data!.upsertProducts.upserted).toBe(2);
    expect(r.data!.upsertProducts.products[0].imageUrl).toMatch(/^\/media\/uploads\/[0-9a-f]{64}\.png$/);
    expect(r.data!.upsertProducts.products[0].attributes).toContainEqual({ name: 'brand', value: 'Velour' });
    await api.exec(UPSERT, { products: [input('new-1', { base64: fakeImage('purple velvet gown').toString('base64') })] });
    expect(api.store.items.size).toBe(32);

    const found = await api.exec(SEARCH, { input: { text: 'purple dresses', first: 2, facets: ['color'] } });
    expect(found.data!.search.edges[0].node.id).toMatch(/^new-/);
    expect(found.data!.search.queryAttributes).toEqual([
      { name: 'color', value: 'purple' },
      { name: 'category', value: 'dress' },
    ]);

    const del = await api.exec(`mutation { deleteProducts(ids: ["new-1", "new-2", "never"]) { deleted } }`);
    expect(del.data).toEqual({ deleteProducts: { deleted: 2 } });
    expect(api.store.items.size).toBe(30);
  });

  it.each([
    ['no image source', input('a', {}), /give exactly one image source/],
    ['two image sources', input('a', { base64: 'AAAA', url: 'http://x/y.png' }), /not url and base64/],
    ['path outside the image directory', input('a', { path: '../../etc/passwd' }), /inside the server's image directory$/],
    ['undecodable image', input('a', { base64: fakeImage('CORRUPT').toString('base64') }), /products\[0\]\.image could not be decoded/],
    ['negative price', { ...input('a', { base64: fakeImage('x').toString('base64') }), price: -1 }, /products\[0\]\.price must be a number from 0 to 1000000000/],
    ['bad id', input('has space', { base64: fakeImage('x').toString('base64') }), /products\[0\]\.id must be/],
  ])('rejects %s with BAD_USER_INPUT', async (_name, product, message) => {
    const r = await api.exec(UPSERT, { products: [product] });
    expect(r.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(r.errors![0].message).toMatch(message);
    expect(api.store.items.size).toBe(30);
  });

  it('records impressions and clicks for a search', async () => {
    const s = await api.exec(SEARCH, { input: { text: 'shirt', first: 2 } });
    const searchId = s.data!.search.searchId;
    const ids = s.data!.search.edges.map((e: any) => e.node.id);
    const r = await api.exec(`mutation($events: [SearchEventInput!]!) { recordSearchEvents(events: $events) { recorded } }`, {
      events: [
        { searchId, type: 'IMPRESSION', productId: ids[0], position: 1 },
        { searchId, type: 'IMPRESSION', productId: ids[1], position: 2 },
        { searchId, type: 'CLICK', productId: ids[1], position: 2, occurredAt: '2026-01-02T03:04:05Z' },
      ],
    });
    expect(r.data).toEqual({ recordSearchEvents: { recorded: 3 } });
    const stored = api.events.events();
    expect(stored.map((e) => e.type)).toEqual(['CLICK', 'IMPRESSION', 'IMPRESSION']);
    expect(stored[0].occurredAt).toBe('2026-01-02T03:04:05.000Z');
  });

  it.each([
    ['unknown searchId', { searchId: 'nope', type: 'CLICK', productId: 'p-0001', position: 1 }, 'BAD_USER_INPUT', /not a search this service answered/],
    ['bad date', { searchId: 'x', type: 'CLICK', productId: 'p-0001', position: 1, occurredAt: 'yesterday' }, 'BAD_USER_INPUT', /ISO 8601/],
    ['bad type', { searchId: 'x', type: 'VIEW', productId: 'p-0001', position: 1 }, 'BAD_USER_INPUT', /SearchEventType/],
  ])('rejects an event with %s', async (_name, event, code, message) => {
    const r = await api.exec(`mutation($events: [SearchEventInput!]!) { recordSearchEvents(events: $events) { recorded } }`, { events: [event] });
    expect(r.errors![0].extensions!.code).toBe(code);
    expect(r.errors![0].message).toMatch(message);
  });
});
