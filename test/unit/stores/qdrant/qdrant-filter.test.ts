import type { Filter } from '../../../../src/domain/filter';
import { productPointId } from '../../../../src/stores/qdrant/point-id';
import { payloadKey, toQdrantFilter } from '../../../../src/stores/qdrant/qdrant-filter';
import { qdrantOpenApi } from './support/qdrant-openapi';

const A = productPointId('a');
const B = productPointId('b');

const table: [string, Filter | undefined, unknown][] = [
  ['no filter', undefined, undefined],
  ['an empty filter', {}, undefined],
  ['empty condition lists', { must: [], should: [], mustNot: [] }, undefined],
  ['match on an attribute', { must: [{ kind: 'match', key: 'color', value: 'red' }] }, { must: [{ key: 'attributes.color', match: { value: 'red' } }] }],
  ['match on stock', { must: [{ kind: 'match', key: 'inStock', value: true }] }, { must: [{ key: 'in_stock', match: { value: true } }] }],
  [
    'match any (duplicates dropped)',
    { must: [{ kind: 'matchAny', key: 'category', any: ['dress', 'shirt', 'dress'] }] },
    { must: [{ key: 'attributes.category', match: { any: ['dress', 'shirt'] } }] },
  ],
  [
    'match except',
    { must: [{ kind: 'matchExcept', key: 'material', except: ['wool'] }] },
    { must: [{ key: 'attributes.material', match: { except: ['wool'] } }] },
  ],
  [
    'range on price',
    { must: [{ kind: 'range', key: 'price', gte: 10, lt: 50 }] },
    { must: [{ key: 'price', range: { gte: 10, lt: 50 } }] },
  ],
  [
    'range with every bound',
    { must: [{ kind: 'range', key: 'price', gt: 1, gte: 2, lt: 9, lte: 8 }] },
    { must: [{ key: 'price', range: { gt: 1, gte: 2, lt: 9, lte: 8 } }] },
  ],
  ['has id (product ids become point ids)', { must: [{ kind: 'hasId', ids: ['a', 'b', 'a'] }] }, { must: [{ has_id: [A, B] }] }],
  [
    'should and must not',
    { should: [{ kind: 'match', key: 'color', value: 'red' }, { kind: 'match', key: 'color', value: 'blue' }], mustNot: [{ kind: 'hasId', ids: ['a'] }] },
    { should: [{ key: 'attributes.color', match: { value: 'red' } }, { key: 'attributes.color', match: { value: 'blue' } }], must_not: [{ has_id: [A] }] },
  ],
  [
    'nested filters (AND of OR, NOT)',
    {
      must: [
        { kind: 'nested', filter: { should: [{ kind: 'match', key: 'color', value: 'red' }, { kind: 'range', key: 'price', lte: 20 }] } },
        { kind: 'nested', filter: { mustNot: [{ kind: 'match', key: 'brand', value: 'Acme' }] } },
      ],
    },
    {
      must: [
        { should: [{ key: 'attributes.color', match: { value: 'red' } }, { key: 'price', range: { lte: 20 } }] },
        { must_not: [{ key: 'attributes.brand', match: { value: 'Acme' } }] },
      ],
    },
  ],
  ['a nested empty filter matches everything', { mustNot: [{ kind: 'nested', filter: {} }] }, { must_not: [{}] }],
  [
    'product fields addressed directly',
    { must: [{ kind: 'match', key: 'styleId', value: 's1' }, { kind: 'match', key: 'split', value: 'test' }] },
    { must: [{ key: 'style_id', match: { value: 's1' } }, { key: 'split', match: { value: 'test' } }] },
  ],
];

describe('toQdrantFilter', () => {
  const api = qdrantOpenApi();

  it.each(table)('translates %s', (_name, filter, expected) => {
    const out = toQdrantFilter(filter);
    expect(out).toEqual(expected);
    if (out !== undefined) expect(api.checkSchema('Filter', out)).toEqual([]);
  });

  it('rejects a non-finite range bound', () => {
    expect(() => toQdrantFilter({ must: [{ kind: 'range', key: 'price', lt: Number.NaN }] })).toThrow(/finite number/);
  });

  it.each([
    ['an unknown condition kind', { must: [{ kind: 'near', key: 'x' }] }, /unknown filter condition/],
    ['a matchAny that is not a list', { must: [{ kind: 'matchAny', key: 'color', any: 'red' }] }, /matchAny on color must be a list of strings/],
    ['a matchExcept of numbers', { must: [{ kind: 'matchExcept', key: 'size', except: [1] }] }, /matchExcept on size must be a list of strings/],
    ['a match without value', { must: [{ kind: 'match', key: 'color' }] }, /needs a string or boolean value/],
    ['a condition without key', { must: [{ kind: 'match', value: 'red' }] }, /needs a string key/],
    ['a range bound that is a string', { must: [{ kind: 'range', key: 'price', lt: '5' }] }, /must be a finite number/],
    ['hasId of numbers', { must: [{ kind: 'hasId', ids: [1] }] }, /hasId must be a list of strings/],
    ['a clause that is not a list', { must: { kind: 'match', key: 'color', value: 'red' } }, /filter.must must be a list/],
  ])('rejects %s', (_name, filter, message) => {
    expect(() => toQdrantFilter(filter as never)).toThrow(message);
  });
});

describe('payloadKey', () => {
  it.each([
    ['price', 'price'],
    ['inStock', 'in_stock'],
    ['color', 'attributes.color'],
    ['colorFamily', 'attributes.colorFamily'],
    ['neck.style', 'attributes."neck.style"'],
    ['sleeve length', 'attributes."sleeve length"'],
  ])('maps %s to %s', (key, path) => {
    expect(payloadKey(key)).toBe(path);
  });

  it.each(['', 'a"b', 'a\\b'])('rejects %j', (key) => {
    expect(() => payloadKey(key)).toThrow();
  });
});
