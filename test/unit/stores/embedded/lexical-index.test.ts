import { bm25Idf, bm25TermScore, FIELD_WEIGHT_LIST, type LexicalDocument } from '../../../../src/stores/bm25';
import { Bitset } from '../../../../src/stores/embedded/bitset';
import { LexicalIndex, type LexicalHit, type SearchWork } from '../../../../src/stores/embedded/lexical/lexical-index';
import { Postings, RANGE_BITS, RANGE_BOUNDS_MIN_LENGTH } from '../../../../src/stores/embedded/lexical/postings';
import { seededRandom } from '../../../contract/vector-store.contract';

/**
 * BM25 computed from the documents themselves, with none of the index's structures: the
 * definition of src/stores/bm25.ts applied to every document. Scores are summed in phrase order.
 */
function bruteForce(docs: Map<number, LexicalDocument>, phrases: string[][], k: number, filter?: Bitset): LexicalHit[] {
  const n = docs.size;
  let total = 0;
  for (const d of docs.values()) total += d.reduce((s, f) => s + f.length, 0);
  const avgdl = total / n;
  const freq = (doc: LexicalDocument, phrase: string[]) => {
    let f = 0;
    doc.forEach((field, c) => {
      for (let p = 0; p + phrase.length <= field.length; p++) {
        if (phrase.every((t, q) => field[p + q] === t)) f += FIELD_WEIGHT_LIST[c];
      }
    });
    return f;
  };
  const perPhrase = phrases.map((phrase) => {
    const f = new Map<number, number>();
    for (const [slot, doc] of docs) {
      const x = freq(doc, phrase);
      if (x > 0) f.set(slot, x);
    }
    return { f, idf: bm25Idf(n, f.size) };
  });
  const hits: LexicalHit[] = [];
  for (const [slot, doc] of docs) {
    if (filter && !filter.has(slot)) continue;
    const len = doc.reduce((s, f) => s + f.length, 0);
    let score = 0;
    let matched = false;
    for (const { f, idf } of perPhrase) {
      const x = f.get(slot);
      if (x === undefined) continue;
      matched = true;
      score += bm25TermScore(idf, x, len, avgdl);
    }
    if (matched) hits.push({ slot, score });
  }
  return hits.sort((a, b) => b.score - a.score || a.slot - b.slot).slice(0, k);
}

/** A Zipf-like vocabulary: word i is drawn with weight 1 / (i + 1). */
function vocabulary(rand: () => number, size: number): () => string {
  const words = Array.from({ length: size }, (_, i) => `w${i}`);
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
    return words[lo];
  };
}

function randomDocument(rand: () => number, word: () => string): LexicalDocument {
  const field = (min: number, max: number) => Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, word);
  const brands = [['acme'], ['bolt', 'works'], ['crest'], ['w0']];
  return [field(1, 8), field(0, 30), brands[Math.floor(rand() * brands.length)]];
}

function randomQuery(rand: () => number, word: () => string, docs: Map<number, LexicalDocument>): string[][] {
  const phrases: string[][] = [];
  const count = 1 + Math.floor(rand() * 6);
  const slots = [...docs.keys()];
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.15 && slots.length > 0) {
      // A phrase taken from a document, so that it matches somewhere.
      const doc = docs.get(slots[Math.floor(rand() * slots.length)])!;
      const field = doc[Math.floor(rand() * 2)];
      if (field.length >= 2) {
        const at = Math.floor(rand() * (field.length - 1));
        phrases.push(field.slice(at, at + 2 + (rand() < 0.3 && at + 3 <= field.length ? 1 : 0)));
        continue;
      }
    }
    if (r < 0.2) phrases.push([word(), word()]);
    else if (r < 0.25) phrases.push(['absent']);
    else phrases.push([word()]);
  }
  const seen = new Set<string>();
  return phrases.filter((p) => !seen.has(p.join(' ')) && seen.add(p.join(' ')));
}

function randomFilter(rand: () => number, docs: Map<number, LexicalDocument>, density: number): Bitset {
  const b = new Bitset();
  for (const slot of docs.keys()) if (rand() < density) b.add(slot);
  return b;
}

/** Documents on slots spread over several ranges, with gaps. */
function corpus(seed: number, n: number): { docs: Map<number, LexicalDocument>; rand: () => number; word: () => string } {
  const rand = seededRandom(seed);
  const word = vocabulary(rand, 300);
  const docs = new Map<number, LexicalDocument>();
  let slot = 1;
  for (let i = 0; i < n; i++) {
    docs.set(slot, randomDocument(rand, word));
    slot += 1 + Math.floor(rand() * 12);
  }
  return { docs, rand, word };
}

function indexOf(docs: Map<number, LexicalDocument>): LexicalIndex {
  const index = new LexicalIndex();
  index.update([...docs].map(([slot, document]) => ({ slot, document })));
  return index;
}

describe('lexical index: pruned top-k equals exhaustive BM25', () => {
  const { docs, rand, word } = corpus(7, 3000);
  const index = indexOf(docs);

  test('the corpus spans several slot ranges and its common terms keep range bounds', () => {
    expect(Math.max(...docs.keys()) >> RANGE_BITS).toBeGreaterThanOrEqual(4);
    expect(index.documentFrequency(['w0'])).toBeGreaterThan(RANGE_BOUNDS_MIN_LENGTH);
    expect(index.size).toBe(docs.size);
  });

  test('600 random queries, k = 1, 10 and 100, without a filter', () => {
    for (let i = 0; i < 600; i++) {
      const phrases = randomQuery(rand, word, docs);
      const k = [1, 10, 100][i % 3];
      const pruned = index.search(phrases, k);
      expect(pruned).toEqual(index.searchExhaustive(phrases, k));
      expect(pruned).toEqual(bruteForce(docs, phrases, k));
    }
  });

  test('300 random queries under filters from 0.2% to 80% of the documents', () => {
    for (let i = 0; i < 300; i++) {
      const phrases = randomQuery(rand, word, docs);
      const filter = randomFilter(rand, docs, [0.002, 0.02, 0.2, 0.8][i % 4]);
      const k = [10, 100][i % 2];
      const pruned = index.search(phrases, k, filter);
      expect(pruned).toEqual(index.searchExhaustive(phrases, k, filter));
      expect(pruned).toEqual(bruteForce(docs, phrases, k, filter));
      for (const h of pruned) expect(filter.has(h.slot)).toBe(true);
    }
  });

  test('scores only a fraction of the matches of common words', () => {
    const work: SearchWork = { candidates: 0, scored: 0, rangesSkipped: 0, rangesVisited: 0 };
    let matches = 0;
    for (const phrases of [[['w0'], ['w1']], [['w2'], ['w3'], ['w5']], [['w1'], ['w4'], ['w40']], [['w0'], ['w7'], ['w8'], ['w9']]]) {
      matches += index.searchExhaustive(phrases, docs.size).length;
      index.search(phrases, 10, undefined, work);
    }
    expect(matches).toBeGreaterThan(4000);
    expect(work.scored).toBeLessThan(matches / 10);
    expect(work.candidates).toBeLessThan(matches);
  });

  test('ties are broken by the lower slot, however many documents tie', () => {
    const twins = new Map<number, LexicalDocument>();
    for (let i = 0; i < 1500; i++) twins.set(5000 - i * 3, i % 2 ? [['red', 'dress'], [], ['acme']] : [['red', 'dress'], ['red'], ['acme']]);
    const twinIndex = indexOf(twins);
    for (const k of [1, 10, 700]) {
      const hits = twinIndex.search([['red']], k);
      expect(hits).toEqual(bruteForce(twins, [['red']], k));
      expect(hits).toEqual(twinIndex.searchExhaustive([['red']], k));
    }
    // "dress" is in every title; the shorter documents (odd i: slots 503, 509, ...) score higher, then lower slots first.
    expect(twinIndex.search([['dress']], 3).map((h) => h.slot)).toEqual([503, 509, 515]);
  });

  test('queries without any indexed phrase find nothing', () => {
    expect(index.search([['absent']], 10)).toEqual([]);
    expect(index.search([], 10)).toEqual([]);
    expect(index.search([['w0']], 0)).toEqual([]);
    expect(new LexicalIndex().search([['w0']], 10)).toEqual([]);
  });
});

describe('lexical index: phrases', () => {
  const docs = new Map<number, LexicalDocument>([
    [1, [['sku', '1042', 'sku', '1042'], ['sku', '1042'], []]],
    [2, [['shirt', 'sku'], ['1042', 'blue'], []]],
    [3, [['1042', 'sku'], [], ['sku', '1042']]],
    [4, [['blue', 'shirt'], ['a', 'blue', 'shirt', 'blue'], ['acme']]],
  ]);
  const index = indexOf(docs);

  test('a phrase matches its terms adjacent in one field, never across fields, each place weighted by its field', () => {
    expect(index.documentFrequency(['sku', '1042'])).toBe(2);
    const hits = index.search([['sku', '1042']], 10);
    expect(hits.map((h) => h.slot)).toEqual(bruteForce(docs, [['sku', '1042']], 10).map((h) => h.slot));
    const n = 4;
    const avgdl = (6 + 4 + 4 + 7) / 4;
    const idf = bm25Idf(n, 2);
    expect(hits).toEqual([
      { slot: 1, score: bm25TermScore(idf, 2 * 2 + 1, 6, avgdl) },
      { slot: 3, score: bm25TermScore(idf, 3, 4, avgdl) },
    ]);
  });

  test('phrases and single terms mix in one query', () => {
    const phrases = [['blue', 'shirt'], ['sku'], ['1042', 'blue']];
    expect(index.search(phrases, 10)).toEqual(bruteForce(docs, phrases, 10));
  });

  test('a write changes what a phrase finds at once', () => {
    const local = indexOf(docs);
    expect(local.search([['blue', 'shirt']], 10).map((h) => h.slot)).toEqual([4]);
    local.set(2, [['blue', 'shirt'], [], []]);
    expect(local.search([['blue', 'shirt']], 10).map((h) => h.slot)).toEqual(bruteForce(new Map([...docs, [2, [['blue', 'shirt'], [], []]]]), [['blue', 'shirt']], 10).map((h) => h.slot));
    local.delete([4]);
    expect(local.search([['blue', 'shirt']], 10).map((h) => h.slot)).toEqual([2]);
  });
});

describe('lexical index: incremental updates and deletes', () => {
  test('random batches of inserts, rewrites, deletes and re-used slots keep it equal to a fresh index and to brute force', () => {
    const { docs, rand, word } = corpus(21, 1200);
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
        if (r < 0.25) writes.push({ slot: maxSlot() + 1 + Math.floor(rand() * 5000) + i, document: randomDocument(rand, word) });
        else if (r < 0.45) writes.push({ slot: existing, document: randomDocument(rand, word) });
        else if (r < 0.55) {
          // Same terms, one more: only its length and one term change.
          const d = docs.get(existing)!;
          writes.push({ slot: existing, document: [d[0], [...d[1], word()], d[2]] });
        } else if (r < 0.6) writes.push({ slot: existing, document: docs.get(existing)!.map((f) => [...f]) });
        else if (r < 0.85) removals.push(existing);
        else writes.push({ slot: Math.floor(rand() * maxSlot()), document: randomDocument(rand, word) });
      }
      index.update(writes, removals);
      for (const w of writes) docs.set(w.slot, w.document);
      for (const s of removals) docs.delete(s);

      expect(index.size).toBe(docs.size);
      const fresh = indexOf(docs);
      expect(index.stats().postings).toBe(fresh.stats().postings);
      expect(index.averageLength).toBe(fresh.averageLength);
      for (let q = 0; q < 12; q++) {
        const phrases = randomQuery(rand, word, docs);
        const filter = q % 3 === 0 ? randomFilter(rand, docs, 0.1) : undefined;
        const hits = index.search(phrases, 10, filter);
        expect(hits).toEqual(bruteForce(docs, phrases, 10, filter));
        expect(hits).toEqual(fresh.search(phrases, 10, filter));
      }
    }
  });

  test('a deleted document is found by nothing and no longer counts in N or the average length', () => {
    const index = new LexicalIndex();
    index.update([
      { slot: 1, document: [['red', 'dress'], ['long'], ['acme']] },
      { slot: 2, document: [['blue', 'dress'], [], ['acme']] },
      { slot: 3, document: [['red', 'shoe'], ['leather', 'sole', 'red'], ['bolt']] },
    ]);
    index.delete([3, 99]);
    expect(index.size).toBe(2);
    expect(index.averageLength).toBe(3.5);
    expect(index.search([['shoe']], 10)).toEqual([]);
    expect(index.search([['red']], 10).map((h) => h.slot)).toEqual([1]);
    expect(index.has(3)).toBe(false);
  });

  test('a slot written and removed in one batch is removed', () => {
    const index = new LexicalIndex();
    index.update([{ slot: 4, document: [['red'], [], []] }], [4]);
    expect(index.size).toBe(0);
    expect(index.search([['red']], 10)).toEqual([]);
  });

  test('documents must have one list of terms per field', () => {
    expect(() => new LexicalIndex().set(1, [['red']])).toThrow(/3 fields/);
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
