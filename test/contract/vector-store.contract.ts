/**
 * The VectorStore contract: one suite that every store implementation passes.
 *
 * Usage (one file per store):
 *   describeVectorStoreContract('embedded', async () => ({ store, cleanup }));
 * The factory returns a fresh, empty store that is not yet open; the suite opens it with
 * CONTRACT_DIMENSIONS and closes it before calling `cleanup`, which removes its data.
 *
 * The suite speaks only through the port (src/stores/vector-store.ts) and builds its own data.
 */
import type { Condition, Filter } from '../../src/domain/filter';
import type { Product } from '../../src/domain/product';
import type { ScoredHit, StoredProduct, VectorSpace, VectorStore } from '../../src/stores/vector-store';
import { seededRandom } from '../../src/domain/seeded-random';

export type StoreFactory = () => Promise<{ store: VectorStore; cleanup(): Promise<void> }>;

export const CONTRACT_DIMENSIONS = { image: 16, text: 8 } as const;

/** Deterministic pseudo-random numbers (mulberry32). */
export { seededRandom };

export function randomVector(rand: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rand() * 2 - 1;
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function aProduct(id: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    title: `Product ${id}`,
    description: `Plain catalogue item ${id}`,
    brand: 'Generic',
    price: 10,
    currency: 'EUR',
    inStock: true,
    imageUrl: `/media/${id}.png`,
    attributes: {},
    ...overrides,
  };
}

export function aStoredProduct(product: Product, rand: () => number, spaces: VectorSpace[] = ['image', 'text']): StoredProduct {
  const vectors: StoredProduct['vectors'] = {};
  for (const s of spaces) vectors[s] = randomVector(rand, CONTRACT_DIMENSIONS[s]);
  return { product, vectors };
}

/** The catalogue the filter, facet and lexical cases run on. */
function catalogue(): Product[] {
  const p = (
    id: string,
    price: number,
    inStock: boolean,
    brand: string,
    attributes: Record<string, string[]>,
    title: string,
    description: string,
  ): Product => aProduct(id, { price, inStock, brand, title, description, attributes: { ...attributes, brand: [brand] } });
  return [
    p('a01', 10, true, 'Acme', { category: ['shirt'], color: ['red'], size: ['S', 'M'], material: ['cotton'] }, 'Red cotton shirt', 'A light shirt for summer. Style code QX-1001.'),
    p('a02', 20, false, 'Acme', { category: ['shirt'], color: ['blue'], size: ['M'] }, 'Blue shirt', 'A plain shirt with long sleeves. Style code QX-1002.'),
    p('a03', 30, true, 'Bolt', { category: ['dress'], color: ['red', 'white'], size: ['L'], material: ['silk'] }, 'Striped silk dress', 'Red and white stripes. Style code QX-1003.'),
    p('a04', 40, true, 'Bolt', { category: ['dress'], color: ['black'], size: ['S'] }, 'Little black dress', 'An evening dress. Style code QX-7731.'),
    p('a05', 50, false, 'Crest', { category: ['shoe'], color: ['white'], size: ['42'], material: ['leather'] }, 'White leather sneaker', 'Low-top sneaker. Style code QX-1005.'),
    p('a06', 60, true, 'Crest', { category: ['shoe'], color: ['black', 'white'], size: ['43'], material: ['leather'] }, 'Two-tone leather boot', 'Ankle boot. Style code QX-1006.'),
    p('a07', 70, true, 'Dune', { category: ['bag'], color: ['brown'], size: [], material: ['leather'] }, 'Brown leather tote', 'A roomy tote bag. Style code QX-1007.'),
    p('a08', 80, false, 'Dune', { category: ['bag'], color: ['red'], material: ['canvas'] }, 'Red canvas backpack', 'A backpack for travel. Style code QX-1008.'),
  ];
}

const ALL = ['a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08'];
const m = (key: string, value: string | boolean): Condition => ({ kind: 'match', key, value });
const nested = (filter: Filter): Condition => ({ kind: 'nested', filter });

/** Filter cases on catalogue(): [name, filter, expected ids]. */
export const FILTER_CASES: [string, Filter, string[]][] = [
  ['empty filter matches everything', {}, ALL],
  ['match a keyword value', { must: [m('color', 'red')] }, ['a01', 'a03', 'a08']],
  ['match a value nobody has', { must: [m('color', 'purple')] }, []],
  ['match on a key nobody has', { must: [m('pattern', 'striped')] }, []],
  ['match the brand', { must: [m('brand', 'Dune')] }, ['a07', 'a08']],
  ['match inStock true', { must: [m('inStock', true)] }, ['a01', 'a03', 'a04', 'a06', 'a07']],
  ['match inStock false', { must: [m('inStock', false)] }, ['a02', 'a05', 'a08']],
  ['match any of several values', { must: [{ kind: 'matchAny', key: 'color', any: ['white', 'brown'] }] }, ['a03', 'a05', 'a06', 'a07']],
  ['match any of an empty list', { must: [{ kind: 'matchAny', key: 'color', any: [] }] }, []],
  ['except: some value outside the list', { must: [{ kind: 'matchExcept', key: 'color', except: ['red'] }] }, ['a02', 'a03', 'a04', 'a05', 'a06', 'a07']],
  ['except: missing key matches nothing', { must: [{ kind: 'matchExcept', key: 'material', except: ['leather'] }] }, ['a01', 'a03', 'a08']],
  ['except: empty and missing values match nothing', { must: [{ kind: 'matchExcept', key: 'size', except: ['S', 'M'] }] }, ['a03', 'a05', 'a06']],
  ['range gte / lt', { must: [{ kind: 'range', key: 'price', gte: 30, lt: 60 }] }, ['a03', 'a04', 'a05']],
  ['range gt / lte', { must: [{ kind: 'range', key: 'price', gt: 30, lte: 60 }] }, ['a04', 'a05', 'a06']],
  ['range on a keyword key matches nothing', { must: [{ kind: 'range', key: 'color', gte: 0 }] }, []],
  ['hasId ignores unknown ids', { must: [{ kind: 'hasId', ids: ['a02', 'a07', 'zzz'] }] }, ['a02', 'a07']],
  ['must is a conjunction', { must: [m('category', 'shoe'), m('inStock', true)] }, ['a06']],
  ['should is a disjunction', { should: [m('color', 'red'), m('category', 'bag')] }, ['a01', 'a03', 'a07', 'a08']],
  ['empty should is ignored', { must: [m('category', 'dress')], should: [] }, ['a03', 'a04']],
  ['mustNot excludes', { mustNot: [m('color', 'red')] }, ['a02', 'a04', 'a05', 'a06', 'a07']],
  ['mustNot keeps products missing the key', { mustNot: [m('material', 'leather')] }, ['a01', 'a02', 'a03', 'a04', 'a08']],
  ['nested OR and NOT', { must: [nested({ should: [m('category', 'shirt'), m('category', 'dress')] })], mustNot: [nested({ must: [m('color', 'red')] })] }, ['a02', 'a04']],
  ['double negation', { mustNot: [nested({ mustNot: [m('inStock', true)] })] }, ['a01', 'a03', 'a04', 'a06', 'a07']],
  ['nested empty filter matches everything', { must: [nested({})] }, ALL],
  [
    'must + should + mustNot together',
    { must: [{ kind: 'range', key: 'price', lte: 60 }], should: [m('color', 'white'), m('material', 'cotton')], mustNot: [{ kind: 'hasId', ids: ['a05'] }] },
    ['a01', 'a03', 'a06'],
  ],
];

const sorted = (ids: string[]) => [...ids].sort();
const ids = (hits: ScoredHit[]) => hits.map((h) => h.id);

export function describeVectorStoreContract(name: string, factory: StoreFactory): void {
  describe(`VectorStore contract: ${name}`, () => {
    /** Opens a fresh store for one describe block and closes it afterwards. */
    function useStore(seed?: (store: VectorStore) => Promise<void>): () => VectorStore {
      let store: VectorStore;
      let cleanup: () => Promise<void>;
      beforeAll(async () => {
        ({ store, cleanup } = await factory());
        await store.open(CONTRACT_DIMENSIONS);
        if (seed) await seed(store);
      });
      afterAll(async () => {
        await store?.close();
        await cleanup?.();
      });
      return () => store;
    }

    describe('writes and reads', () => {
      const rand = seededRandom(1);
      const store = useStore();

      test('info reports the dimensions and an empty store', async () => {
        const info = await store().info();
        expect(typeof info.backend).toBe('string');
        expect(info.products).toBe(0);
        expect(info.dimensions).toEqual(CONTRACT_DIMENSIONS);
      });

      test('upsert then getProducts in request order with nulls for unknown ids', async () => {
        const items = ['w1', 'w2', 'w3'].map((id) => aStoredProduct(aProduct(id, { title: `Title ${id}` }), rand));
        await store().upsert(items);
        const got = await store().getProducts(['w3', 'nope', 'w1', 'w3']);
        expect(got.map((p) => p?.id ?? null)).toEqual(['w3', null, 'w1', 'w3']);
        expect(got[0]).toEqual(items[2].product);
        expect(await store().count()).toBe(3);
        expect((await store().info()).products).toBe(3);
      });

      test('getVector returns the stored direction, or null', async () => {
        const v = randomVector(rand, CONTRACT_DIMENSIONS.image);
        await store().upsert([{ product: aProduct('w4'), vectors: { image: v } }]);
        const got = await store().getVector('w4', 'image');
        expect(got).toBeInstanceOf(Float32Array);
        expect(got!.length).toBe(CONTRACT_DIMENSIONS.image);
        expect(cosine(got!, v)).toBeCloseTo(1, 5);
        expect(await store().getVector('w4', 'text')).toBeNull();
        expect(await store().getVector('nope', 'image')).toBeNull();
      });

      test('re-upserting an id replaces the product and its vectors', async () => {
        const before = await store().count();
        const v = randomVector(rand, CONTRACT_DIMENSIONS.image);
        await store().upsert([{ product: aProduct('w1', { title: 'Replaced', price: 99 }), vectors: { image: v } }]);
        expect(await store().count()).toBe(before);
        const [p] = await store().getProducts(['w1']);
        expect(p).toMatchObject({ id: 'w1', title: 'Replaced', price: 99 });
        expect(cosine((await store().getVector('w1', 'image'))!, v)).toBeCloseTo(1, 5);
        expect(await store().getVector('w1', 'text')).toBeNull();
        const hits = await store().search({ dense: [{ space: 'image', vector: v }], limit: 1 });
        expect(hits[0].id).toBe('w1');
        expect(hits[0].score).toBeCloseTo(1, 5);
        const textHits = await store().search({ dense: [{ space: 'text', vector: randomVector(rand, CONTRACT_DIMENSIONS.text) }], limit: 10 });
        expect(ids(textHits)).not.toContain('w1');
      });

      test('the last of duplicate ids in one batch wins', async () => {
        await store().upsert([
          aStoredProduct(aProduct('w5', { title: 'first' }), rand),
          aStoredProduct(aProduct('w5', { title: 'second' }), rand),
        ]);
        expect((await store().getProducts(['w5']))[0]?.title).toBe('second');
      });

      test('delete removes products everywhere and counts those that existed', async () => {
        const v = (await store().getVector('w2', 'image'))!;
        expect(await store().delete(['w2', 'nope', 'w3'])).toBe(2);
        expect(await store().getProducts(['w2', 'w3'])).toEqual([null, null]);
        expect(await store().getVector('w2', 'image')).toBeNull();
        const hits = await store().search({ dense: [{ space: 'image', vector: v }], limit: 10 });
        expect(ids(hits)).not.toContain('w2');
        expect(await store().count({ must: [{ kind: 'hasId', ids: ['w2', 'w3'] }] })).toBe(0);
        const page = await store().scroll({ limit: 100 });
        expect(page.items.map((i) => i.product.id)).not.toContain('w2');
        expect(await store().delete(['w2'])).toBe(0);
      });

      test('a vector of the wrong dimension is rejected with a bad-input error', async () => {
        const bad = { product: aProduct('w9'), vectors: { image: new Float32Array(CONTRACT_DIMENSIONS.image + 1).fill(1) } };
        await expect(store().upsert([bad])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(await store().getProducts(['w9'])).toEqual([null]);
        const query = new Float32Array(CONTRACT_DIMENSIONS.text + 3).fill(1);
        await expect(store().search({ dense: [{ space: 'text', vector: query }], limit: 3 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      });
    });

    describe('vector search', () => {
      const rand = seededRandom(7);
      const items = Array.from({ length: 150 }, (_, i) =>
        aStoredProduct(aProduct(`v${String(i).padStart(3, '0')}`, { attributes: { parity: [i % 2 === 0 ? 'even' : 'odd'] } }), rand),
      );
      const store = useStore((s) => s.upsert(items));
      const queries = Array.from({ length: 8 }, () => randomVector(rand, CONTRACT_DIMENSIONS.image));

      const bruteForce = (q: Float32Array, k: number, keep: (p: StoredProduct) => boolean = () => true) =>
        items
          .filter(keep)
          .map((it) => ({ id: it.product.id, score: cosine(q, it.vectors.image!) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, k);

      test('exact search equals brute force, with cosine scores', async () => {
        for (const q of queries) {
          const hits = await store().search({ dense: [{ space: 'image', vector: q }], limit: 10, exact: true });
          const want = bruteForce(q, 10);
          expect(ids(hits)).toEqual(want.map((w) => w.id));
          hits.forEach((h, i) => {
            expect(h.score).toBeCloseTo(want[i].score, 5);
            expect(h.parts).toEqual([{ source: 'dense:image', score: h.score, rank: i + 1 }]);
          });
        }
      });

      test('approximate search finds the brute-force neighbours (recall@10 >= 0.9) with exact scores', async () => {
        let found = 0;
        for (const q of queries) {
          const hits = await store().search({ dense: [{ space: 'image', vector: q }], limit: 10 });
          expect(hits).toHaveLength(10);
          const want = new Set(bruteForce(q, 10).map((w) => w.id));
          found += hits.filter((h) => want.has(h.id)).length;
          const byId = new Map(items.map((it) => [it.product.id, it]));
          for (const h of hits) expect(h.score).toBeCloseTo(cosine(q, byId.get(h.id)!.vectors.image!), 5);
          for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
        }
        expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);
      });

      test('filtered search returns the best matching products only', async () => {
        const filter: Filter = { must: [m('parity', 'odd')] };
        for (const q of queries.slice(0, 3)) {
          const hits = await store().search({ dense: [{ space: 'image', vector: q }], filter, limit: 5, exact: true });
          expect(ids(hits)).toEqual(bruteForce(q, 5, (p) => p.product.attributes.parity[0] === 'odd').map((w) => w.id));
        }
      });

      test('excludeIds leaves products out and still fills the limit', async () => {
        const q = queries[0];
        const top = bruteForce(q, 12);
        const excludeIds = top.slice(0, 2).map((t) => t.id);
        const hits = await store().search({ dense: [{ space: 'image', vector: q }], limit: 10, exact: true, excludeIds });
        expect(ids(hits)).toEqual(top.slice(2, 12).map((t) => t.id));
      });

      test('limit larger than the catalogue returns every product once', async () => {
        const hits = await store().search({ dense: [{ space: 'text', vector: queries[0].subarray(0, CONTRACT_DIMENSIONS.text) }], limit: 500 });
        expect(new Set(ids(hits)).size).toBe(items.length);
      });

      test('two dense sources fuse by reciprocal rank', async () => {
        const qi = queries[1];
        const qt = randomVector(rand, CONTRACT_DIMENSIONS.text);
        const hits = await store().search({ dense: [{ space: 'image', vector: qi }, { space: 'text', vector: qt }], limit: 10, exact: true });
        expect(hits).toHaveLength(10);
        for (const h of hits) {
          expect(h.parts.length).toBeGreaterThanOrEqual(1);
          const rrf = h.parts.reduce((s, p) => s + 1 / (60 + p.rank), 0);
          expect(h.score).toBeCloseTo(rrf, 10);
          for (const p of h.parts) expect(['dense:image', 'dense:text']).toContain(p.source);
        }
        for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
        const topImage = bruteForce(qi, 1)[0].id;
        const part = hits.find((h) => h.id === topImage)?.parts.find((p) => p.source === 'dense:image');
        expect(part?.rank).toBe(1);
      });

      test('a source with its own filter ranks only its matches and is fused under its label', async () => {
        const q = queries[3];
        const odd: Filter = { must: [m('parity', 'odd')] };
        const hits = await store().search({
          dense: [
            { space: 'image', vector: q },
            { space: 'image', vector: q, filter: odd, label: 'attributes' },
          ],
          limit: 20,
          exact: true,
        });
        const restricted = hits.flatMap((h) => h.parts.filter((p) => p.source === 'dense:image:attributes').map((p) => ({ id: h.id, rank: p.rank })));
        const wantOdd = bruteForce(q, 20, (p) => p.product.attributes.parity[0] === 'odd').map((w) => w.id);
        // every product the restricted source ranked is odd, at its brute-force rank among odd products
        expect(restricted.length).toBeGreaterThan(0);
        for (const r of restricted) expect(wantOdd.indexOf(r.id) + 1).toBe(r.rank);
        // the unrestricted source still ranks even products
        expect(hits.some((h) => h.parts.some((p) => p.source === 'dense:image') && items.find((it) => it.product.id === h.id)!.product.attributes.parity[0] === 'even')).toBe(true);
        // fused by RRF over both sources
        for (const h of hits) expect(h.score).toBeCloseTo(h.parts.reduce((s, p) => s + 1 / (60 + p.rank), 0), 10);
      });

      test('a source filter without a label, or a malformed label, is refused as bad input', async () => {
        const q = queries[3];
        await expect(store().search({ dense: [{ space: 'image', vector: q, filter: { must: [m('parity', 'odd')] } }], limit: 5 })).rejects.toMatchObject({
          code: 'BAD_USER_INPUT',
        });
        await expect(store().search({ dense: [{ space: 'image', vector: q, label: 'Not OK' }], limit: 5 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      });

      test('dbsf fusion sums per-source normalised scores', async () => {
        const hits = await store().search({
          dense: [{ space: 'image', vector: queries[2] }, { space: 'text', vector: randomVector(rand, CONTRACT_DIMENSIONS.text) }],
          limit: 10,
          fusion: 'dbsf',
          exact: true,
        });
        expect(hits).toHaveLength(10);
        for (const h of hits) {
          expect(h.score).toBeGreaterThanOrEqual(0);
          expect(h.score).toBeLessThanOrEqual(h.parts.length);
        }
        for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
      });
    });

    describe('filters', () => {
      const rand = seededRandom(3);
      const products = catalogue();
      const store = useStore((s) => s.upsert(products.map((p) => aStoredProduct(p, rand))));
      const q = randomVector(seededRandom(11), CONTRACT_DIMENSIONS.image);

      test.each(FILTER_CASES)('%s', async (_name, filter, expected) => {
        expect(await store().count(filter)).toBe(expected.length);
        const page = await store().scroll({ limit: 50, filter });
        expect(sorted(page.items.map((i) => i.product.id))).toEqual(sorted(expected));
        if (expected.length > 0) {
          const hits = await store().search({ dense: [{ space: 'image', vector: q }], filter, limit: 20, exact: true });
          expect(sorted(ids(hits))).toEqual(sorted(expected));
          const approx = await store().search({ dense: [{ space: 'image', vector: q }], filter, limit: 20 });
          expect(sorted(ids(approx))).toEqual(sorted(expected));
        }
      });

      test('count without a filter counts everything', async () => {
        expect(await store().count()).toBe(products.length);
      });

      test('facets count values over the filtered products, most frequent first', async () => {
        const facets = await store().facets(['color', 'category', 'pattern'], { must: [m('inStock', true)] });
        expect(facets.map((f) => f.attribute)).toEqual(['color', 'category', 'pattern']);
        const [color, category, pattern] = facets;
        expect(Object.fromEntries(color.values.map((v) => [v.value, v.count]))).toEqual({ red: 2, white: 2, black: 2, brown: 1 });
        expect(color.values.map((v) => v.count)).toEqual([2, 2, 2, 1]);
        expect(category.values[0]).toEqual({ value: 'dress', count: 2 });
        expect(Object.fromEntries(category.values.map((v) => [v.value, v.count]))).toEqual({ dress: 2, shirt: 1, shoe: 1, bag: 1 });
        expect(pattern.values).toEqual([]);
      });

      test('facets respect limitPerAttribute and count everything without a filter', async () => {
        const [category] = await store().facets(['category'], undefined, 1);
        expect(category.values).toHaveLength(1);
        expect(category.values[0].count).toBe(2);
        const [material] = await store().facets(['material']);
        expect(material.values[0]).toEqual({ value: 'leather', count: 3 });
      });

      test('lexical search finds an exact brand', async () => {
        const hits = await store().search({ dense: [], lexical: { text: 'Crest' }, limit: 5 });
        expect(sorted(ids(hits))).toEqual(['a05', 'a06']);
        for (const h of hits) expect(h.parts).toEqual([expect.objectContaining({ source: 'lexical' })]);
      });

      test('lexical search finds a product code', async () => {
        const hits = await store().search({ dense: [], lexical: { text: 'QX-7731' }, limit: 5 });
        expect(hits[0].id).toBe('a04');
        expect(hits[0].parts[0]).toMatchObject({ source: 'lexical', rank: 1 });
      });

      test('lexical search ranks by relevance and honours the filter', async () => {
        const all = await store().search({ dense: [], lexical: { text: 'leather' }, limit: 10 });
        expect(sorted(ids(all))).toEqual(['a05', 'a06', 'a07']);
        for (let i = 1; i < all.length; i++) expect(all[i].score).toBeLessThanOrEqual(all[i - 1].score);
        const inStock = await store().search({ dense: [], lexical: { text: 'leather' }, filter: { must: [m('inStock', true)] }, limit: 10 });
        expect(sorted(ids(inStock))).toEqual(['a06', 'a07']);
      });

      test('dense + lexical fuse by RRF with score parts per source', async () => {
        const a04 = (await store().getVector('a04', 'image'))!;
        const hits = await store().search({ dense: [{ space: 'image', vector: a04 }], lexical: { text: 'QX-7731' }, limit: 5 });
        expect(hits[0].id).toBe('a04');
        expect(hits[0].parts).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ source: 'dense:image', rank: 1 }),
            expect.objectContaining({ source: 'lexical', rank: 1 }),
          ]),
        );
        expect(hits[0].score).toBeCloseTo(2 / 61, 10);
        for (const h of hits.slice(1)) {
          expect(h.parts).toEqual([expect.objectContaining({ source: 'dense:image' })]);
          expect(h.score).toBeCloseTo(1 / (60 + h.parts[0].rank), 10);
        }
      });
    });

    describe('colour profiles and picture categories', () => {
      const rand = seededRandom(37);
      const colours = {
        histogram: [{ name: 'navy', share: 0.7 }, { name: 'white', share: 0.3 }],
        dominant: 'navy',
        family: 'blue',
        confidence: 0.93,
        probabilities: [{ name: 'navy', probability: 0.93 }, { name: 'blue', probability: 0.07 }],
      };
      const pictureCategories = [{ name: 'dress', probability: 0.9 }, { name: 'coat', probability: 0.1 }];
      const store = useStore((s) => s.upsert([aStoredProduct(aProduct('cp-1', { colours, pictureCategories }), rand), aStoredProduct(aProduct('cp-2'), rand)]));

      test('are read back as written, with the picture\'s categories, and products without them have none', async () => {
        const [one, two] = await store().getProducts(['cp-1', 'cp-2']);
        expect(one?.colours).toEqual(colours);
        expect(one?.pictureCategories).toEqual(pictureCategories);
        expect(two?.colours).toBeUndefined();
        expect(two?.pictureCategories).toBeUndefined();
        const page = await store().scroll({ limit: 10 });
        expect(page.items.find((i) => i.product.id === 'cp-1')?.product.colours).toEqual(colours);
      });
    });

    describe('predicted attributes', () => {
      const rand = seededRandom(31);
      const pv = (value: string, confidence: number, filterable: boolean) => ({ value, confidence, filterable });
      const products = [
        aProduct('pa-1', { attributes: {}, predictedAttributes: { color: [pv('navy', 0.97, true), pv('blue', 0.02, false)], category: [pv('dress', 0.99, true)] } }),
        aProduct('pa-2', { attributes: { color: ['red'] }, predictedAttributes: { color: [pv('navy', 0.9, false)] } }),
        aProduct('pa-3', { attributes: {}, predictedAttributes: { color: [pv('navy', 0.6, false)] } }),
        aProduct('pa-4', { attributes: { color: ['navy'] } }),
        aProduct('pa-5', { attributes: {}, predictedAttributes: { color: [pv('white', 0.99, true)], 'fit type': [pv('slim', 0.95, true)] } }),
      ];
      const store = useStore((s) => s.upsert(products.map((p) => aStoredProduct(p, rand))));

      test('are stored apart from the merchant\'s attributes and read back as written', async () => {
        const [one, two, four] = await store().getProducts(['pa-1', 'pa-2', 'pa-4']);
        expect(one?.attributes).toEqual({});
        expect(one?.predictedAttributes).toEqual(products[0].predictedAttributes);
        expect(two?.predictedAttributes).toEqual(products[1].predictedAttributes);
        expect(four?.predictedAttributes).toBeUndefined();
        expect(await store().attributeNames()).toEqual(['color']);
      });

      test('filterable values answer filters on predicted:<name>, alone or beside the merchant\'s values', async () => {
        const navy = { must: [{ kind: 'match' as const, key: 'predicted:color', value: 'navy' }] };
        expect(sorted((await store().scroll({ limit: 10, filter: navy })).items.map((i) => i.product.id))).toEqual(['pa-1']);
        const either = { should: [{ kind: 'match' as const, key: 'color', value: 'navy' }, { kind: 'match' as const, key: 'predicted:color', value: 'navy' }] };
        expect(await store().count(either)).toBe(2);
        const spaced = { must: [{ kind: 'match' as const, key: 'predicted:fit type', value: 'slim' }] };
        expect(await store().count(spaced)).toBe(1);
        const hits = await store().search({ dense: [{ space: 'image', vector: randomVector(rand, CONTRACT_DIMENSIONS.image) }], filter: navy, limit: 5 });
        expect(ids(hits)).toEqual(['pa-1']);
      });

      test('facets count predicted:<name> values', async () => {
        const [facet] = await store().facets(['predicted:color']);
        expect(facet.values).toEqual([
          { value: 'navy', count: 1 },
          { value: 'white', count: 1 },
        ]);
      });
    });

    describe('lexical analysis', () => {
      const rand = seededRandom(13);
      const products = [
        aProduct('t1', { title: 'Canvas sneakers', description: 'Low-top sneakers with white soles. Style code TE00017-2.', brand: 'Acme' }),
        aProduct('t2', { title: 'Striped linen shirt', description: 'A relaxed shirt. Style code TE00017-3.', brand: 'Bolt' }),
        aProduct('t3', { title: 'Leather ankle boots', description: 'Checked lining. Style code QX-1001.', brand: 'Café Crème' }),
      ];
      const store = useStore((s) => s.upsert(products.map((p) => aStoredProduct(p, rand))));
      const lexical = async (text: string) => ids(await store().search({ dense: [], lexical: { text }, limit: 10 }));

      test('a singular finds the plural and a plural the participle (shared Porter2 analyzer)', async () => {
        expect(await lexical('sneaker')).toEqual(['t1']);
        expect(await lexical('stripes')).toEqual(['t2']);
        expect(await lexical('checks')).toEqual(['t3']);
        expect(await lexical('boot')).toEqual(['t3']);
      });

      test('accents are folded and stop words match nothing', async () => {
        expect(await lexical('cafe creme')).toEqual(['t3']);
        expect(await lexical('with the')).toEqual([]);
      });

      test('a product code is found as a phrase, not by its shared prefix', async () => {
        expect(await lexical('TE00017-2')).toEqual(['t1']);
        expect(await lexical('te00017-3')).toEqual(['t2']);
      });
    });

    describe('space record', () => {
      const store = useStore();

      test('a new store has none; a record reads back as written and a later one replaces it', async () => {
        expect(await store().spaceRecord()).toBeNull();
        const first = { key: 'space@1 image=img@1 text=txt@1', models: [{ role: 'image', name: 'img', version: '1', sha256: 'ab'.repeat(32) }, { role: 'text', name: 'txt', version: '1', sha256: null }], recordedAt: '2026-12-01T00:00:00.000Z' };
        await store().recordSpace(first);
        expect(await store().spaceRecord()).toEqual(first);
        const second = { ...first, key: 'space@1 image=img@2 text=txt@1', recordedAt: '2026-12-02T00:00:00.000Z' };
        await store().recordSpace(second);
        expect(await store().spaceRecord()).toEqual(second);
      });
    });

    describe('lexical search follows writes', () => {
      const rand = seededRandom(17);
      const store = useStore();
      const lexical = async (text: string, filter?: Filter) => ids(await store().search({ dense: [], lexical: { text }, filter, limit: 10 }));

      test('an update is found by its new words only, a delete by none, and a filter applies to the current attributes', async () => {
        await store().upsert([
          aStoredProduct(aProduct('w1', { title: 'Velvet blazer', description: 'A cropped blazer.', attributes: { color: ['green'] } }), rand),
          aStoredProduct(aProduct('w2', { title: 'Corduroy trousers', description: 'Wide legs.', attributes: { color: ['brown'] } }), rand),
          aStoredProduct(aProduct('w3', { title: 'Velvet slippers', description: 'House shoes.', attributes: { color: ['green'] } }), rand),
        ]);
        expect(sorted(await lexical('velvet'))).toEqual(['w1', 'w3']);
        await store().upsert([aStoredProduct(aProduct('w1', { title: 'Tweed blazer', description: 'A cropped blazer.', attributes: { color: ['grey'] } }), rand)]);
        expect(await lexical('velvet')).toEqual(['w3']);
        expect(await lexical('tweed')).toEqual(['w1']);
        expect(await lexical('blazer', { must: [m('color', 'green')] })).toEqual([]);
        expect(await lexical('blazer', { must: [m('color', 'grey')] })).toEqual(['w1']);
        expect(await store().delete(['w3'])).toBe(1);
        expect(await lexical('velvet')).toEqual([]);
        expect(await lexical('slippers')).toEqual([]);
        expect(await store().count({ must: [m('color', 'green')] })).toBe(0);
        const [color] = await store().facets(['color']);
        expect(color.values).toEqual([
          { value: 'brown', count: 1 },
          { value: 'grey', count: 1 },
        ]);
      });
    });

    describe('attribute names and catalogue version', () => {
      const rand = seededRandom(11);
      const store = useStore();

      test('an empty store carries no attribute names', async () => {
        expect(await store().attributeNames()).toEqual([]);
      });

      test('attribute names are those the stored products carry, sorted, including names added later', async () => {
        await store().upsert([
          aStoredProduct(aProduct('n1', { attributes: { color: ['red'], size: ['M'] } }), rand),
          aStoredProduct(aProduct('n2', { attributes: { color: ['blue'], fabricWeight: ['heavy'] } }), rand),
        ]);
        expect(await store().attributeNames()).toEqual(['color', 'fabricWeight', 'size']);
        await store().delete(['n2']);
        expect(await store().attributeNames()).toEqual(['color', 'size']);
        await store().upsert([aStoredProduct(aProduct('n1', { attributes: { color: ['red'] } }), rand)]);
        expect(await store().attributeNames()).toEqual(['color']);
      });

      test('the catalogue version, when the store has one, changes with every write and only then', async () => {
        const v0 = await store().catalogVersion();
        if (v0 === null) return;
        expect(typeof v0).toBe('string');
        await store().search({ dense: [{ space: 'image', vector: randomVector(rand, CONTRACT_DIMENSIONS.image) }], limit: 3 });
        await store().count();
        expect(await store().catalogVersion()).toBe(v0);
        await store().upsert([aStoredProduct(aProduct('n3'), rand)]);
        const v1 = await store().catalogVersion();
        expect(v1).not.toBe(v0);
        expect(await store().delete(['n3'])).toBe(1);
        const v2 = await store().catalogVersion();
        expect([v0, v1]).not.toContain(v2);
      });
    });

    describe('scroll', () => {
      const rand = seededRandom(5);
      const items = Array.from({ length: 23 }, (_, i) => aStoredProduct(aProduct(`s${String(i).padStart(2, '0')}`, { inStock: i % 3 === 0 }), rand));
      const store = useStore((s) => s.upsert(items));

      async function scrollAll(options: { limit: number; withVectors?: boolean; filter?: Filter }) {
        const seen: StoredProduct[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page = await store().scroll({ ...options, after });
          expect(page.items.length).toBeLessThanOrEqual(options.limit);
          seen.push(...page.items);
          after = page.next;
          pages++;
          expect(pages).toBeLessThan(100);
        } while (after !== null);
        return seen;
      }

      test('pages through every product once, without vectors', async () => {
        const seen = await scrollAll({ limit: 5 });
        const seenIds = seen.map((s) => s.product.id);
        expect(new Set(seenIds).size).toBe(seenIds.length);
        expect(sorted(seenIds)).toEqual(sorted(items.map((i) => i.product.id)));
        for (const s of seen) expect(s.vectors.image ?? s.vectors.text).toBeUndefined();
      });

      test('pages with vectors', async () => {
        const seen = await scrollAll({ limit: 7, withVectors: true });
        expect(seen).toHaveLength(items.length);
        const byId = new Map(items.map((i) => [i.product.id, i]));
        for (const s of seen) {
          expect(s.product).toEqual(byId.get(s.product.id)!.product);
          expect(cosine(s.vectors.image!, byId.get(s.product.id)!.vectors.image!)).toBeCloseTo(1, 5);
          expect(cosine(s.vectors.text!, byId.get(s.product.id)!.vectors.text!)).toBeCloseTo(1, 5);
        }
      });

      test('pages through a filtered subset', async () => {
        const seen = await scrollAll({ limit: 2, filter: { must: [m('inStock', true)] } });
        expect(sorted(seen.map((s) => s.product.id))).toEqual(sorted(items.filter((i) => i.product.inStock).map((i) => i.product.id)));
      });

      test('a page of exactly the remaining items ends the scroll', async () => {
        const first = await store().scroll({ limit: items.length });
        expect(first.items).toHaveLength(items.length);
        expect(first.next).toBeNull();
      });
    });
  });
}
