/**
 * Turns free text into an SQLite FTS5 MATCH expression: each whitespace-separated word becomes a
 * quoted phrase (so "SKU-1042" matches the adjacent tokens sku, 1042 and FTS5 operators in user
 * text are inert), and phrases are OR-ed so bm25 ranks documents matching more words higher.
 * Returns null when the text holds no searchable word.
 */
export const MAX_QUERY_WORDS = 32;

export function toFtsQuery(text: string): string | null {
  const words = text
    .normalize('NFKC')
    .split(/\s+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, MAX_QUERY_WORDS);
  if (words.length === 0) return null;
  return [...new Set(words)].map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
}
