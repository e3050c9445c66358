import type { Condition, Filter } from '../../../src/domain/filter';
import type { Product } from '../../../src/domain/product';
import { AttributeIndex } from '../../../src/stores/embedded/attribute-index';
import { matchesFilter, validateFilter } from '../../../src/domain/filter-evaluator';

const product = (id: string, attributes: Record<string, string[]>, extra: Partial<Product> = {}): Product => ({
  id,
  title: id,
  description: '',
  brand: 'Acme',
  price: 10,
  currency: 'EUR',
  inStock: true,
  imageUrl: '',
  attributes,
  ...extra,
});

const P = {
  red: product('red', { color: ['red'], size: ['S'] }, { price: 10 }),
  multi: product('multi', { color: ['red', 'blue'] }, { price: 20, inStock: false }),
  empty: product('empty', { color: [] }, { price: 30, brand: 'Bolt', styleId: 'st-1', split: 'test' }),
  none: product('none', {}, { price: 40 }),
};
const m = (key: string, value: string | boolean): Condition => ({ kind: 'match', key, value });

/** [name, filter, ids matching among P]. */
const CASES: [string, Filter | undefined, string[]][] = [
  ['undefined filter', undefined, ['red', 'multi', 'empty', 'none']],
  ['empty filter', {}, ['red', 'multi', 'empty', 'none']],
  ['all clauses empty', { must: [], should: [], mustNot: [] }, ['red', 'multi', 'empty', 'none']],
  ['match one of several values', { must: [m('color', 'blue')] }, ['multi']],
  ['match on a missing key', { must: [m('size', 'S')] }, ['red']],
  ['match is case sensitive', { must: [m('color', 'Red')] }, []],
  ['boolean match applies to inStock only', { must: [m('inStock', false)] }, ['multi']],
  ['boolean match on another key matches nothing', { must: [m('color', true)] }, []],
  ['string match on inStock matches nothing', { must: [m('inStock', 'true')] }, []],
  ['matchAny', { must: [{ kind: 'matchAny', key: 'color', any: ['blue', 'green'] }] }, ['multi']],
  ['matchAny empty list', { must: [{ kind: 'matchAny', key: 'color', any: [] }] }, []],
  ['except: a value outside the list', { must: [{ kind: 'matchExcept', key: 'color', except: ['red'] }] }, ['multi']],
  ['except: empty list, key present with values', { must: [{ kind: 'matchExcept', key: 'color', except: [] }] }, ['red', 'multi']],
  ['except: missing key never matches', { must: [{ kind: 'matchExcept', key: 'size', except: ['M'] }] }, ['red']],
  ['range', { must: [{ kind: 'range', key: 'price', gt: 10, lte: 30 }] }, ['multi', 'empty']],
  ['range without bounds matches every price', { must: [{ kind: 'range', key: 'price' }] }, ['red', 'multi', 'empty', 'none']],
  ['range on a keyword key', { must: [{ kind: 'range', key: 'color', gte: 0 }] }, []],
  ['hasId', { must: [{ kind: 'hasId', ids: ['none', 'ghost'] }] }, ['none']],
  ['hasId with no ids', { must: [{ kind: 'hasId', ids: [] }] }, []],
  ['fallback brand field', { must: [m('brand', 'Bolt')] }, ['empty']],
  ['fallback styleId and split fields', { must: [m('styleId', 'st-1'), m('split', 'test')] }, ['empty']],
  ['attributes override the fallback', { must: [m('brand', 'Acme')] }, ['red', 'multi', 'none']],
  ['empty should is ignored', { should: [], must: [m('color', 'red')] }, ['red', 'multi']],
  ['should with one failing and one holding', { should: [m('color', 'green'), m('size', 'S')] }, ['red']],
  ['should where nothing holds', { should: [m('color', 'green')] }, []],
  ['mustNot on a missing key keeps the product', { mustNot: [m('size', 'S')] }, ['multi', 'empty', 'none']],
  ['mustNot with several conditions excludes any', { mustNot: [m('size', 'S'), m('inStock', false)] }, ['empty', 'none']],
  ['nested not', { mustNot: [{ kind: 'nested', filter: { must: [m('color', 'red')] } }] }, ['empty', 'none']],
  ['nested not not', { mustNot: [{ kind: 'nested', filter: { mustNot: [m('color', 'red')] } }] }, ['red', 'multi']],
  ['nested empty filter', { must: [{ kind: 'nested', filter: {} }] }, ['red', 'multi', 'empty', 'none']],
  ['mustNot nested empty filter excludes everything', { mustNot: [{ kind: 'nested', filter: {} }] }, []],
  ['should of nested ands', { should: [{ kind: 'nested', filter: { must: [m('color', 'red'), m('inStock', true)] } }, { kind: 'nested', filter: { must: [{ kind: 'range', key: 'price', gte: 40 }] } }] }, ['red', 'none']],
];

function indexOf(products: Product[]): { index: AttributeIndex; slots: Map<string, number> } {
  const slots = new Map<string, number>();
  const index = new AttributeIndex((id) => slots.get(id));
  products.forEach((p, i) => {
    slots.set(p.id, i * 3);
    index.set(i * 3, p);
  });
  return { index, slots };
}

describe('filter semantics', () => {
  const all = Object.values(P);
  const { index, slots } = indexOf(all);
  const byId = (ids: number[]) => all.filter((p) => ids.includes(slots.get(p.id)!)).map((p) => p.id);

  test.each(CASES)('%s (predicate)', (_n, filter, expected) => {
    expect(all.filter((p) => matchesFilter(p, filter)).map((p) => p.id)).toEqual(expected);
  });

  test.each(CASES)('%s (attribute index)', (_n, filter, expected) => {
    expect(byId(index.evaluate(filter).toArray())).toEqual(expected);
  });
});

describe('attribute index agrees with the predicate on random filters and updates', () => {
  function rng(seed: number) {
    let s = seed;
    return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  }
  const rand = rng(42);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const colors = ['red', 'blue', 'green', 'black'];
  const sizes = ['S', 'M', 'L'];

  function randomProduct(id: string): Product {
    const attributes: Record<string, string[]> = {};
    if (rand() < 0.8) attributes.color = colors.filter(() => rand() < 0.4);
    if (rand() < 0.6) attributes.size = [pick(sizes)];
    return product(id, attributes, { price: Math.floor(rand() * 100), inStock: rand() < 0.5 });
  }

  function randomCondition(depth: number): Condition {
    const r = rand();
    if (r < 0.2) return m(pick(['color', 'size', 'fit']), pick([...colors, ...sizes]));
    if (r < 0.3) return m('inStock', rand() < 0.5);
    if (r < 0.45) return { kind: 'matchAny', key: pick(['color', 'size']), any: colors.filter(() => rand() < 0.5) };
    if (r < 0.6) return { kind: 'matchExcept', key: pick(['color', 'size']), except: [...colors, ...sizes].filter(() => rand() < 0.5) };
    if (r < 0.75) return { kind: 'range', key: 'price', gte: Math.floor(rand() * 50), lt: 50 + Math.floor(rand() * 50) };
    if (r < 0.85) return { kind: 'hasId', ids: [`p${Math.floor(rand() * 40)}`, `p${Math.floor(rand() * 40)}`] };
    return depth > 2 ? m('color', 'red') : { kind: 'nested', filter: randomFilter(depth + 1) };
  }

  function randomFilter(depth = 0): Filter {
    const list = () => Array.from({ length: Math.floor(rand() * 3) }, () => randomCondition(depth));
    return { must: list(), should: list(), mustNot: list() };
  }

  test('300 random filters over a catalogue with replacements and deletions', () => {
    const products = new Map<string, Product>();
    const slots = new Map<string, number>();
    const index = new AttributeIndex((id) => slots.get(id));
    let nextSlot = 0;
    for (let i = 0; i < 40; i++) {
      const p = randomProduct(`p${i}`);
      products.set(p.id, p);
      slots.set(p.id, nextSlot);
      index.set(nextSlot++, p);
    }
    for (let i = 0; i < 10; i++) {
      const id = `p${i * 3}`;
      const p = randomProduct(id);
      products.set(id, p);
      index.set(slots.get(id)!, p);
    }
    for (const id of ['p1', 'p7', 'p20']) {
      index.remove(slots.get(id)!);
      slots.delete(id);
      products.delete(id);
    }
    expect(index.size).toBe(products.size);
    for (let i = 0; i < 300; i++) {
      const f = randomFilter();
      const expected = [...products.values()].filter((p) => matchesFilter(p, f)).map((p) => slots.get(p.id)!).sort((a, b) => a - b);
      expect(index.evaluate(f).toArray()).toEqual(expected);
    }
  });
});

describe('facet counts', () => {
  test('count each value once per product, most frequent first, ties by value', () => {
    const { index } = indexOf([
      product('a', { color: ['red', 'red', 'blue'] }),
      product('b', { color: ['blue'] }),
      product('c', { color: ['green'] }, { inStock: false }),
    ]);
    const all = index.evaluate(undefined);
    expect(index.facet('color', all, all.count(), 10)).toEqual([
      { value: 'blue', count: 2 },
      { value: 'green', count: 1 },
      { value: 'red', count: 1 },
    ]);
    const inStock = index.evaluate({ must: [m('inStock', true)] });
    expect(index.facet('color', inStock, inStock.count(), 1)).toEqual([{ value: 'blue', count: 2 }]);
    expect(index.facet('pattern', all, all.count(), 10)).toEqual([]);
  });
});

describe('filter validation', () => {
  test.each([
    ['not an object', 'red', /filter must be an object/],
    ['clause not a list', { must: {} }, /filter\.must must be a list/],
    ['unknown kind', { must: [{ kind: 'regex', key: 'a' }] }, /filter\.must\[0\]\.kind must be one of/],
    ['missing key', { should: [{ kind: 'match', value: 'x' }] }, /filter\.should\[0\]\.key/],
    ['bad value', { must: [{ kind: 'match', key: 'a', value: 3 }] }, /value must be a string or a boolean/],
    ['bad any', { must: [{ kind: 'matchAny', key: 'a', any: 'x' }] }, /any must be a list of strings/],
    ['non-finite range', { must: [{ kind: 'range', key: 'price', gte: Number.NaN }] }, /gte must be a finite number/],
    ['bad nested', { mustNot: [{ kind: 'nested', filter: { must: [{ kind: 'hasId', ids: [1] }] } }] }, /filter\.mustNot\[0\]\.filter\.must\[0\]\.ids/],
  ])('%s', (_n, filter, message) => {
    expect(() => validateFilter(filter)).toThrow(message);
  });

  test('well-formed filters pass', () => {
    for (const [, f] of CASES) expect(() => validateFilter(f)).not.toThrow();
  });
});

describe('counts and facets from cached filter bitsets', () => {
  const rand = ((s: number) => () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff))(7);
  const colors = Array.from({ length: 40 }, (_, i) => `c${i}`);
  const randomProduct = (id: string) =>
    product(id, { color: colors.filter(() => rand() < 0.05), size: [['S', 'M', 'L'][Math.floor(rand() * 3)]] }, { price: Math.floor(rand() * 100), inStock: rand() < 0.5 });
  const expectedFacet = (products: Product[], key: string, filter: Filter | undefined) => {
    const tally = new Map<string, number>();
    for (const p of products) if (matchesFilter(p, filter)) for (const v of new Set(p.attributes[key] ?? [])) tally.set(v, (tally.get(v) ?? 0) + 1);
    return [...tally].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  };
  const filters: (Filter | undefined)[] = [
    undefined,
    { must: [m('inStock', true)] },
    { must: [m('inStock', false)] },
    { must: [{ kind: 'range', key: 'price', gte: 10, lt: 12 }] },
    { must: [m('color', 'c3')], mustNot: [m('size', 'S')] },
    { should: [m('size', 'M'), { kind: 'range', key: 'price', lt: 50 }] },
    // So few products that their own values are tallied rather than one AND per value.
    { must: [{ kind: 'hasId', ids: ['p1', 'p1500', 'p2999', 'p3100'] }] },
  ];

  test('equal the predicate over every product matching the filter, also after writes empty the cache', () => {
    const products = new Map<string, Product>();
    const slots = new Map<string, number>();
    const index = new AttributeIndex((id) => slots.get(id));
    for (let i = 0; i < 3000; i++) {
      const p = randomProduct(`p${i}`);
      products.set(p.id, p);
      slots.set(p.id, i);
      index.set(i, p);
    }
    for (let round = 0; round < 4; round++) {
      for (const filter of filters) {
        const all = [...products.values()];
        expect(index.count(filter)).toBe(all.filter((p) => matchesFilter(p, filter)).length);
        for (const key of ['color', 'size', 'material']) {
          const expected = expectedFacet(all, key, filter);
          expect(index.facetCounts(key, filter, 100)).toEqual(expected);
          // The second read comes from the cache and is a copy the caller may change.
          const again = index.facetCounts(key, filter, 5);
          expect(again).toEqual(expected.slice(0, 5));
          if (again[0]) again[0].count = -1;
          expect(index.facetCounts(key, filter, 5)).toEqual(expected.slice(0, 5));
        }
        // The cached bitset is shared; evaluate hands out a copy.
        const copy = index.evaluate(filter);
        copy.delete(0);
        copy.delete(1);
        expect(index.count(filter)).toBe(all.filter((p) => matchesFilter(p, filter)).length);
      }
      for (let i = 0; i < 200; i++) {
        const id = `p${Math.floor(rand() * 3200)}`;
        if (rand() < 0.3 && slots.has(id)) {
          index.remove(slots.get(id)!);
          products.delete(id);
          slots.delete(id);
        } else {
          const p = randomProduct(id);
          if (!slots.has(id)) slots.set(id, 3000 + i + round * 200);
          products.set(id, p);
          index.set(slots.get(id)!, p);
        }
      }
    }
  });
});
