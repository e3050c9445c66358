/**
 * Both halves of the embedded store's SQLite FTS5 text, built with the project's one text analyzer
 * (src/query/text-analyzer.ts: accent folding, English stop words, Porter2 stemming) so that the
 * FTS5 index and the Qdrant adapter's BM25 terms agree ("sneaker" finds "sneakers" in both):
 *
 * - `toFtsDocument`: the text stored in each FTS5 column (title, description, brand) is the
 *   column's analyzed terms joined by spaces; FTS5's tokenizer then only splits on those spaces.
 * - `toFtsQuery`: a MATCH expression from the analyzed query. Each white-space separated word
 *   becomes a quoted phrase of its terms (so "SKU-1042" matches the adjacent terms "sku 1042", and
 *   FTS5 operators, column filters and quotes in user text are inert), and the phrases are OR-ed so
 *   bm25 ranks documents matching more words higher. Null when the text holds no searchable word.
 *
 * Terms are runs of letters and digits only, so the phrases need no escaping; quotes are doubled
 * all the same, so the expression stays inert whatever the analyzer emits.
 */
import { analyze, analyzeWords } from '../../query/text-analyzer';

export const MAX_QUERY_WORDS = 32;

/** The columns of a product's FTS5 row: its analyzed title, description and brand. */
export function toFtsDocument(product: { title: string; description: string; brand: string }): [title: string, description: string, brand: string] {
  return [analyze(product.title).join(' '), analyze(product.description).join(' '), analyze(product.brand).join(' ')];
}

export function toFtsQuery(text: string): string | null {
  const phrases = analyzeWords(text)
    .slice(0, MAX_QUERY_WORDS)
    .map((terms) => `"${terms.join(' ').replace(/"/g, '""')}"`);
  if (phrases.length === 0) return null;
  return [...new Set(phrases)].join(' OR ');
}
