/**
 * Both halves of the embedded store's SQLite FTS5 text, built with the project's one text analyzer
 * and lexical query definition (src/stores/bm25.ts):
 *
 * - `toFtsDocument`: the text stored in each FTS5 column (title, description, brand) is the
 *   column's analyzed terms joined by spaces; FTS5's tokenizer then only splits on those spaces.
 *   The store's lexical index is rebuilt from these columns at open.
 * - `toFtsQuery`: a MATCH expression from the query's phrases (`queryPhrases`). Each phrase is
 *   quoted (so "SKU-1042" matches the adjacent terms "sku 1042", and FTS5 operators, column filters
 *   and quotes in user text are inert), and the phrases are OR-ed so bm25 ranks documents matching
 *   more words higher. Null when the text holds no searchable word.
 *
 * Terms are runs of letters and digits only, so the phrases need no escaping; quotes are doubled
 * all the same, so the expression stays inert whatever the analyzer emits.
 */
import { LEXICAL_FIELDS, MAX_QUERY_WORDS, queryPhrases, type LexicalDocument } from '../bm25';

export { MAX_QUERY_WORDS };

/** The columns of a product's FTS5 row: its analyzed title, description and brand. */
export function toFtsDocument(document: LexicalDocument): [title: string, description: string, brand: string] {
  if (document.length !== LEXICAL_FIELDS.length) throw new RangeError(`a lexical document has ${LEXICAL_FIELDS.length} fields`);
  return [document[0].join(' '), document[1].join(' '), document[2].join(' ')];
}

export function toFtsQuery(text: string): string | null {
  const phrases = queryPhrases(text).map((terms) => `"${terms.join(' ').replace(/"/g, '""')}"`);
  if (phrases.length === 0) return null;
  return phrases.join(' OR ');
}
