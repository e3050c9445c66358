import { AVERAGE_DOCUMENT_LENGTH, bm25Idf, bm25TermScore, FIELD_WEIGHT_LIST, type LexicalDocument } from '../../../../src/stores/bm25';
import { Bitset } from '../../../../src/stores/embedded/bitset';
import { LexicalIndex, type LexicalHit, type SearchWork } from '../../../../src/stores/embedded/lexical/lexical-index';
import { Postings, RANGE_BITS, RANGE_BOUNDS_MIN_LENGTH } from '../../../../src/stores/embedded/lexical/postings';
import { seededRandom } from '../../../contract/vector-store.contract';

/** A field of one-term words. */
const words = (...terms: string[]): string[][] => terms.map((t) => [t]);

/**
 * BM25 computed from the documents themselves, with none of the index's structures: the
 * definition of src/stores/bm25.ts applied to every document. A query term is a word's term or,
 * with a space, the compound term of a word of several terms. Scores are summed in query order.
 */
function bruteForce(docs: Map<number, LexicalDocument>, terms: string[], k: number, filter?: Bitset): LexicalHit[] {
  const length = (doc: LexicalDocument) => doc.reduce((s, field) => s + field.reduce((t, word) => t + word.length, 0), 0);
  const n = [...docs.values()].filter((d) => length(d) > 0).length;
  const freq = (doc: LexicalDocument, term: string) => {
    let f = 0;
    doc.forEach((field, c) => {
      for (const word of field) {
        const matches = term.includes(' ') ? (word.length > 1 && word.join(' ') === term ? 1 : 0) : word.filter((t) => t === term).length;
        f += matches * FIELD_WEIGHT_LIST[c];
      }
    });
    return f;
  };
  const perTerm = terms.map((term) => {
    const f = new Map<number, number>();
    for (const [slot, doc] of docs) {
      const x = freq(doc, term);
      if (x > 0) f.set(slot, x);
    }
    return { f, idf: bm25Idf(n, f.size) };
  });
  const hits: LexicalHit[] = [];
  for (const [slot, doc] of docs) {
    if (filter && !filter.has(slot)) continue;
    let score = 0;
    let matched = false;
    for (const { f, idf } of perTerm) {
      const x = f.get(slot);
      if (x === undefined) continue;
      matched = true;
      score += bm25TermScore(idf, x, length(doc), AVERAGE_DOCUMENT_LENGTH);
    }
    if (matched) hits.push({ slot, score });
  }
  return hits.sort((a, b) => b.score - a.score || a.slot - b.slot).slice(0, k);
}

/** A Zipf-like vocabulary: word i is drawn with weight 1 / (i + 1). */
function vocabulary(rand: () => number, size: number): () => string {
  const terms = Array.from({ length: size }, (_, i) => `w${i}`);
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < size; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return terms[lo];
  };
}

/** Mostly one-term words; one in ten has two or three terms (a code, a hyphenated word). */
function randomWord(rand: () => number, term: () => string): string[] {
  const r = rand();
  if (r < 0.07) return [term(), term()];
  if (r < 0.1) return [term(), term(), term()];
  return [term()];
}

function randomDocument(rand: () => number, term: () => string): LexicalDocument {
  const field = (min: number, max: number) => Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => randomWord(rand, term));
  const brands = [[['acme']], [['bolt'], ['works']], [['crest']], [['w0']], [['bolt', 'w0']]];
  return [field(1, 8), field(0, 30), brands[Math.floor(rand() * brands.length)]];
}

function randomQuery(rand: () => number, term: () => string, docs: Map<number, LexicalDocument>): string[] {
  const terms: string[] = [];
  const count = 1 + Math.floor(rand() * 6);
  const slots = [...docs.keys()];
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.15 && slots.length > 0) {
      // The compound term of a word of a document, so that it matches somewhere.
      const doc = docs.get(slots[Math.floor(rand() * slots.length)])!;
      const compound = doc[Math.floor(rand() * 2)].find((w) => w.length > 1);
      if (compound) {
        terms.push(compound.join(' '));
        continue;
      }
    }
    if (r < 0.2) terms.push(`${term()} ${term()}`);
    else if (r < 0.25) terms.push('absent');
    else terms.push(term());
  }
  return [...new Set(terms)];
}

function randomFilter(rand: () => number, docs: Map<number, LexicalDocument>, density: number): Bitset {
  const b = new Bitset();
  for (const slot of docs.keys()) if (rand() < density) b.add(slot);
  return b;
}

/** Documents on slots spread over several ranges, with gaps. */
function corpus(seed: number, n: number): { docs: Map<number, LexicalDocument>; rand: () => number; term: () => string } {
  const rand = seededRandom(seed);
  const term = vocabulary(rand, 300);
  const docs = new Map<number, LexicalDocument>();
  let slot = 1;
  for (let i = 0; i < n; i++) {
    docs.set(slot, randomDocument(rand, term));
    slot += 1 + Math.floor(rand() * 12);
  }
  return { docs, rand, term };
}

function indexOf(docs: Map<number, LexicalDocument>): LexicalIndex {
  const index = new LexicalIndex();
  index.update([...docs].map(([slot, document]) => ({ slot, document })));
  return index;
}

describe('lexical index: pruned top-k equals exhaustive BM25', () => {
  const { docs, rand, term } = corpus(7, 3000);
  const index = indexOf(docs);

  test('the corpus spans several slot ranges and its common terms keep range bounds', () => {
    expect(Math.max(...docs.keys()) >> RANGE_BITS).toBeGreaterThanOrEqual(4);
    expect(index.documentFrequency('w0')).toBeGreaterThan(RANGE_BOUNDS_MIN_LENGTH);
    expect(index.size).toBe(docs.size);
  });

  test('600 random queries, k = 1, 10 and 100, without a filter', () => {
    for (let i = 0; i < 600; i++) {
      const terms = randomQuery(rand, term, docs);
      const k = [1, 10, 100][i % 3];
      const pruned = index.search(terms, k);
      expect(pruned).toEqual(index.searchExhaustive(terms, k));
      expect(pruned).toEqual(bruteForce(docs, terms, k));
    }
  });

  test('300 random queries under filters from 0.2% to 80% of the documents', () => {
    for (let i = 0; i < 300; i++) {
      const terms = randomQuery(rand, term, docs);
      const filter = randomFilter(rand, docs, [0.002, 0.02, 0.2, 0.8][i % 4]);
      const k = [10, 100][i % 2];
      const pruned = index.search(terms, k, filter);
      expect(pruned).toEqual(index.searchExhaustive(terms, k, filter));
      expect(pruned).toEqual(bruteForce(docs, terms, k, filter));
      for (const h of pruned) expect(filter.has(h.slot)).toBe(true);
    }
  });

  test('scores only a fraction of the matches of common words', () => {
    const work: SearchWork = { candidates: 0, scored: 0, rangesSkipped: 0, rangesVisited: 0 };
    let matches = 0;
    for (const terms of [['w0', 'w1'], ['w2', 'w3', 'w5'], ['w1', 'w4', 'w40'], ['w0', 'w7', 'w8', 'w9']]) {
      matches += index.searchExhaustive(terms, docs.size).length;
      index.search(terms, 10, undefined, work);
    }
    expect(matches).toBeGreaterThan(4000);
    expect(work.scored).toBeLessThan(matches / 10);
    expect(work.candidates).toBeLessThan(matches);
  });

  test('ties are broken by the lower slot, however many documents tie', () => {
    const twins = new Map<number, LexicalDocument>();
    for (let i = 0; i < 1500; i++) twins.set(5000 - i * 3, i % 2 ? [words('red', 'dress'), [], words('acme')] : [words('red', 'dress'), words('red'), words('acme')]);
    const twinIndex = indexOf(twins);
    for (const k of [1, 10, 700]) {
      const hits = twinIndex.search(['red'], k);
      expect(hits).toEqual(bruteForce(twins, ['red'], k));
      expect(hits).toEqual(twinIndex.searchExhaustive(['red'], k));
    }
    // "dress" is in every title; the shorter documents (odd i: slots 503, 509, ...) score higher, then lower slots first.
    expect(twinIndex.search(['dress'], 3).map((h) => h.slot)).toEqual([503, 509, 515]);
  });

  test('queries without any indexed term find nothing', () => {
    expect(index.search(['absent'], 10)).toEqual([]);
    expect(index.search([], 10)).toEqual([]);
    expect(index.search(['w0'], 0)).toEqual([]);
    expect(new LexicalIndex().search(['w0'], 10)).toEqual([]);
  });
});

describe('lexical index: words of several terms', () => {
  const docs = new Map<number, LexicalDocument>([
    [1, [[['sku', '1042'], ['sku', '1042']], [['sku', '1042']], []]],
    [2, [words('shirt', 'sku'), words('1042', 'blue'), []]],
    [3, [[['1042', 'sku']], [], [['sku', '1042']]]],
    [4, [words('blue', 'shirt'), words('blue', 'shirt', 'blue'), words('acme')]],
    [5, [words('sku', '1042'), [], []]],
  ]);
  const index = indexOf(docs);

  test('a word of several terms is found by its compound term, weighted by its field, and its terms count once each in the length', () => {
    expect(index.documentFrequency('sku 1042')).toBe(2);
    const hits = index.search(['sku 1042'], 10);
    const idf = bm25Idf(5, 2);
    expect(hits).toEqual([
      { slot: 1, score: bm25TermScore(idf, 2 * 2 + 1, 6, AVERAGE_DOCUMENT_LENGTH) },
      { slot: 3, score: bm25TermScore(idf, 3, 4, AVERAGE_DOCUMENT_LENGTH) },
    ]);
    expect(hits).toEqual(bruteForce(docs, ['sku 1042'], 10));
  });

  test('the same terms written as separate words, or in another order, do not make the compound term', () => {
    expect(index.search(['sku 1042'], 10).map((h) => h.slot)).not.toContain(5);
    expect(index.search(['sku 1042'], 10).map((h) => h.slot)).not.toContain(2);
    expect(index.search(['1042 sku'], 10).map((h) => h.slot)).toEqual([3]);
  });

  test('the terms of a word of several terms are also indexed on their own', () => {
    const terms = ['sku', '1042'];
    expect(index.search(terms, 10)).toEqual(bruteForce(docs, terms, 10));
    expect(index.search(['sku'], 10).map((h) => h.slot).sort()).toEqual([1, 2, 3, 5]);
  });

  test('compound and single terms mix in one query', () => {
    const terms = ['blue', 'sku 1042', 'shirt'];
    expect(index.search(terms, 10)).toEqual(bruteForce(docs, terms, 10));
  });

  test('a write changes what a compound term finds at once', () => {
    const local = indexOf(docs);
    expect(local.search(['blue shirt'], 10)).toEqual([]);
    const rewritten: LexicalDocument = [[['blue', 'shirt']], [], []];
    local.set(2, rewritten);
    expect(local.search(['blue shirt'], 10)).toEqual(bruteForce(new Map([...docs, [2, rewritten]]), ['blue shirt'], 10));
    local.delete([2]);
    expect(local.search(['blue shirt'], 10)).toEqual([]);
  });
});

describe('lexical index: incremental updates and deletes', () => {
  test('random batches of inserts, rewrites, deletes and re-used slots keep it equal to a fresh index and to brute force', () => {
    const { docs, rand, term } = corpus(21, 1200);
    const index = indexOf(docs);
    const maxSlot = () => Math.max(...docs.keys());
    for (let round = 0; round < 25; round++) {
      const writes: { slot: number; document: LexicalDocument }[] = [];
      const removals: number[] = [];
      const size = 1 + Math.floor(rand() * 80);
      const slots = [...docs.keys()];
      for (let i = 0; i < size; i++) {
        const r = rand();
        const existing = slots[Math.floor(rand() * slots.length)];
        if (r < 0.25) writes.push({ slot: maxSlot() + 1 + Math.floor(rand() * 5000) + i, document: randomDocument(rand, term) });
        else if (r < 0.45) writes.push({ slot: existing, document: randomDocument(rand, term) });
        else if (r < 0.55) {
          // Same words, one more: only its length and one term change.
          const d = docs.get(existing)!;
          writes.push({ slot: existing, document: [d[0], [...d[1], [term()]], d[2]] });
        } else if (r < 0.6) writes.push({ slot: existing, document: docs.get(existing)!.map((f) => f.map((w) => [...w])) });
        else if (r < 0.85) removals.push(existing);
        else writes.push({ slot: Math.floor(rand() * maxSlot()), document: randomDocument(rand, term) });
      }
      index.update(writes, removals);
      for (const w of writes) docs.set(w.slot, w.document);
      for (const s of removals) docs.delete(s);

      expect(index.size).toBe(docs.size);
      const fresh = indexOf(docs);
      expect(index.stats().postings).toBe(fresh.stats().postings);
      expect(index.stats().documentsWithTerms).toBe(fresh.stats().documentsWithTerms);
      expect(index.averageLength).toBe(fresh.averageLength);
      for (let q = 0; q < 12; q++) {
        const terms = randomQuery(rand, term, docs);
        const filter = q % 3 === 0 ? randomFilter(rand, docs, 0.1) : undefined;
        const hits = index.search(terms, 10, filter);
        expect(hits).toEqual(bruteForce(docs, terms, 10, filter));
        expect(hits).toEqual(fresh.search(terms, 10, filter));
      }
    }
  });

  test('a deleted document is found by nothing and no longer counts in N', () => {
    const index = new LexicalIndex();
    index.update([
      { slot: 1, document: [words('red', 'dress'), words('long'), words('acme')] },
      { slot: 2, document: [words('blue', 'dress'), [], words('acme')] },
      { slot: 3, document: [words('red', 'shoe'), words('leather', 'sole', 'red'), words('bolt')] },
      { slot: 4, document: [[], [], []] },
    ]);
    expect(index.stats().documentsWithTerms).toBe(3);
    index.delete([3, 99]);
    expect(index.size).toBe(3);
    expect(index.stats().documentsWithTerms).toBe(2);
    expect(index.averageLength).toBe(7 / 3);
    expect(index.search(['shoe'], 10)).toEqual([]);
    expect(index.search(['red'], 10)).toEqual([{ slot: 1, score: bm25TermScore(bm25Idf(2, 1), 2, 4, AVERAGE_DOCUMENT_LENGTH) }]);
    expect(index.has(3)).toBe(false);
  });

  test('a slot written and removed in one batch is removed', () => {
    const index = new LexicalIndex();
    index.update([{ slot: 4, document: [words('red'), [], []] }], [4]);
    expect(index.size).toBe(0);
    expect(index.search(['red'], 10)).toEqual([]);
  });

  test('documents must have one list of words per field', () => {
    expect(() => new LexicalIndex().set(1, [words('red')])).toThrow(/3 fields/);
    expect(() => new LexicalIndex().set(-1, [[], [], []])).toThrow(/slot/);
    expect(() => new LexicalIndex([2, 0])).toThrow(/positive/);
  });
});

describe('postings', () => {
  test('random batches keep slots ascending and every range bound exact', () => {
    const rand = seededRandom(5);
    const lengths = new Uint32Array(20_000);
    for (let i = 0; i < lengths.length; i++) lengths[i] = 1 + Math.floor(rand() * 40);
    const reference = new Map<number, number>();
    const p = new Postings();
    for (let round = 0; round < 200; round++) {
      const ops = new Map<number, number>();
      const size = 1 + Math.floor(rand() * (round < 20 ? 400 : 30));
      for (let i = 0; i < size; i++) {
        const slot = Math.floor(rand() * lengths.length);
        ops.set(slot, rand() < 0.3 ? 0 : Math.fround(1 + Math.floor(rand() * 6)));
      }
      // Some documents change length without changing this term's frequency.
      for (const slot of ops.keys()) if (rand() < 0.2) lengths[slot] = 1 + Math.floor(rand() * 40);
      const slots = [...ops.keys()].sort((a, b) => a - b);
      p.apply(
        slots,
        slots.map((s) => ops.get(s)!),
        lengths,
      );
      for (const s of slots) {
        if (ops.get(s)! > 0) reference.set(s, ops.get(s)!);
        else reference.delete(s);
      }
      const expected = [...reference.keys()].sort((a, b) => a - b);
      expect(Array.from(p.docs.subarray(0, p.length))).toEqual(expected);
      expect(Array.from(p.freqs.subarray(0, p.length))).toEqual(expected.map((s) => reference.get(s)));
      if (p.rangeMaxFreq) {
        const ranges = (Math.max(...expected) >> RANGE_BITS) + 1;
        for (let r = 0; r < ranges; r++) {
          const inRange = expected.filter((s) => s >> RANGE_BITS === r);
          // Lengths changed outside a batch are not the list's to see: check the ranges it was told about.
          const max = Math.max(0, ...inRange.map((s) => reference.get(s)!));
          expect(p.rangeMaxFreq[r]).toBe(max);
        }
      }
    }
    expect(p.rangeMaxFreq).not.toBeNull();
    expect(p.frequency(expectFirst(reference))).toBe(reference.get(expectFirst(reference)));
    expect(p.frequency(-5)).toBe(0);
  });

  test('a range bound covers the shortest document of its range after lengths change', () => {
    const lengths = new Uint32Array(10_000).fill(30);
    const p = new Postings();
    const slots = Array.from({ length: RANGE_BOUNDS_MIN_LENGTH + 10 }, (_, i) => i * 20);
    p.apply(slots, slots.map(() => 2), lengths);
    expect(p.rangeMinLength![0]).toBe(30);
    lengths[40] = 3;
    p.apply([40], [2], lengths);
    expect(p.rangeMinLength![0]).toBe(3);
    lengths[40] = 50;
    p.apply([40], [2], lengths);
    expect(p.rangeMinLength![0]).toBe(30);
    p.apply([40], [0], lengths);
    expect(p.frequency(40)).toBe(0);
    expect(p.rangeMaxFreq![0]).toBe(2);
  });
});

function expectFirst(m: Map<number, number>): number {
  const [first] = m.keys();
  return first;
}
