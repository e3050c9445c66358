/**
 * Client-side half of BM25 over Qdrant sparse vectors, following the project's BM25
 * (src/stores/bm25.ts): the same fields, field weights, k1 and b as the embedded store.
 *
 * Qdrant stores a sparse vector `lexical` per product whose values are BM25 term-frequency weights
 * computed here; the collection declares `modifier: idf`, so Qdrant multiplies each query term by its
 * inverse document frequency over the live collection. The score of a product is then
 *   sum over query terms t of idf(t) * f(t) * (k1 + 1) / (f(t) + k1 * (1 - b + b * |d| / avgdl)),
 * with f(t) the field-weighted frequency (an occurrence in the title counts FIELD_WEIGHTS.title, ...)
 * and |d| the number of terms over all fields. Two parts stay Qdrant's: its idf is
 * ln(1 + (N - n + 0.5) / (n + 0.5)), and avgdl is the configured `avgDocLength`, since the weights
 * are fixed when a point is written.
 *
 * Terms come from the project's one text analyzer (src/query/text-analyzer.ts: accent folding,
 * English stop words, Porter2 stemming), the same that builds the embedded store's FTS5 index, so
 * both stores find "sneakers" for "sneaker". A word of the text (between white space) that holds
 * several terms, such as a product code "QX-7731", is also indexed as one compound term ("qx 7731");
 * in a query such a word stands for that compound term only, so it matches the code as a phrase
 * rather than any product containing "qx".
 *
 * Points written under another analyzer version hold other terms: re-ingest a collection after
 * ANALYZER_VERSION changes.
 *
 * Everything here is pure: hashing terms to uint32 indices and BM25 weights.
 */
import { analyzeWords } from '../../query/text-analyzer';
import { BM25_B, BM25_K1, FIELD_WEIGHTS, LEXICAL_FIELDS, type LexicalField } from '../bm25';

export interface Bm25Params {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation (0 = none, 1 = full). */
  b: number;
  /** Expected document length in tokens; fixed so that weights do not depend on the rest of the catalogue. */
  avgDocLength: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: BM25_K1, b: BM25_B, avgDocLength: 24 };

export interface SparseTerms {
  indices: number[];
  values: number[];
}

/** The compound term of a word made of several tokens. */
export function compoundTerm(tokens: string[]): string {
  return tokens.join(' ');
}

/** FNV-1a (32 bit) over the UTF-8 bytes of a term: a sparse index in [0, 2^32). */
export function termIndex(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(term, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function sortedSparse(entries: Iterable<[number, number]>): SparseTerms {
  const sorted = [...entries].sort((x, y) => x[0] - y[0]);
  return { indices: sorted.map((e) => e[0]), values: sorted.map((e) => e[1]) };
}

/** The BM25 term-frequency part of each term of a product's title, description and brand (the IDF is applied by Qdrant). */
export function documentTerms(product: Readonly<Record<LexicalField, string>>, params: Bm25Params = DEFAULT_BM25): SparseTerms {
  const frequencies = new Map<number, number>();
  let length = 0;
  for (const field of LEXICAL_FIELDS) {
    const words = analyzeWords(product[field]);
    const weight = FIELD_WEIGHTS[field];
    for (const word of words) {
      length += word.length;
      const terms = word.length > 1 ? [...word, compoundTerm(word)] : word;
      for (const term of terms) {
        const index = termIndex(term);
        frequencies.set(index, (frequencies.get(index) ?? 0) + weight);
      }
    }
  }
  const lengthNorm = 1 - params.b + (params.b * length) / params.avgDocLength;
  const weights = new Map<number, number>();
  for (const [index, f] of frequencies) weights.set(index, (f * (params.k1 + 1)) / (f + params.k1 * lengthNorm));
  return sortedSparse(weights);
}

/**
 * One entry of weight 1 per distinct query term: a word's token, or its compound term when it has
 * several. Empty when the text has no searchable term.
 */
export function queryTerms(text: string): SparseTerms {
  const indices = new Set(analyzeWords(text).map((w) => termIndex(w.length > 1 ? compoundTerm(w) : w[0])));
  return sortedSparse([...indices].map((index): [number, number] => [index, 1]));
}
