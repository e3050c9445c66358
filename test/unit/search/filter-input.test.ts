import { InvalidInputError } from '../../../src/domain/errors';
import type { Filter } from '../../../src/domain/filter';
import { listKnownAttributes, MAX_FILTER_DEPTH, MAX_LISTED_ATTRIBUTES, toDomainFilter } from '../../../src/search/filter-input';
import type { FilterInput } from '../../../src/search/search.types';
import { matches } from '../fakes/memory.store';
import { product } from '../fakes/catalog-builder';

const options = { knownAttributes: new Set(['color', 'category', 'material']) };

describe('toDomainFilter', () => {
  const cases: [string, FilterInput | null | undefined, Filter | undefined][] = [
    ['absent', undefined, undefined],
    ['null', null, undefined],
    ['empty object', {}, undefined],
    ['single anyOf value becomes match', { attributes: [{ attribute: 'color', anyOf: ['red'] }] }, { must: [{ kind: 'match', key: 'color', value: 'red' }] }],
    [
      'several anyOf values become matchAny',
      { attributes: [{ attribute: 'color', anyOf: ['red', 'navy', 'red'] }] },
      { must: [{ kind: 'matchAny', key: 'color', any: ['red', 'navy'] }] },
    ],
    ['noneOf goes to mustNot', { attributes: [{ attribute: 'material', noneOf: ['leather'] }] }, { mustNot: [{ kind: 'matchAny', key: 'material', any: ['leather'] }] }],
    [
      'anyOf and noneOf together',
      { attributes: [{ attribute: 'color', anyOf: ['red'], noneOf: ['navy'] }] },
      { must: [{ kind: 'match', key: 'color', value: 'red' }], mustNot: [{ kind: 'matchAny', key: 'color', any: ['navy'] }] },
    ],
    ['price min and max', { price: { min: 10, max: 20 } }, { must: [{ kind: 'range', key: 'price', gte: 10, lte: 20 }] }],
    ['price max only', { price: { max: 20 } }, { must: [{ kind: 'range', key: 'price', lte: 20 }] }],
    ['inStock false', { inStock: false }, { must: [{ kind: 'match', key: 'inStock', value: false }] }],
    [
      'and nests',
      { and: [{ inStock: true }, { price: { min: 5 } }] },
      {
        must: [
          { kind: 'nested', filter: { must: [{ kind: 'match', key: 'inStock', value: true }] } },
          { kind: 'nested', filter: { must: [{ kind: 'range', key: 'price', gte: 5 }] } },
        ],
      },
    ],
    [
      'or becomes nested should',
      { or: [{ attributes: [{ attribute: 'color', anyOf: ['red'] }] }, { inStock: false }] },
      {
        must: [
          {
            kind: 'nested',
            filter: {
              should: [
                { kind: 'nested', filter: { must: [{ kind: 'match', key: 'color', value: 'red' }] } },
                { kind: 'nested', filter: { must: [{ kind: 'match', key: 'inStock', value: false }] } },
              ],
            },
          },
        ],
      },
    ],
    ['or with an empty branch matches everything', { or: [{}, { inStock: false }] }, undefined],
    ['not goes to mustNot nested', { not: { inStock: true } }, { mustNot: [{ kind: 'nested', filter: { must: [{ kind: 'match', key: 'inStock', value: true }] } }] }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(toDomainFilter(input, options)).toEqual(expected);
  });

  const errors: [string, FilterInput, RegExp][] = [
    ['unknown attribute', { attributes: [{ attribute: 'colour', anyOf: ['red'] }] }, /unknown attribute "colour".*known attributes: category, color, material/],
    ['neither anyOf nor noneOf', { attributes: [{ attribute: 'color' }] }, /give anyOf and\/or noneOf/],
    ['empty anyOf', { attributes: [{ attribute: 'color', anyOf: [] }] }, /anyOf must list at least one/],
    ['blank value', { attributes: [{ attribute: 'color', anyOf: [' '] }] }, /anyOf must list at least one non-empty/],
    ['min above max', { price: { min: 30, max: 10 } }, /min \(30\) is greater than max \(10\)/],
    ['empty price', { price: {} }, /price: give min and\/or max/],
    ['infinite price', { price: { min: Infinity } }, /finite number/],
    ['empty or', { or: [] }, /or needs at least one filter/],
    ['empty and', { and: [] }, /and needs at least one filter/],
    ['not of empty', { not: {} }, /NOT of it matches nothing/],
    ['error path names nesting', { and: [{ or: [{ attributes: [{ attribute: 'x', anyOf: ['y'] }] }] }] }, /filter\.and\[0\]\.or\[0\]\.attributes\[0\]/],
  ];
  it.each(errors)('rejects %s', (_name, input, message) => {
    expect(() => toDomainFilter(input, options)).toThrow(InvalidInputError);
    expect(() => toDomainFilter(input, options)).toThrow(message);
  });

  it('lists a large vocabulary only in part in an unknown-attribute error', () => {
    const known = new Set(Array.from({ length: 10_000 }, (_, i) => `attr${String(i).padStart(5, '0')}`));
    let message = '';
    try {
      toDomainFilter({ attributes: [{ attribute: 'nope', anyOf: ['x'] }] }, { knownAttributes: known });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/unknown attribute "nope"; known attributes: attr00000, attr00001, .*attr00029 \(and 9970 more\)$/);
    expect(message.length).toBeLessThan(500);
    expect(listKnownAttributes(['b', 'a'])).toBe('a, b');
    expect(listKnownAttributes(Array.from({ length: MAX_LISTED_ATTRIBUTES }, (_, i) => `n${i}`))).not.toMatch(/more/);
  });

  it('rejects filters nested too deeply', () => {
    let f: FilterInput = { inStock: true };
    for (let i = 0; i <= MAX_FILTER_DEPTH; i++) f = { not: f };
    expect(() => toDomainFilter(f, options)).toThrow(/nest at most/);
  });

  it('evaluates like the API describes (AND of fields, OR, NOT)', () => {
    const red = product({ id: 'a', price: 15, inStock: true, attributes: { color: ['red'], material: ['denim'] } });
    const navy = product({ id: 'b', price: 40, inStock: false, attributes: { color: ['navy'], material: ['leather'] } });
    const plain = product({ id: 'c', price: 25, inStock: true, attributes: {} });
    const all = [red, navy, plain];
    const run = (input: FilterInput) => all.filter((p) => matches(p, toDomainFilter(input, options))).map((p) => p.id);
    expect(run({ attributes: [{ attribute: 'color', anyOf: ['red', 'navy'] }], inStock: true })).toEqual(['a']);
    expect(run({ attributes: [{ attribute: 'material', noneOf: ['leather'] }] })).toEqual(['a', 'c']);
    expect(run({ or: [{ price: { max: 20 } }, { inStock: false }] })).toEqual(['a', 'b']);
    expect(run({ not: { attributes: [{ attribute: 'color', anyOf: ['red'] }] } })).toEqual(['b', 'c']);
    expect(run({ price: { min: 15, max: 25 } })).toEqual(['a', 'c']);
  });
});
