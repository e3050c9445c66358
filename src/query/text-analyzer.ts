/**
 * The one text analyzer of the project: it turns text into tokens for query understanding and into
 * index terms for every lexical index (the embedded store's FTS5 table and the Qdrant adapter's BM25
 * sparse vectors), so that a product is indexed and a query is analysed by the same chain, as a
 * Lucene analyzer serves both sides.
 *
 * The chain:
 * 1. Folding: each character is decomposed (NFKD), combining marks and invisible format characters
 *    (soft hyphen, zero-width joiner) are removed and the rest is lower-cased: "Café" -> "cafe",
 *    full-width "ｄｒｅｓｓ" -> "dress", the ligature "ﬁ" -> "fi".
 * 2. Tokens: maximal runs of letters and digits (\p{L}\p{N}) of the folded text. Hyphens split
 *    ("t-shirt" -> "t", "shirt"; "non-leather" -> "non", "leather"), and `joinedToNext` says which
 *    tokens a single hyphen joined without spaces. An apostrophe between two letters or digits joins
 *    them into one token and is left out of its text: "don't" -> "dont", "women's" -> "womens",
 *    "levi's" -> "levis". One token per contraction keeps negation cues ("dont", "isnt") and brand
 *    names whole, and "women's" and "womens" meet in one stem. Each token carries the UTF-16
 *    offsets of its span in the ORIGINAL text (apostrophes and folded marks included), so a UI can
 *    highlight it; a character that folds into several (e.g. "½" -> "1⁄2") gives each resulting
 *    token the span of that one character.
 * 3. Index terms (`analyzeWords`): per white-space separated word, its tokens without stop words and
 *    one-character tokens, each stemmed. A word of several tokens that holds a digit is a code
 *    ("TE00017-2", "QX-7731"): it keeps every token, so the code stays findable and distinguishable
 *    ("te00017", "2"). Tokens made of digits or of letters outside a-z are not stemmed.
 *
 * Libraries, and why:
 * - Stemming is English Porter2 (the Snowball "english" stemmer) from `wink-porter2-stemmer`
 *   (winkjs, MIT): a small, dependency-free, maintained implementation that passes the Snowball
 *   reference vocabulary. Porter2 conflates what a fashion query needs ("sneakers"/"sneaker",
 *   "dresses"/"dress", "striped"/"stripes", "checked"/"checks") better than the plural-only
 *   stripping it replaces, and is the stemmer most search engines ship as their English default.
 * - Stop words are the English list of `stopword` (MIT, maintained, 60+ languages): a short list
 *   of function words ("the", "with", "for", "under") that keeps fashion words such as "top",
 *   "light" and "long" searchable.
 *
 * ANALYZER_VERSION names this chain; it changes whenever the index terms for some text would
 * change, and stores persist it to know when their lexical index must be rebuilt.
 */
import porter2 from 'wink-porter2-stemmer';
import { eng as ENGLISH_STOP_WORDS } from 'stopword';

/** Changes whenever `analyzeWords` would give other terms for some text. */
export const ANALYZER_VERSION = 'porter2-stopword-1';

export interface Token {
  /** Folded text: lower case, no accents, no apostrophes. */
  text: string;
  /** UTF-16 offset of the token's first character in the original text. */
  start: number;
  /** UTF-16 offset just past the token's last character in the original text. */
  end: number;
  /** True when exactly one hyphen (and nothing else) separates this token from the next. */
  joinedToNext: boolean;
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const APOSTROPHES = new Set(["'", '\u2019', '\u02bc']);
const IGNORABLE = /[\p{M}\p{Cf}]/gu;
const HYPHEN_JOIN = /^[-\u2010\u2011\ufe63\uff0d]$/u;
const WHITE_SPACE = /\s/u;
const DIGIT = /\p{N}/u;
const STEMMABLE = /^[a-z]+$/;
const STOP_WORDS: ReadonlySet<string> = new Set(ENGLISH_STOP_WORDS);

/** Folds text: NFKD, combining marks and format characters removed, lower case. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(IGNORABLE, '').toLowerCase().normalize('NFKD').replace(IGNORABLE, '');
}

function foldCodePoint(cp: number): string {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : String.fromCharCode(cp);
  return fold(String.fromCodePoint(cp));
}

/** The surface tokens of a text, with their spans in the original text. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current: Token | null = null;
  // An apostrophe seen right after a word character of the current token, not yet followed by one.
  let apostrophe = false;
  const close = () => {
    if (current) tokens.push(current);
    current = null;
    apostrophe = false;
  };
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const next = i + (cp > 0xffff ? 2 : 1);
    const piece = foldCodePoint(cp);
    if (piece === '') {
      // A combining mark or an invisible format character belongs to the token it follows.
      if (current && !apostrophe) (current as Token).end = next;
    }
    for (const ch of piece) {
      if (APOSTROPHES.has(ch)) {
        if (current && !apostrophe) apostrophe = true;
        else close();
      } else if (WORD_CHAR.test(ch)) {
        if (!current) current = { text: '', start: i, end: next, joinedToNext: false };
        apostrophe = false;
        current.text += ch;
        current.end = next;
      } else {
        close();
      }
    }
    i = next;
  }
  close();
  for (let k = 0; k + 1 < tokens.length; k++) {
    tokens[k].joinedToNext = HYPHEN_JOIN.test(text.slice(tokens[k].end, tokens[k + 1].start));
  }
  return tokens;
}

/** English Porter2 stem of a folded token; tokens that are not all a-z are returned unchanged. */
export function stem(word: string): string {
  return STEMMABLE.test(word) ? porter2(word) : word;
}

/** Whether a folded, lower-case word is on the English stop-word list. */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** The tokens of a text grouped by white-space separated word. */
export function tokenizeWords(text: string): Token[][] {
  const words: Token[][] = [];
  let word: Token[] = [];
  for (const token of tokenize(text)) {
    const previous = word[word.length - 1];
    if (previous && WHITE_SPACE.test(text.slice(previous.end, token.start))) {
      words.push(word);
      word = [];
    }
    word.push(token);
  }
  if (word.length > 0) words.push(word);
  return words;
}

/**
 * The index terms of each white-space separated word of a text; words left without terms are
 * omitted. A word of several tokens that holds a digit (a product code) keeps all its tokens; other
 * words lose stop words and one-character tokens. Every term is stemmed.
 */
export function analyzeWords(text: string): string[][] {
  const out: string[][] = [];
  for (const word of tokenizeWords(text)) {
    const isCode = word.length > 1 && word.some((t) => DIGIT.test(t.text));
    const terms = word
      .map((t) => t.text)
      .filter((t) => isCode || (t.length > 1 && !isStopWord(t)))
      .map(stem);
    if (terms.length > 0) out.push(terms);
  }
  return out;
}

/** The index terms of a text, in order. */
export function analyze(text: string): string[] {
  return analyzeWords(text).flat();
}
