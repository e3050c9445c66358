import { areNeighbours, neighbours } from '../../../src/query/keyboard';

describe('QWERTY adjacency', () => {
  test.each([
    ['g', 'fhtyvb'],
    ['a', 'qwsz'],
    ['s', 'awedzx'],
    ['m', 'njk'],
    ['p', 'o0l'],
    ['q', '12wa'],
    ['n', 'bmhj'],
  ])('%s touches exactly %s', (key, expected) => {
    expect([...neighbours(key)].sort()).toEqual([...expected].sort());
  });

  test.each([
    ['a', 's', true],
    ['S', 'a', true],
    ['n', 'm', true],
    ['t', 'g', true],
    ['a', 'e', false],
    ['a', 'a', false],
    ['q', 'p', false],
    ['v', 'n', false],
    ['-', 'a', false],
  ])('areNeighbours(%s, %s) is %s', (a, b, expected) => {
    expect(areNeighbours(a, b)).toBe(expected);
  });

  test('adjacency is symmetric', () => {
    const keys = '1234567890qwertyuiopasdfghjklzxcvbnm';
    for (const a of keys) for (const b of keys) expect(areNeighbours(a, b)).toBe(areNeighbours(b, a));
  });
});
