/**
 * Client-side half of the project's BM25 (src/stores/bm25.ts) over Qdrant sparse vectors.
 *
 * Qdrant stores a sparse vector `lexical` per product whose values are the document parts of BM25
 * (`bm25DocumentWeight`: the field-weighted frequency saturated with k1, normalised with b against
 * the fixed average length), one per index term of the product, computed here from the same
 * analyzed words as the embedded store's index. The collection declares `modifier: idf`, so Qdrant
 * multiplies each query term by ln(1 + (N - n + 0.5) / (n + 0.5)) over the points holding a
 * lexical vector, which is the project's idf. A query sends weight 1 per index term of
 * `lexicalQuery`. The score of a product is therefore the project's BM25, and the embedded store
 * and this adapter rank the same products in the same order (test/contract/lexical-ranking.test.ts).
 *
 * Terms are hashed to uint32 sparse indices (FNV-1a over their UTF-8 bytes). Points keep the
 * weights they were written with: re-ingest a collection after ANALYZER_VERSION, the field weights,
 * k1, b or the average length change (`lexical` options change the last three for this adapter
 * only, which departs from the embedded store's ranking).
 *
 * Everything here is pure: hashing terms to uint32 indices and BM25 weights.
 */
import { AVERAGE_DOCUMENT_LENGTH, BM25_B, BM25_K1, bm25DocumentWeight, documentLength, lexicalDocument, lexicalQuery, termFrequencies, type LexicalField } from '../bm25';

export interface Bm25Params {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation (0 = none, 1 = full). */
  b: number;
  /** Expected document length in terms; fixed so that weights do not depend on the rest of the catalogue. */
  avgDocLength: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: BM25_K1, b: BM25_B, avgDocLength: AVERAGE_DOCUMENT_LENGTH };

export interface SparseTerms {
  indices: number[];
  values: number[];
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

/** The BM25 document part of each index term of a product's title, description and brand (the idf is applied by Qdrant). */
export function documentTerms(product: Readonly<Record<LexicalField, string>>, params: Bm25Params = DEFAULT_BM25): SparseTerms {
  const document = lexicalDocument(product);
  const length = documentLength(document);
  const weights = new Map<number, number>();
  for (const [term, f] of termFrequencies(document)) weights.set(termIndex(term), bm25DocumentWeight(f, length, params.avgDocLength, params.k1, params.b));
  return sortedSparse(weights);
}

/** One entry of weight 1 per distinct index term of the query (`lexicalQuery`). Empty when the text has no searchable term. */
export function queryTerms(text: string): SparseTerms {
  const indices = new Set(lexicalQuery(text).map(termIndex));
  return sortedSparse([...indices].map((index): [number, number] => [index, 1]));
}
