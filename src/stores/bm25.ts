/**
 * The project's one BM25: what a lexical query is, which fields a product is found by, and how a
 * match is scored. Both stores compute exactly this, and the definition lives here only.
 *
 * Fields, words and terms. A product is found by its title, description and brand. Each field is
 * split into white-space separated words and each word into terms by the project's one text
 * analyzer (src/query/text-analyzer.ts: folding, English stop words, Porter2 stemming). A word of
 * several terms ("QX-7731", "button-down") is also indexed as one compound term ("qx 7731"). The
 * index terms of a field are its words' terms, each word's compound term after its own terms.
 *
 * A query is a list of distinct index terms: each white-space separated word of the query (at most
 * MAX_QUERY_WORDS) gives its term, or its compound term when it has several, so "QX-7731" matches
 * that code written as one word rather than any product holding "qx". Terms are OR-ed.
 *
 * Scoring: field-weighted term frequency with one document length (a simplified BM25F, as against
 * a sum of per-field BM25 scores), with Lucene's idf:
 *
 *   score(d, q) = sum over terms t of q:  idf(t) * f(t, d) * (k1 + 1) / (f(t, d) + k1 * (1 - b + b * |d| / avgdl))
 *   f(t, d)     = sum over fields c:  FIELD_WEIGHTS[c] * (occurrences of t in field c of d)
 *   idf(t)      = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))
 *
 * with |d| the number of terms of d over all fields (compound terms not counted), N the number of
 * documents holding at least one term, n(t) the number holding t, k1 = 1.2, b = 0.75 and avgdl the
 * fixed AVERAGE_DOCUMENT_LENGTH. Weighting occurrences before the saturation keeps one term from
 * scoring k1 + 1 once per field, so a brand word repeated in the title and the description does not
 * outweigh two distinct query words.
 *
 * Why this form: it is the BM25 that Qdrant can compute over sparse vectors. The document part
 * (everything but the idf) is fixed when a product is written, so avgdl is a constant rather than
 * the live mean (a live mean would change every stored weight with every write), and the idf is the
 * one Qdrant's `idf` modifier applies over the live collection. The embedded store's index
 * (src/stores/embedded/lexical/) computes the whole formula; the Qdrant adapter
 * (src/stores/qdrant/lexical-terms.ts) stores the document parts as sparse vectors and lets Qdrant
 * apply the idf; a contract test (test/contract/lexical-ranking.test.ts) checks that both stores
 * rank the same products in the same order with the same scores. Ties rank the lower slot (the
 * older row) first in the embedded store.
 */
import { analyzeWords } from '../query/text-analyzer';

/** Term-frequency saturation. */
export const BM25_K1 = 1.2;
/** Length normalisation (0 = none, 1 = full). */
export const BM25_B = 0.75;
/**
 * avgdl: the document length (in terms) at which length normalisation is neutral: the mean over the
 * validation catalogue, 30.4 terms (title, description and brand of the 10,000 products of
 * data/validation/products.jsonl, `npm run seed:validation`, counted with `documentLength`).
 */
export const AVERAGE_DOCUMENT_LENGTH = 30;

/** The fields a product is found by, in this order everywhere (FTS5 columns, index fields). */
export const LEXICAL_FIELDS = ['title', 'description', 'brand'] as const;
export type LexicalField = (typeof LEXICAL_FIELDS)[number];

/** What one occurrence of a term in each field counts for. */
export const FIELD_WEIGHTS: Readonly<Record<LexicalField, number>> = { title: 2, description: 1, brand: 3 };

/** FIELD_WEIGHTS in LEXICAL_FIELDS order. */
export const FIELD_WEIGHT_LIST: readonly number[] = LEXICAL_FIELDS.map((f) => FIELD_WEIGHTS[f]);

/** Words of a query beyond this many are ignored. */
export const MAX_QUERY_WORDS = 32;

/** A product's lexical text: for each field (LEXICAL_FIELDS order) its words, each the word's analyzed terms. */
export type LexicalDocument = string[][][];

export function lexicalDocument(product: Readonly<Record<LexicalField, string>>): LexicalDocument {
  return LEXICAL_FIELDS.map((field) => analyzeWords(product[field]));
}

/** The single term standing for a word of several terms. Analyzed terms hold no space, so compound terms are told apart by theirs. */
export function compoundTerm(terms: readonly string[]): string {
  return terms.join(' ');
}

/** The term a query word looks for: its only term, or its compound term. */
function wordTerm(terms: readonly string[]): string {
  return terms.length === 1 ? terms[0] : compoundTerm(terms);
}

/** The index terms of one field's words, in order: each word's terms, then its compound term when it has several. */
export function fieldTerms(words: readonly (readonly string[])[]): string[] {
  const terms: string[] = [];
  for (const word of words) {
    for (const term of word) terms.push(term);
    if (word.length > 1) terms.push(compoundTerm(word));
  }
  return terms;
}

/** |d|: the number of terms over all fields, compound terms not counted. */
export function documentLength(document: LexicalDocument): number {
  let length = 0;
  for (const words of document) for (const word of words) length += word.length;
  return length;
}

/** f(t, d) of every index term of the document. */
export function termFrequencies(document: LexicalDocument, fieldWeights: readonly number[] = FIELD_WEIGHT_LIST): Map<string, number> {
  const frequencies = new Map<string, number>();
  document.forEach((words, field) => {
    for (const term of fieldTerms(words)) frequencies.set(term, (frequencies.get(term) ?? 0) + fieldWeights[field]);
  });
  return frequencies;
}

/** The distinct index terms a query looks for, in the order of their first word; empty when no word is searchable. */
export function lexicalQuery(text: string): string[] {
  return [...new Set(analyzeWords(text).slice(0, MAX_QUERY_WORDS).map(wordTerm))];
}

/** idf of a term held by `documentFrequency` of `documentCount` documents (Lucene's and Qdrant's; always positive). */
export function bm25Idf(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * The document part of a term's score (all of it but the idf): what the Qdrant adapter stores per
 * term of a point. In exact arithmetic it never decreases as `weightedFrequency` grows or as
 * `documentLength` shrinks, which makes (largest frequency, shortest length) an upper bound for a
 * group of postings; rounding can break that by an ulp, so pruning compares bounds with a relative
 * tolerance.
 */
export function bm25DocumentWeight(weightedFrequency: number, documentLength: number, averageLength = AVERAGE_DOCUMENT_LENGTH, k1 = BM25_K1, b = BM25_B): number {
  return (weightedFrequency * (k1 + 1)) / (weightedFrequency + k1 * (1 - b + (b * documentLength) / averageLength));
}

/** One term's part of a document's score. Every scorer of the embedded store calls it, so the pruned search and the exhaustive reference get bit-identical sums. */
export function bm25TermScore(idf: number, weightedFrequency: number, documentLength: number, averageLength: number = AVERAGE_DOCUMENT_LENGTH): number {
  return idf * bm25DocumentWeight(weightedFrequency, documentLength, averageLength);
}
