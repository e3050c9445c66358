/**
 * Both halves of the embedded store's SQLite FTS5 text, built with the project's one text analyzer
 * and lexical query definition (src/stores/bm25.ts):
 *
 * - `toFtsDocument`: the text stored in each FTS5 column (title, description, brand) is the
 *   column's analyzed words joined by spaces, the terms of a word joined by WORD_JOINER (a control
 *   character, which FTS5's tokenizer treats as a separator like the space). FTS5 therefore indexes
 *   the terms, and `fromFtsColumn` gets the words back: the store's lexical index, which also
 *   indexes a word of several terms as one compound term, is rebuilt from these columns at open.
 * - `toFtsQuery`: a MATCH expression from the query's terms (`lexicalQuery`). Each term is quoted
 *   (a compound term "sku 1042" becomes the phrase of its terms, and FTS5 operators, column filters
 *   and quotes in user text are inert), and the terms are OR-ed. Null when the text holds no
 *   searchable word. FTS5's bm25() over it is the ranking the store had before its lexical index (an
 *   FTS5 idf, the live mean length, phrases across words); it stays for the benchmark's comparison.
 *
 * Terms are runs of letters and digits only, so the phrases need no escaping; quotes are doubled
 * all the same, so the expression stays inert whatever the analyzer emits.
 */
import { LEXICAL_FIELDS, lexicalQuery, MAX_QUERY_WORDS, type LexicalDocument } from '../bm25';

export { MAX_QUERY_WORDS };

/** Joins the terms of one word in a stored column. */
export const WORD_JOINER = '\u001f';

/** The columns of a product's FTS5 row: its analyzed title, description and brand. */
export function toFtsDocument(document: LexicalDocument): [title: string, description: string, brand: string] {
  if (document.length !== LEXICAL_FIELDS.length) throw new RangeError(`a lexical document has ${LEXICAL_FIELDS.length} fields`);
  const column = (words: string[][]) => words.map((terms) => terms.join(WORD_JOINER)).join(' ');
  return [column(document[0]), column(document[1]), column(document[2])];
}

/** The words of a stored column, each its terms. */
export function fromFtsColumn(text: string): string[][] {
  return text === '' ? [] : text.split(' ').map((word) => word.split(WORD_JOINER));
}

export function toFtsQuery(text: string): string | null {
  const terms = lexicalQuery(text).map((term) => `"${term.replace(/"/g, '""')}"`);
  if (terms.length === 0) return null;
  return terms.join(' OR ');
}
