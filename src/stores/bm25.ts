/**
 * The project's one BM25: what a lexical query is, which fields a product is found by, and how a
 * match is scored. Both stores compute it; the definition lives here only.
 *
 * Fields and terms. A product is found by its title, description and brand, each turned into terms
 * by the project's one text analyzer (src/query/text-analyzer.ts: folding, English stop words,
 * Porter2 stemming). A query is a list of distinct phrases: each white-space separated word of the
 * query (at most MAX_QUERY_WORDS) gives the phrase of its terms ("SKU-1042" gives "sku 1042", which
 * matches those two terms adjacent in one field); phrases are OR-ed.
 *
 * Scoring: field-weighted term frequency with one document length, the form SQLite FTS5's `bm25()`
 * computes with column weights (a simplified BM25F, as against a sum of per-field BM25 scores):
 *
 *   score(d, q) = sum over phrases p of q:  idf(p) * f(p, d) * (k1 + 1) / (f(p, d) + k1 * (1 - b + b * |d| / avgdl))
 *   f(p, d)     = sum over fields c:  FIELD_WEIGHTS[c] * (occurrences of p in field c of d)
 *   idf(p)      = ln((N - n(p) + 0.5) / (n(p) + 0.5)), or 1e-6 where that is not positive
 *
 * with |d| the number of terms of d over all fields, avgdl the mean of |d| over the N documents,
 * n(p) the number of documents holding p, k1 = 1.2 and b = 0.75. Weighting occurrences before the
 * saturation (rather than summing per-field scores) keeps one term from scoring k1 + 1 once per
 * field, so a brand word repeated in the title and the description does not outweigh two distinct
 * query words; and it is what the embedded store computed with FTS5 before its in-memory index, so
 * the rankings did not move when the index did. Ties rank the lower slot (the older row) first.
 *
 * The embedded store computes exactly this (src/stores/embedded/lexical/, tested against FTS5's
 * bm25). The Qdrant adapter computes the same weighted frequency, k1, b and field weights on the
 * client (src/stores/qdrant/lexical-terms.ts) and leaves the IDF to Qdrant's `idf` modifier, whose
 * formula is ln(1 + (N - n + 0.5) / (n + 0.5)), with a configured rather than a live average
 * length; and it indexes a word of several terms as one compound term, so its phrases match a word
 * written the same way rather than any adjacent terms. The two stores agree on terms and weights,
 * not on every score.
 */
import { analyze, analyzeWords } from '../query/text-analyzer';

/** Term-frequency saturation. */
export const BM25_K1 = 1.2;
/** Length normalisation (0 = none, 1 = full). */
export const BM25_B = 0.75;
/** IDF of a phrase found in at least half the documents (FTS5's floor): it still counts, barely. */
export const MIN_IDF = 1e-6;

/** The fields a product is found by, in this order everywhere (FTS5 columns, index fields). */
export const LEXICAL_FIELDS = ['title', 'description', 'brand'] as const;
export type LexicalField = (typeof LEXICAL_FIELDS)[number];

/** What one occurrence of a term in each field counts for. */
export const FIELD_WEIGHTS: Readonly<Record<LexicalField, number>> = { title: 2, description: 1, brand: 3 };

/** FIELD_WEIGHTS in LEXICAL_FIELDS order. */
export const FIELD_WEIGHT_LIST: readonly number[] = LEXICAL_FIELDS.map((f) => FIELD_WEIGHTS[f]);

/** Words of a query beyond this many are ignored. */
export const MAX_QUERY_WORDS = 32;

/** A product's lexical text: the analyzed terms of each field, in LEXICAL_FIELDS order. */
export type LexicalDocument = string[][];

export function lexicalDocument(product: Readonly<Record<LexicalField, string>>): LexicalDocument {
  return LEXICAL_FIELDS.map((field) => analyze(product[field]));
}

/** The distinct phrases of a query, in the order of their first word; empty when no word is searchable. */
export function queryPhrases(text: string): string[][] {
  const seen = new Set<string>();
  const phrases: string[][] = [];
  for (const terms of analyzeWords(text).slice(0, MAX_QUERY_WORDS)) {
    const key = terms.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    phrases.push(terms);
  }
  return phrases;
}

/** idf of a phrase held by `documentFrequency` of `documentCount` documents. */
export function bm25Idf(documentCount: number, documentFrequency: number): number {
  const idf = Math.log((documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
  return idf <= 0 ? MIN_IDF : idf;
}

/**
 * One phrase's part of a document's score. Written in FTS5's order of operations, so that every
 * scorer calling it (the pruned search, the exhaustive reference) gets bit-identical sums. In exact
 * arithmetic it never decreases as `weightedFrequency` grows or as `documentLength` shrinks, which
 * makes (largest frequency, shortest length) an upper bound for a group of postings; rounding can
 * break that by an ulp, so pruning compares bounds with a relative tolerance.
 */
export function bm25TermScore(idf: number, weightedFrequency: number, documentLength: number, averageLength: number): number {
  return idf * ((weightedFrequency * (BM25_K1 + 1)) / (weightedFrequency + BM25_K1 * (1 - BM25_B + (BM25_B * documentLength) / averageLength)));
}
