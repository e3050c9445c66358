/**
 * Top-k BM25 over postings with dynamic pruning: MaxScore (Turtle and Flood, 1995) run range by
 * range with block-max bounds over fixed slot ranges (the docid-interval bounds of Dimopoulos,
 * Nepomnyachiy and Suel, WSDM 2013), filtered by a bitset during the traversal. It returns exactly
 * the k best documents that scoring every match would (same scores to the last bit, ties to the
 * lower slot), while scoring only documents that can still enter the top k.
 *
 * For each range of 2^RANGE_BITS slots:
 * 1. Each query term's bound in the range: the BM25 of its largest frequency and shortest document
 *    there (postings.ts), or of its best posting for short lists; 0 where it has no
 *    posting in the range. A range whose bounds sum below the current k-th score is skipped whole,
 *    and so is a range where the filter keeps no slot.
 * 2. MaxScore inside the range: terms sorted by bound; the longest prefix whose bounds sum below
 *    the k-th score is non-essential (a document holding only those terms cannot enter), so
 *    candidates come from the essential terms' postings only; the non-essential terms are looked up
 *    for a candidate (galloping search) in decreasing bound order and the candidate is dropped as
 *    soon as its partial score plus the remaining bounds falls below the k-th score. As the k-th
 *    score rises, terms move from essential to non-essential.
 * 3. The filter is a bitset tested before a candidate is scored; where the filter keeps fewer slots
 *    of a range than the essential terms have postings there, the range is walked from the
 *    filter's members instead, with the same bounds.
 *
 * Exactness: a document is only skipped when an upper bound of its score is below the k-th best
 * score so far, so every document that could enter is scored. Bounds and partial sums are compared
 * with a relative tolerance of 1e-9 (rounding can make a float bound fall an ulp short), and a
 * document's final score is summed over the query terms in query order, as the exhaustive scorer
 * (exhaustive-search.ts) sums it, so both give bit-identical scores and the same tie order.
 */
import { bm25TermScore } from '../../bm25';
import type { Bitset } from '../bitset';
import { TopK } from '../top-k';
import { RANGE_BITS, RANGE_SIZE } from './postings';

/** One term of a query with its postings and idf; terms are given in query order. */
export interface QueryTerm {
  docs: Int32Array;
  freqs: Float32Array;
  length: number;
  idf: number;
  rangeMaxFreq: Float32Array | null;
  rangeMinLength: Uint32Array | null;
}

export interface LexicalHit {
  slot: number;
  score: number;
}

const TOLERANCE = 1e-9;

/** First position >= `from` whose slot is >= target (galloping, then binary search). */
export function advance(docs: Int32Array, length: number, from: number, target: number): number {
  if (from >= length || docs[from] >= target) return from;
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < length && docs[hi] < target) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  if (hi > length) hi = length;
  // docs[lo] < target; the answer is in (lo, hi].
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function popcount(words: Uint32Array, from: number, to: number): number {
  let c = 0;
  const end = Math.min(to, words.length);
  for (let i = from; i < end; i++) {
    let v = words[i];
    if (v === 0) continue;
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return c;
}

/** Counters of the work a search did (for the benchmark and the tests of pruning). */
export interface SearchWork {
  /** Documents drawn as candidates (from the essential terms' postings or the filter), pruned or not. */
  candidates: number;
  /** Documents whose score was computed in full. */
  scored: number;
  /** Ranges skipped because their bounds could not reach the k-th score, or the filter kept none of them. */
  rangesSkipped: number;
  rangesVisited: number;
}

export function blockMaxTopK(
  terms: readonly QueryTerm[],
  k: number,
  lengths: Uint32Array,
  averageLength: number,
  filter?: Bitset,
  work?: SearchWork,
): LexicalHit[] {
  const n = terms.length;
  if (n === 0 || k < 1) return [];
  const heap = new TopK(k);
  const pos = new Int32Array(n);
  const bound = new Float64Array(n);
  const order = new Int32Array(n);
  const prefix = new Float64Array(n);
  const contrib = new Float64Array(n);
  const contribDoc = new Int32Array(n).fill(-1);
  const filterWords = filter?.words;

  // Short lists keep no range bounds: their best posting bounds every range.
  const wholeBound = new Float64Array(n);
  let first = Infinity;
  let last = -1;
  for (let t = 0; t < n; t++) {
    const term = terms[t];
    if (term.length === 0) continue;
    first = Math.min(first, term.docs[0]);
    last = Math.max(last, term.docs[term.length - 1]);
    if (term.rangeMaxFreq) continue;
    let best = 0;
    for (let i = 0; i < term.length; i++) {
      const s = bm25TermScore(term.idf, term.freqs[i], lengths[term.docs[i]], averageLength);
      if (s > best) best = s;
    }
    wholeBound[t] = best;
  }
  if (last < 0) return [];

  let cut = -Infinity;
  let scored = 0;
  let candidates = 0;
  let skipped = 0;
  let visited = 0;
  const raiseCut = (): boolean => {
    if (heap.threshold === -Infinity) return false;
    const next = heap.threshold - Math.abs(heap.threshold) * TOLERANCE;
    if (next <= cut) return false;
    cut = next;
    return true;
  };
  /**
   * Moves term t's cursor to d; when d holds the term, records and returns its score part, else
   * returns -1 (a part is always positive, as the idf is).
   */
  const lookUp = (t: number, d: number, len: number): number => {
    const term = terms[t];
    const p = (pos[t] = advance(term.docs, term.length, pos[t], d));
    if (p >= term.length || term.docs[p] !== d) return -1;
    const c = bm25TermScore(term.idf, term.freqs[p], len, averageLength);
    contrib[t] = c;
    contribDoc[t] = d;
    return c;
  };
  /** Canonical score of d: its terms' parts summed in query order. */
  const finalScore = (d: number): number => {
    let score = 0;
    for (let t = 0; t < n; t++) if (contribDoc[t] === d) score += contrib[t];
    return score;
  };

  for (let range = first >> RANGE_BITS; range <= last >> RANGE_BITS; range++) {
    const start = range << RANGE_BITS;
    const end = start + RANGE_SIZE;
    let total = 0;
    for (let t = 0; t < n; t++) {
      const term = terms[t];
      const p = (pos[t] = advance(term.docs, term.length, pos[t], start));
      if (p >= term.length || term.docs[p] >= end) {
        bound[t] = 0;
        continue;
      }
      const maxFreq = term.rangeMaxFreq;
      bound[t] = maxFreq ? (range < maxFreq.length ? bm25TermScore(term.idf, maxFreq[range], term.rangeMinLength![range], averageLength) : 0) : wholeBound[t];
      total += bound[t];
    }
    if (total === 0 || total < cut) {
      if (total > 0) skipped++;
      continue;
    }
    let filterCount = 0;
    if (filterWords) {
      filterCount = popcount(filterWords, start >>> 5, end >>> 5);
      if (filterCount === 0) {
        skipped++;
        continue;
      }
    }
    visited++;
    // Terms by bound, ascending (insertion sort: a query has at most a few dozen terms).
    for (let t = 0; t < n; t++) {
      let j = t;
      while (j > 0 && bound[order[j - 1]] > bound[t]) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = t;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) prefix[j] = sum += bound[order[j]];
    let essential = 0;
    while (essential < n && prefix[essential] < cut) essential++;
    if (essential === n) continue;

    let essentialPostings = 0;
    if (filterWords) {
      for (let j = essential; j < n; j++) {
        const term = terms[order[j]];
        essentialPostings += advance(term.docs, term.length, pos[order[j]], end) - pos[order[j]];
      }
    }

    if (filterWords && filterCount * n < essentialPostings) {
      // Few filtered slots here: walk them, looking every term up.
      const lastWord = Math.min(end >>> 5, filterWords.length);
      for (let w = start >>> 5; w < lastWord; w++) {
        let bits = filterWords[w];
        while (bits !== 0) {
          const low = bits & -bits;
          bits ^= low;
          const d = (w << 5) + (31 - Math.clz32(low));
          candidates++;
          const len = lengths[d];
          let s = 0;
          let matched = 0;
          let j = n - 1;
          for (; j >= 0; j--) {
            if (s + prefix[j] < cut) break;
            const c = lookUp(order[j], d, len);
            if (c >= 0) {
              s += c;
              matched++;
            }
          }
          if (j >= 0 || matched === 0 || s < cut) continue;
          scored++;
          heap.push(d, finalScore(d));
          raiseCut();
        }
      }
      continue;
    }

    for (;;) {
      let d = end;
      for (let j = essential; j < n; j++) {
        const term = terms[order[j]];
        const p = pos[order[j]];
        if (p < term.length && term.docs[p] < d) d = term.docs[p];
      }
      if (d >= end) break;
      if (filterWords && (d >>> 5 >= filterWords.length || (filterWords[d >>> 5] & (1 << (d & 31))) === 0)) {
        for (let j = essential; j < n; j++) {
          const t = order[j];
          if (pos[t] < terms[t].length && terms[t].docs[pos[t]] === d) pos[t]++;
        }
        continue;
      }
      candidates++;
      const len = lengths[d];
      let s = 0;
      for (let j = n - 1; j >= essential; j--) {
        const t = order[j];
        const term = terms[t];
        const p = pos[t];
        if (p < term.length && term.docs[p] === d) {
          const c = bm25TermScore(term.idf, term.freqs[p], len, averageLength);
          contrib[t] = c;
          contribDoc[t] = d;
          s += c;
          pos[t] = p + 1;
        }
      }
      let j = essential - 1;
      for (; j >= 0; j--) {
        if (s + prefix[j] < cut) break;
        const c = lookUp(order[j], d, len);
        if (c >= 0) s += c;
      }
      if (j >= 0 || s < cut) continue;
      scored++;
      heap.push(d, finalScore(d));
      if (raiseCut()) {
        while (essential < n && prefix[essential] < cut) essential++;
        if (essential === n) break;
      }
    }
  }
  if (work) {
    work.candidates += candidates;
    work.scored += scored;
    work.rangesSkipped += skipped;
    work.rangesVisited += visited;
  }
  return heap.result();
}
