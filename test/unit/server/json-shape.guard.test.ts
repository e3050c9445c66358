import { checkJsonShape } from '../../../src/server/json-shape.guard';

/** `{ not: { not: ... { text: "x" } } }` nested `n` levels. */
function nestedNot(n: number): unknown {
  let v: unknown = { text: 'x' };
  for (let i = 0; i < n; i++) v = { not: v };
  return v;
}

const limits = { maxDepth: 4, maxValues: 10 };

describe('checkJsonShape', () => {
  it.each<[string, 'depth' | 'values' | null, unknown]>([
    ['a scalar', null, 'text'],
    ['null', null, null],
    ['an empty object', null, {}],
    ['four levels of objects', null, { a: { b: { c: { d: 1 } } } }],
    ['five levels of objects', 'depth', { a: { b: { c: { d: { e: 1 } } } } }],
    ['five levels of arrays', 'depth', [[[[[1]]]]]],
    ['arrays and objects mixed, four levels', null, { a: [{ b: [1, 2] }] }],
    ['exactly ten values', null, { a: [1, 2, 3, 4, 5, 6, 7, 8] }],
    ['eleven values', 'values', { a: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
    ['eleven values in keys of one object', 'values', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]))],
  ])('%s -> %s', (_name, expected, value) => {
    expect(checkJsonShape(value, limits)?.limit ?? null).toBe(expected);
  });

  it('refuses 20,000 nested filters without overflowing the stack, and says what to do', () => {
    const problem = checkJsonShape({ input: { filter: nestedNot(20_000) } }, { maxDepth: 32, maxValues: 100_000 });
    expect(problem).toEqual({ limit: 'depth', maximum: 32, message: expect.stringMatching(/^variables nest deeper than 32 levels: flatten/) });
  });

  it('refuses a huge flat list by counting, before walking it', () => {
    const problem = checkJsonShape({ ids: new Array(1_000_000).fill('p') }, { maxDepth: 32, maxValues: 50_000 }, 'extensions');
    expect(problem).toMatchObject({ limit: 'values', maximum: 50_000, message: expect.stringMatching(/^extensions hold more than 50000 values/) });
  });

  it('accepts realistic variables: a filter eight levels deep and 256 products', () => {
    const products = Array.from({ length: 256 }, (_, i) => ({ id: `p${i}`, title: 't', attributes: [{ name: 'color', values: ['red'] }], image: { url: 'https://x/y.png' } }));
    expect(checkJsonShape({ input: { filter: nestedNot(8) }, products }, { maxDepth: 32, maxValues: 50_000 })).toBeNull();
  });
});
