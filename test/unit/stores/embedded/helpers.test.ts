import { Bitset } from '../../../../src/stores/embedded/bitset';
import { fromFtsColumn, MAX_QUERY_WORDS, toFtsDocument, toFtsQuery } from '../../../../src/stores/embedded/fts-query';
import { lexicalDocument } from '../../../../src/stores/bm25';
import { dbsfNormaliser, fuse } from '../../../../src/stores/embedded/fusion';
import { TopK } from '../../../../src/stores/embedded/top-k';

describe('Bitset', () => {
  test('set algebra across different lengths', () => {
    const a = Bitset.from([1, 5, 40, 100]);
    const b = Bitset.from([5, 100, 300]);
    expect(a.clone().and(b).toArray()).toEqual([5, 100]);
    expect(a.clone().or(b).toArray()).toEqual([1, 5, 40, 100, 300]);
    expect(a.clone().andNot(b).toArray()).toEqual([1, 40]);
    expect(b.clone().and(Bitset.from([5])).toArray()).toEqual([5]);
    expect(a.count()).toBe(4);
    expect(a.has(40) && !a.has(41) && !a.has(10_000)).toBe(true);
    a.delete(40);
    a.delete(99_999);
    expect(a.toArray()).toEqual([1, 5, 100]);
  });

  test('bit 31 and word boundaries', () => {
    const a = Bitset.from([0, 31, 32, 63, 64]);
    expect(a.toArray()).toEqual([0, 31, 32, 63, 64]);
    expect(a.count()).toBe(5);
  });
});

describe('TopK', () => {
  test('keeps the best k, best first, ties by slot', () => {
    const t = new TopK(3);
    [[1, 0.5], [2, 0.9], [3, 0.1], [4, 0.9], [5, 0.7], [6, 0.2]].forEach(([s, x]) => t.push(s, x));
    expect(t.result()).toEqual([
      { slot: 2, score: 0.9 },
      { slot: 4, score: 0.9 },
      { slot: 5, score: 0.7 },
    ]);
  });

  test('agrees with sorting on random input', () => {
    let seed = 9;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const xs = Array.from({ length: 500 }, (_, i) => ({ slot: i, score: Math.round(rand() * 50) / 50 }));
    const t = new TopK(17);
    xs.forEach((x) => t.push(x.slot, x.score));
    expect(t.result()).toEqual([...xs].sort((a, b) => b.score - a.score || a.slot - b.slot).slice(0, 17));
  });
});

describe('toFtsQuery', () => {
  test.each([
    ['red dress', '"red" OR "dress"'],
    ['Striped Sneakers', '"stripe" OR "sneaker"'],
    ['  SKU-1042 ', '"sku 1042"'],
    ['TE00017-2', '"te00017 2"'],
    ['say "hi"', '"say" OR "hi"'],
    ['dress AND NOT red*', '"dress" OR "not" OR "red"'],
    ['title:red NEAR(a b)', '"titl red" OR "near"'],
    ['red red reds', '"red"'],
    ['the and of', null],
    ['- , !', null],
    ['', null],
    ['ｄｒｅｓｓ Café', '"dress" OR "cafe"'],
  ])('%j', (text, expected) => {
    expect(toFtsQuery(text)).toBe(expected);
  });

  test('keeps at most MAX_QUERY_WORDS words', () => {
    const words = Array.from({ length: MAX_QUERY_WORDS + 5 }, (_, i) => `word${i}x`);
    expect(toFtsQuery(words.join(' '))!.split(' OR ')).toHaveLength(MAX_QUERY_WORDS);
  });
});

describe('toFtsDocument', () => {
  test('stores the analyzed words of title, description and brand, the terms of a word joined by a control character', () => {
    const document = lexicalDocument({ title: 'Striped Sneakers', description: 'Style code QX-7731, for the beach.', brand: 'Café Crème' });
    const columns = toFtsDocument(document);
    expect(columns).toEqual(['stripe sneaker', 'style code qx\u001f7731 beach', 'cafe creme']);
    expect(columns.map(fromFtsColumn)).toEqual(document);
    expect(fromFtsColumn('')).toEqual([]);
  });
});

describe('fuse', () => {
  const lists = [
    { source: 'dense:image' as const, hits: [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.8 }, { id: 'c', score: 0.1 }] },
    { source: 'lexical' as const, hits: [{ id: 'c', score: 12 }, { id: 'a', score: 3 }] },
  ];

  test('RRF sums 1 / (60 + rank) with parts per source', () => {
    const hits = fuse(lists, 'rrf', 10);
    expect(hits.map((h) => h.id)).toEqual(['a', 'c', 'b']);
    expect(hits[0].score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(hits[1].score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(hits[0].parts).toEqual([
      { source: 'dense:image', score: 0.9, rank: 1 },
      { source: 'lexical', score: 3, rank: 2 },
    ]);
    expect(fuse(lists, 'rrf', 1).map((h) => h.id)).toEqual(['a']);
  });

  test('DBSF normalises with mean +/- 3 std and clamps', () => {
    const n = dbsfNormaliser([1, 2, 3]);
    const std = Math.sqrt(2 / 3);
    expect(n(2)).toBeCloseTo(0.5, 12);
    expect(n(3)).toBeCloseTo((3 - (2 - 3 * std)) / (6 * std), 12);
    expect(n(100)).toBe(1);
    expect(n(-100)).toBe(0);
    expect(dbsfNormaliser([4, 4])(4)).toBe(0.5);
    const hits = fuse(lists, 'dbsf', 10);
    for (const h of hits) expect(h.score).toBeCloseTo(h.parts.reduce((s, p) => s + dbsfNormaliser(lists.find((l) => l.source === p.source)!.hits.map((x) => x.score))(p.score), 0), 12);
  });

  test('no lists, no hits', () => {
    expect(fuse([], 'rrf', 5)).toEqual([]);
  });
});
