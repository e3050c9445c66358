/**
 * Type declarations for the two small libraries behind the text analyzer (text-analyzer.ts), which
 * ship plain JavaScript without types: only the parts the analyzer calls are declared.
 */
declare module 'wink-porter2-stemmer' {
  /** The English Porter2 ("Snowball English") stem of one lower-case word. */
  function stem(word: string): string;
  export = stem;
}

declare module 'stopword' {
  /** The English stop-word list (lower case). */
  export const eng: readonly string[];
}
