import { analyze, analyzeWords } from '../../../../src/query/text-analyzer';
import { FIELD_WEIGHTS } from '../../../../src/stores/bm25';
import { DEFAULT_BM25, documentTerms as productTerms, queryTerms, termIndex } from '../../../../src/stores/qdrant/lexical-terms';

/** A product whose only text is its description (weight 1). */
const documentTerms = (text: string) => productTerms({ title: '', description: text, brand: '' });

describe('lexical terms', () => {
  it('indexes the terms of the shared text analyzer', () => {
    const text = 'Striped Sneakers, Café crème';
    const doc = documentTerms(text);
    expect(doc.indices).toEqual([...new Set(analyze(text).map(termIndex))].sort((x, y) => x - y));
    for (const term of ['stripe', 'sneaker', 'cafe', 'creme']) expect(doc.indices).toContain(termIndex(term));
    expect(analyzeWords('Style code QX-7731, off-the-shoulder top')).toEqual([['style'], ['code'], ['qx', '7731'], ['off', 'shoulder'], ['top']]);
  });

  it('finds a plural, a participle and an accented word from their other forms', () => {
    const doc = new Set(documentTerms('Striped canvas sneakers, café edition').indices);
    for (const query of ['sneaker', 'stripes', 'cafe']) {
      for (const index of queryTerms(query).indices) expect(doc.has(index)).toBe(true);
    }
  });

  it('indexes a word of several tokens also as one compound term, and queries it as that term only', () => {
    const doc = documentTerms('Style code QX-7731');
    for (const term of ['style', 'code', 'qx', '7731', 'qx 7731']) expect(doc.indices).toContain(termIndex(term));
    expect(doc.indices).toHaveLength(5);
    expect(queryTerms('QX-7731 dress').indices).toEqual([termIndex('qx 7731'), termIndex('dress')].sort((x, y) => x - y));
  });

  it('hashes terms to unsigned 32-bit indices with FNV-1a', () => {
    expect(termIndex('')).toBe(0x811c9dc5);
    expect(termIndex('a')).toBe(0xe40c292c);
    expect(termIndex('foobar')).toBe(0xbf9cf968);
    for (const t of ['dress', 'shirt', 'ÿ']) {
      const i = termIndex(t);
      expect(Number.isInteger(i) && i >= 0 && i < 2 ** 32).toBe(true);
    }
  });

  it('weighs document terms with BM25 term frequency and length normalisation', () => {
    const { k1, b, avgDocLength } = DEFAULT_BM25;
    const terms = documentTerms('dress dress shirt');
    const norm = 1 - b + (b * 3) / avgDocLength;
    const expected = new Map([
      [termIndex('dress'), (2 * (k1 + 1)) / (2 + k1 * norm)],
      [termIndex('shirt'), (1 * (k1 + 1)) / (1 + k1 * norm)],
    ]);
    expect(terms.indices).toEqual([...expected.keys()].sort((x, y) => x - y));
    terms.indices.forEach((index, i) => expect(terms.values[i]).toBeCloseTo(expected.get(index)!, 12));
  });

  it('gives a term in a short document more weight than in a long one', () => {
    const short = documentTerms('silk scarf');
    const long = documentTerms(`silk scarf ${'plain '.repeat(60)}`);
    const at = (t: { indices: number[]; values: number[] }) => t.values[t.indices.indexOf(termIndex('silk'))];
    expect(at(short)).toBeGreaterThan(at(long));
  });

  it('saturates repeated terms below k1 + 1', () => {
    const many = documentTerms('wool '.repeat(500));
    expect(many.values[0]).toBeLessThan(DEFAULT_BM25.k1 + 1);
    expect(many.values[0]).toBeGreaterThan(1);
  });

  it('queries with weight 1 per distinct term, sorted by index, empty for stop words only', () => {
    const q = queryTerms('blue blue jeans');
    expect(q.values).toEqual([1, 1]);
    expect(q.indices).toEqual([termIndex('blue'), termIndex('jean')].sort((x, y) => x - y));
    expect(queryTerms('the and of')).toEqual({ indices: [], values: [] });
  });

  it('weighs an occurrence by its field (the shared BM25 field weights) and normalises by the length over all fields', () => {
    const { k1, b, avgDocLength } = DEFAULT_BM25;
    const terms = productTerms({ title: 'Silk Tee', description: 'A soft silk tee', brand: 'Acme' });
    const norm = 1 - b + (b * 6) / avgDocLength; // silk tee + soft silk tee + acm
    const weight = (f: number) => (f * (k1 + 1)) / (f + k1 * norm);
    const at = (t: string) => terms.values[terms.indices.indexOf(termIndex(t))];
    expect(at('silk')).toBeCloseTo(weight(FIELD_WEIGHTS.title + FIELD_WEIGHTS.description), 12);
    expect(at('soft')).toBeCloseTo(weight(FIELD_WEIGHTS.description), 12);
    expect(at('acm')).toBeCloseTo(weight(FIELD_WEIGHTS.brand), 12);
    expect(terms.indices).toHaveLength(4);
  });
});
