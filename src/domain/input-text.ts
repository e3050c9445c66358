/**
 * How text from clients is cleaned, in one place, so every input treats control characters the
 * same way:
 *
 * - free text (a product's title and description, a search's text and modifier) has control
 *   characters removed: they are invisible noise from copy and paste, and dropping them changes
 *   nothing a reader or the search could use. Tabs and line breaks become spaces (a description
 *   keeps its line breaks and tabs). Unpaired UTF-16 surrogates become U+FFFD;
 * - identifiers and values compared for equality (ids, style ids, attribute names and values,
 *   brands, currencies, paths) refuse them instead: silently changing an identifier would make two
 *   different inputs the same key, or store a key the client cannot find again.
 *
 * Control characters are C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F). NUL in
 * particular truncates strings in C libraries (SQLite's FTS5 tokenizer among them).
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LONE_SURROGATE_ONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Free text with control characters removed: tab, line feed and carriage return (and, without
 * `keepLineBreaks`, also vertical tab and form feed) become spaces, the others are dropped.
 * Unpaired surrogates become U+FFFD. Not trimmed.
 */
export function cleanFreeText(value: string, options: { keepLineBreaks?: boolean } = {}): string {
  let out = value.replace(LONE_SURROGATE, '\uFFFD').replace(/\r\n?/g, '\n');
  if (options.keepLineBreaks) return out.replace(CONTROL_BUT_LINES, '');
  out = out.replace(/[\t\n\u000b\u000c\u0085]/g, ' ');
  return out.replace(CONTROL_ALL, '');
}

/** Why `value` cannot be an identifier ("a control character", "an unpaired surrogate"); null when it can. */
export function identifierProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'contains a control character (U+0000-U+001F, U+007F-U+009F)';
  if (LONE_SURROGATE_ONE.test(value)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}
