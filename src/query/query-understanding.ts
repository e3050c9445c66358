/**
 * Query understanding: text in, an understood query out. Shared by every search mode (the text of
 * a text search, the modifier of a composed search) and every store, and shown in the API and the
 * search lab. The stages, in order:
 *
 * 1. Tokens (text-analyzer.ts): folded words with their offsets in the original text.
 * 2. Price phrases ("under 50", "between 20 and 40 euros") become a price constraint
 *    (price-phrases.ts); their words leave the query.
 * 3. Negation cues ("not", "without", "anything but") mark the span they govern
 *    (exclusion-phrases.ts); the cue words leave the query.
 * 4. Spelling: a word that is neither the catalogue's (its titles, descriptions, attribute values,
 *    brands) nor a known English word is corrected to the closest catalogue word, keyboard-aware
 *    (spelling-corrector.ts); the original stays in the result.
 * 5. Attributes, most certain source first:
 *    - the catalogue's own values and the phrases its texts use for them (lexicon.ts), matched by
 *      stem, longest phrase first ("dark blue" before "blue", "sneakers" for "sneaker");
 *    - then, for words still unexplained: a compound's last part ("sundress" is a dress), a colour dictionary of about 30,000 names mapped to the
 *      catalogue's colours by perceptual distance (colour-names.ts), and general English word
 *      vectors mapped to the catalogue's values (lexicon.ts `vectors`). Each gives a confidence:
 *      from the colour distance and its margin over the runner-up, from the vector similarity and
 *      its margin. An attribute the query already names literally is not guessed again.
 * 6. Polarity: inside a negation span, the first attribute named and any other value of the same
 *    attribute there are excluded ("no leather boots" excludes leather, not boots); everything else
 *    is included.
 *
 * The result also carries the text the towers should encode (`searchText`: included attributes in
 * the catalogue's words, other meaningful words as corrected, negations, prices and filler out) and
 * the text for BM25 (`lexicalText`). Pure and synchronous; built per catalogue vocabulary.
 */
import { contentTokens, MAX_PHRASE_WORDS, PhraseTable, type ValueCounts } from './catalogue-phrases';
import { ColourNames } from './colour-names';
import { negationScopes } from './exclusion-phrases';
import type { Lexicon } from './lexicon';
import { parsePrice } from './price-phrases';
import { SpellingCorrector, type DictionaryEntry } from './spelling-corrector';
import { isStopWord, tokenize, type Token } from './text-analyzer';
import { UnknownWords } from './unknown-words';

export type { ValueCounts } from './catalogue-phrases';

export type AttributePolarity = 'include' | 'exclude';
/** Where a recognised attribute comes from, most certain first. */
export type RecognitionSource = 'catalogue' | 'catalogue-phrase' | 'compound' | 'colour-name' | 'word-vector';

export interface RecognisedAttribute {
  name: string;
  value: string;
  polarity: AttributePolarity;
  /** 0..1: 1 for the catalogue's own words, less for guesses and corrected words. */
  confidence: number;
  source: RecognitionSource;
  /** The words it was read from, after spelling correction. */
  words: string;
  /** UTF-16 offsets of those words in the original text. */
  start: number;
  end: number;
}

export interface SpellingCorrection {
  from: string;
  to: string;
  start: number;
  end: number;
}

export interface PriceConstraint {
  min: number | null;
  max: number | null;
  currency: string | null;
  start: number;
  end: number;
}

export interface UnderstoodQuery {
  text: string;
  /** The text with spelling corrections applied; null when nothing was corrected. */
  correctedText: string | null;
  corrections: SpellingCorrection[];
  attributes: RecognisedAttribute[];
  price: PriceConstraint | null;
  /** What the dense towers encode: included attributes and meaningful words; empty when nothing is left. */
  searchText: string;
  /** What BM25 matches: the search text plus the catalogue names of guessed values. */
  lexicalText: string;
}

export interface UnderstandingOptions {
  /** Recognitions below this confidence are dropped. */
  minConfidence: number;
  /** English words at least this frequent (1-based rank) are never treated as misspellings. */
  knownWordRank: number;
  /** Unrecognised English words at least this frequent are filler ("need", "show", "month"). */
  commonWordRank: number;
  /** A colour name that is also a common English word needs this similarity to colour words. */
  commonWordColourSimilarity: number;
  /** A word's readings beyond its best one need this confidence. */
  secondReadingConfidence: number;
  /** Other English words (among the lexicon's known words) need this similarity to be colour names. */
  colourWordSimilarity: number;
  /**
   * Attributes word vectors may name. Colours are left to the colour dictionary, which knows what
   * colour a name stands for; vectors only know which words keep company ("colour", "shade" and
   * "darker" sit close to colours without naming one).
   */
  vectorAttributes: readonly string[];
  /** A word the catalogue does not use is said in the catalogue's words to the towers from this confidence. */
  rewriteConfidence: number;
  /** A frequent English word needs this word-vector confidence to name a value. */
  commonWordVectorConfidence: number;
  /** Colour-name confidence: 1 - exp(-margin / scale), margin = runner-up distance - distance (CIEDE2000). */
  colourMarginScale: number;
  /**
   * A colour name whose two nearest catalogue colours are within this CIEDE2000 distance of each
   * other stands for both ("ebony" between black and charcoal), sure as far as the third is from
   * them; 0: always the nearest alone.
   */
  colourPairDeltaE: number;
  /** Colour distances beyond this lose confidence (halved every `colourDistanceScale` further). */
  colourDistanceLimit: number;
  colourDistanceScale: number;
  /** Word-vector confidence rises from 0 at `vectorMinSimilarity` to 1 at `vectorFullSimilarity`... */
  vectorMinSimilarity: number;
  vectorFullSimilarity: number;
  /** ...times min(1, margin / vectorFullMargin). */
  vectorFullMargin: number;
  /** Confidence of a compound read by its last part ("sundress" -> dress). */
  compoundConfidence: number;
  /** Most weighted edits for correcting an unknown word (a slip or two, not a different word). */
  maxCorrectionDistance: number;
  /** Most weighted edits for correcting a real word that names nothing (see the second spelling pass). */
  contextCorrectionDistance: number;
  /** Confidence lost per unit of weighted edit distance of a corrected word. */
  spellingPenalty: number;
}

export const DEFAULT_UNDERSTANDING_OPTIONS: UnderstandingOptions = {
  minConfidence: 0.3,
  knownWordRank: 40_000,
  commonWordRank: 5_000,
  commonWordColourSimilarity: 0.45,
  commonWordVectorConfidence: 0.6,
  vectorAttributes: ['category'],
  rewriteConfidence: 0.5,
  colourWordSimilarity: 0.35,
  secondReadingConfidence: 0.5,
  colourMarginScale: 2,
  colourPairDeltaE: 0,
  colourDistanceLimit: 15,
  colourDistanceScale: 10,
  vectorMinSimilarity: 0.45,
  vectorFullSimilarity: 0.7,
  vectorFullMargin: 0.05,
  compoundConfidence: 0.6,
  maxCorrectionDistance: 1.5,
  contextCorrectionDistance: 1,
  spellingPenalty: 0.2,
};

/** A recognition before polarity is decided: token range [from, to). */
interface Match {
  from: number;
  to: number;
  name: string;
  value: string;
  confidence: number;
  source: RecognitionSource;
}

const MAX_TOKENS = 64;
const ALPHA = /^[a-z]+$/;
/** Attributes whose catalogue names BM25 also searches when the query used another phrase for them. */
const RETRIEVAL_NAMES = new Set(['category', 'color', 'pattern', 'material']);

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export class QueryUnderstanding {
  private readonly phrases: PhraseTable;
  private readonly corrector: SpellingCorrector;
  private readonly colours: ColourNames;
  private readonly unknown: UnknownWords;
  private readonly options: UnderstandingOptions;

  /**
   * @param values the live catalogue's attribute values (with product counts) that text can name
   * @param lexicon what training learned beyond the values (may be empty)
   * @param colourDictionary the colour names (colour-names.ts loadColourDictionary)
   */
  constructor(values: ValueCounts, lexicon: Lexicon, colourDictionary: ReadonlyMap<string, string>, options: Partial<UnderstandingOptions> = {}) {
    this.options = { ...DEFAULT_UNDERSTANDING_OPTIONS, ...options };
    this.phrases = new PhraseTable(values, lexicon);
    const dictionary: DictionaryEntry[] = [];
    for (const counts of Object.values(values)) {
      for (const [value, count] of Object.entries(counts)) for (const w of contentTokens(value)) if (ALPHA.test(w)) dictionary.push({ word: w, frequency: count });
    }
    for (const [word, frequency] of lexicon.terms) dictionary.push({ word, frequency });
    // Two-letter words are corrected only in context (the second spelling pass of understand()).
    this.corrector = new SpellingCorrector(dictionary, { minWordLength: 2 });
    this.colours = new ColourNames(colourDictionary, Object.keys(values.color ?? {}), lexicon.colourAnchors);
    this.unknown = new UnknownWords(this.phrases, lexicon, this.colours, this.options);
  }

  understand(text: string, { correctSpelling = true }: { correctSpelling?: boolean } = {}): UnderstoodQuery {
    const tokens = tokenize(text).slice(0, MAX_TOKENS);
    const consumed = new Array<boolean>(tokens.length).fill(false);

    const pricePhrase = parsePrice(tokens, text);
    let price: PriceConstraint | null = null;
    if (pricePhrase) {
      const [a, b] = pricePhrase.tokens;
      for (let i = a; i < b; i++) consumed[i] = true;
      price = { min: pricePhrase.min, max: pricePhrase.max, currency: pricePhrase.currency, start: tokens[a].start, end: tokens[b - 1].end };
    }
    const scopes = negationScopes(tokens, text);
    for (const s of scopes) for (let i = s.cue[0]; i < s.cue[1]; i++) consumed[i] = true;

    // Spelling, first pass: words that neither the catalogue nor English knows.
    const words = tokens.map((t) => t.text);
    const corrections: SpellingCorrection[] = [];
    const editCost = new Array<number>(tokens.length).fill(0);
    const correct = (i: number, to: string, distance: number) => {
      words[i] = to;
      editCost[i] = distance;
      corrections.push({ from: tokens[i].text, to, start: tokens[i].start, end: tokens[i].end });
    };
    if (correctSpelling) {
      tokens.forEach((t, i) => {
        if (consumed[i] || isStopWord(t.text) || t.text.length < 3 || !this.mayBeMisspelt(t.text)) return;
        const best = this.corrector.correct(t.text);
        if (best && best.distance <= this.options.maxCorrectionDistance) correct(i, best.word, best.distance);
      });
    }

    // Attributes: the catalogue's phrases, longest first, over the content words.
    const content = tokens.map((_, i) => i).filter((i) => !consumed[i] && !isStopWord(words[i]));
    let { matches, explained } = this.catalogueMatches(content, words, editCost);

    // Spelling, second pass: a real word that names nothing and means nothing near fashion ("cost",
    // "lack", "bg"), one slip away from a catalogue word that names an attribute the query does not
    // name yet ("whit cost" -> coat, "lack t-shirt" -> black). Context decides what the first pass
    // could not; a word near the catalogue's meanings ("tone", "shade") is left as the shopper wrote it.
    if (correctSpelling) {
      const named = new Set(matches.map((m) => m.name));
      for (const i of content) {
        const word = words[i];
        if (explained.has(i) || editCost[i] > 0 || !ALPHA.test(word) || word.length < 2 || this.isCatalogueWord(word) || this.unknown.isDomainWord(word)) continue;
        for (const candidate of this.corrector.suggest(word, 5)) {
          if (candidate.distance === 0 || candidate.distance > this.options.contextCorrectionDistance) continue;
          const tried = [...words];
          tried[i] = candidate.word;
          const found = this.catalogueMatches(content, tried, editCost);
          if (!found.matches.some((m) => m.from <= i && i < m.to && !named.has(m.name))) continue;
          correct(i, candidate.word, candidate.distance);
          ({ matches, explained } = this.catalogueMatches(content, words, editCost));
          for (const m of matches) named.add(m.name);
          break;
        }
      }
    }
    this.colourPhrases(content, words, explained, matches);
    this.guessUnexplained(content, tokens, words, editCost, explained, matches);

    const attributes = this.withPolarity(
      matches.filter((m) => m.confidence >= this.options.minConfidence),
      scopes,
      tokens,
      words,
    );
    const { searchText, lexicalText } = this.texts(tokens, words, consumed, attributes);
    return {
      text,
      correctedText: corrections.length ? applyCorrections(text, corrections) : null,
      corrections,
      attributes,
      price,
      searchText,
      lexicalText,
    };
  }

  /** Whether the catalogue uses the word (its texts, values or phrases). */
  private isCatalogueWord(word: string): boolean {
    return this.corrector.has(word) || this.phrases.hasWord(word);
  }

  /** Whether a word may be a misspelling: not the catalogue's, not a known or colour word, not a number. */
  private mayBeMisspelt(word: string): boolean {
    return ALPHA.test(word) && !this.isCatalogueWord(word) && !this.unknown.isKnownWord(word);
  }

  /** The catalogue's phrases over the content words, longest first; and the tokens they explain. */
  private catalogueMatches(content: number[], words: string[], editCost: number[]): { matches: Match[]; explained: Set<number> } {
    const matches: Match[] = [];
    const explained = new Set<number>();
    for (let k = 0; k < content.length; ) {
      let taken = 0;
      for (let n = Math.min(MAX_PHRASE_WORDS, content.length - k); n >= 1 && taken === 0; n--) {
        const span = content.slice(k, k + n);
        const entries = this.phrases.lookup(span.map((i) => words[i]));
        if (!entries) continue;
        const penalty = span.reduce((c, i) => c + editCost[i], 0) * this.options.spellingPenalty;
        for (const e of entries) {
          matches.push({ from: span[0], to: span[span.length - 1] + 1, name: e.name, value: e.value, confidence: clamp01(e.confidence - penalty), source: e.source });
        }
        span.forEach((i) => explained.add(i));
        taken = n;
      }
      k += taken || 1;
    }
    return { matches, explained };
  }

  /**
   * Colour names of two or more words that the catalogue does not know as one phrase ("powder blue",
   * "hot pink"): when the dictionary places them on another catalogue colour than the catalogue word
   * inside them, the whole name wins.
   */
  private colourPhrases(content: number[], words: string[], explained: Set<number>, matches: Match[]): void {
    for (let k = 0; k + 1 < content.length; k++) {
      for (let n = Math.min(this.colours.maxWords, 3, content.length - k); n >= 2; n--) {
        const span = content.slice(k, k + n);
        if (span[n - 1] - span[0] !== n - 1) continue; // adjacent words only
        const name = span.map((i) => words[i]).join(' ');
        if (!this.colours.has(name)) continue;
        const inside = matches.filter((m) => m.from >= span[0] && m.to <= span[n - 1] + 1);
        if (inside.some((m) => m.name !== 'color' && m.name !== 'colorFamily')) continue;
        if (inside.some((m) => m.from === span[0] && m.to === span[n - 1] + 1)) continue; // the catalogue knows the phrase
        // Only words the catalogue does not use may turn its colour into another ("powder blue"),
        // not its own words ("green day dress", "jet black", "mint green").
        const covered = new Set(inside.flatMap((m) => Array.from({ length: m.to - m.from }, (_, x) => m.from + x)));
        if (span.some((i) => !covered.has(i) && this.isCatalogueWord(words[i])) || span.every((i) => this.isCatalogueWord(words[i]))) continue;
        const guesses = this.unknown.colourGuess(name);
        const guess = guesses[0];
        if (!guess || guess.confidence < this.options.minConfidence) continue;
        const literal = inside.find((m) => m.name === 'color');
        if (literal && guesses.some((g) => g.value === literal.value)) continue;
        for (const m of inside) matches.splice(matches.indexOf(m), 1);
        for (const g of guesses) matches.push({ from: span[0], to: span[n - 1] + 1, name: 'color', value: g.value, confidence: g.confidence, source: 'colour-name' });
        span.forEach((i) => explained.add(i));
        k += n - 1;
        break;
      }
    }
  }

  /**
   * Colour-name and word-vector guesses for the content words nothing explained yet: hyphenated
   * compounds first ("flip-flops", "blue-green"), then single words.
   */
  private guessUnexplained(content: number[], tokens: Token[], words: string[], editCost: number[], explained: Set<number>, matches: Match[]): void {
    const named = new Set(matches.filter((m) => m.confidence >= 0.9).map((m) => m.name));
    if (named.has('color')) named.add('colorFamily');
    const spans: [number, number][] = [];
    for (let k = 0; k < content.length; k++) {
      const i = content[k];
      const j = content[k + 1];
      if (j === i + 1 && tokens[i].joinedToNext && !explained.has(i) && !explained.has(j)) {
        spans.push([i, j + 1]);
        k++;
      } else spans.push([i, i + 1]);
    }
    for (const [from, to] of spans) {
      if (explained.has(from)) continue;
      const parts = words.slice(from, to);
      if (!parts.every((w) => ALPHA.test(w))) continue;
      const forms = to - from > 1 ? [parts.join('-'), parts.join(''), parts.join(' ')] : parts;
      let found = false;
      for (const form of forms) {
        if (form.length < 3 || found) continue;
        found = this.guessWord(form, from, to, editCost.slice(from, to).reduce((a, b) => a + b, 0), named, matches);
      }
      if (found) for (let i = from; i < to; i++) explained.add(i);
      else if (to - from > 1) {
        // the compound means nothing as a whole: try its words one by one
        for (let i = from; i < to; i++) if (words[i].length >= 3 && this.guessWord(words[i], i, i + 1, editCost[i], named, matches)) explained.add(i);
      }
    }
  }

  /** Adds the readings of one word (or compound) over tokens [from, to); whether there was any. */
  private guessWord(word: string, from: number, to: number, editCost: number, named: Set<string>, matches: Match[]): boolean {
    const readings = this.unknown.readings(word, editCost * this.options.spellingPenalty, named);
    for (const r of readings) matches.push({ ...r, from, to });
    return readings.length > 0;
  }

  private withPolarity(matches: Match[], scopes: ReturnType<typeof negationScopes>, tokens: Token[], words: string[]): RecognisedAttribute[] {
    const excluded = new Set<Match>();
    for (const { scope } of scopes) {
      const inside = matches.filter((m) => m.from >= scope[0] && m.to <= scope[1]).sort((a, b) => a.from - b.from);
      if (inside.length === 0) continue;
      const first = inside[0];
      for (const m of inside) {
        const sameSpan = m.from === first.from && m.to === first.to;
        if (sameSpan || m.name === first.name) excluded.add(m);
      }
      // the same words read once more (a colour's family) are excluded with them: "not navy blue"
      const spans = inside.filter((m) => excluded.has(m));
      for (const m of inside) if (spans.some((e) => e.from === m.from && e.to === m.to)) excluded.add(m);
    }
    const out = new Map<string, RecognisedAttribute>();
    for (const m of matches.sort((a, b) => a.from - b.from)) {
      const polarity: AttributePolarity = excluded.has(m) ? 'exclude' : 'include';
      const key = `${m.name}\u0000${m.value}\u0000${polarity}`;
      const prior = out.get(key);
      if (prior && prior.confidence >= m.confidence) continue;
      out.set(key, {
        name: m.name,
        value: m.value,
        polarity,
        confidence: round(m.confidence),
        source: m.source,
        words: words.slice(m.from, m.to).join(' '),
        start: tokens[m.from].start,
        end: tokens[m.to - 1].end,
      });
    }
    return [...out.values()];
  }

  private texts(tokens: Token[], words: string[], consumed: boolean[], attributes: RecognisedAttribute[]): { searchText: string; lexicalText: string } {
    const search: string[] = [];
    const extra: string[] = [];
    const at = (i: number) => attributes.filter((a) => a.start <= tokens[i].start && tokens[i].end <= a.end);
    let i = 0;
    while (i < tokens.length) {
      if (consumed[i] || isStopWord(words[i])) {
        i++;
        continue;
      }
      const here = at(i);
      if (here.some((a) => a.polarity === 'exclude')) {
        i++;
        continue;
      }
      if (here.length > 0) {
        const widest = here.reduce((x, y) => (y.end - y.start > x.end - x.start ? y : x));
        const end = tokens.findIndex((t) => t.end >= widest.end);
        const guessed = here.filter((a) => a.source === 'colour-name' || a.source === 'word-vector' || a.source === 'compound');
        if (guessed.length > 0 && guessed.length === here.length) {
          // a word the catalogue does not use: said in the catalogue's words when the reading is sure
          const sure = guessed.filter((a) => a.confidence >= this.options.rewriteConfidence);
          if (sure.length) for (const a of sure) search.push(a.value.replace(/-/g, ' '));
          else search.push(words.slice(i, end + 1).join(' '));
        } else {
          search.push(words.slice(i, end + 1).filter((w) => !isStopWord(w)).join(' '));
          for (const a of here) if (a.source === 'catalogue-phrase' && RETRIEVAL_NAMES.has(a.name)) extra.push(a.value.replace(/-/g, ' '));
        }
        i = end + 1;
        continue;
      }
      const filler = !this.isCatalogueWord(words[i]) && this.unknown.isCommonWord(words[i]); // "need", "show", "month"
      if (!filler) search.push(words[i]);
      i++;
    }
    const searchText = search.join(' ').trim();
    return { searchText, lexicalText: [searchText, ...extra].join(' ').trim() };
  }
}

function applyCorrections(text: string, corrections: SpellingCorrection[]): string {
  let out = '';
  let at = 0;
  for (const c of [...corrections].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, c.start) + c.to;
    at = c.end;
  }
  return out + text.slice(at);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
