/**
 * BM25 the plain way: every posting of every query term is scored (term at a time, into one
 * accumulator per document), then the k best are kept. It is the reference the pruned search
 * (block-max-search.ts) must equal on every query, in the tests and in the benchmark: scores are
 * summed in query order, as there, and ties go to the lower slot.
 */
import { bm25TermScore } from '../../bm25';
import type { Bitset } from '../bitset';
import { TopK } from '../top-k';
import type { LexicalHit, QueryTerm } from './block-max-search';

export function exhaustiveTopK(terms: readonly QueryTerm[], k: number, lengths: Uint32Array, averageLength: number, filter?: Bitset): LexicalHit[] {
  if (terms.length === 0 || k < 1) return [];
  const scores = new Float64Array(lengths.length);
  const seen = new Uint8Array(lengths.length);
  const matched: number[] = [];
  for (const term of terms) {
    for (let i = 0; i < term.length; i++) {
      const d = term.docs[i];
      if (filter && !filter.has(d)) continue;
      if (seen[d] === 0) {
        seen[d] = 1;
        matched.push(d);
      }
      scores[d] += bm25TermScore(term.idf, term.freqs[i], lengths[d], averageLength);
    }
  }
  const heap = new TopK(k);
  for (const d of matched) heap.push(d, scores[d]);
  return heap.result();
}
