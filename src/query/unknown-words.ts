/**
 * Readings of a word the catalogue does not use: what general knowledge says it names, each with a
 * confidence.
 *
 * - A colour name: the colour dictionary places it on the nearest catalogue colour (colour-names.ts);
 *   the confidence comes from its distance and its margin over the runner-up. An English word that
 *   some paint catalogue named a colour after ("wedding", "flip") counts only when its word vector is
 *   close to colours.
 * - Word vectors: the catalogue values a word is nearest to per attribute (lexicon.ts); the
 *   confidence comes from the similarity and its margin. A frequent English word ("need", "month")
 *   needs more.
 * - A compound's last part: an English compound names a kind of its head ("sundress" is a dress,
 *   "raincoat" a coat).
 * For a colour name the dictionary decides the colour (it knows what colour a name stands for; word
 * vectors only know which words keep company). A word may name values of several attributes
 * ("jeans": trousers and denim), one per attribute; its main reading is the first attribute in
 * READING_ORDER it names surely enough, other readings need more confidence.
 */
import type { PhraseTable } from './catalogue-phrases';
import type { ColourNames } from './colour-names';
import type { Lexicon } from './lexicon';
import type { RecognitionSource, UnderstandingOptions } from './query-understanding';

export interface Reading {
  name: string;
  value: string;
  confidence: number;
  source: Extract<RecognitionSource, 'colour-name' | 'word-vector' | 'compound'>;
}

/** Attributes a compound's last part names, and the shortest such part. */
const COMPOUND_HEADS = new Set(['category']);
const MIN_HEAD_LETTERS = 3;
/** Which attribute a word the catalogue does not use names first. */
const READING_ORDER = ['category', 'color', 'material', 'pattern'];

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

/** Singular candidates of an English plural ("plimsolls" -> "plimsoll", "dresses" -> "dress"). */
export function singulars(word: string): string[] {
  const out: string[] = [];
  if (word.endsWith('ies') && word.length > 4) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es') && word.length > 3) out.push(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) out.push(word.slice(0, -1));
  return out;
}

export class UnknownWords {
  constructor(
    private readonly phrases: PhraseTable,
    private readonly lexicon: Lexicon,
    private readonly colours: ColourNames,
    private readonly options: UnderstandingOptions,
  ) {}

  /**
   * The readings of a word, main reading first, each reading's confidence lowered by `penalty` (a
   * corrected word), none of an attribute in `named` (the query names it in the catalogue's words).
   */
  readings(word: string, penalty: number, named: ReadonlySet<string>): Reading[] {
    const colours = this.colourGuess(word);
    const candidates: Reading[] = this.vectorGuesses(word).filter((c) => !(colours.length && c.name === 'color'));
    for (const colour of colours) candidates.push({ name: 'color', value: colour.value, confidence: colour.confidence, source: 'colour-name' });
    const head = this.compoundHead(word);
    if (head) {
      // the head and the vectors agree: both readings stand; else the surer one decides below
      const same = candidates.find((c) => c.name === head.name && c.value === head.value);
      if (same) same.confidence = Math.max(same.confidence, head.confidence);
      else candidates.push(head);
    }
    const o = this.options;
    const order = (name: string) => (READING_ORDER.indexOf(name) + READING_ORDER.length + 1) % (READING_ORDER.length + 1);
    const sure = (c: Reading) => (c.confidence >= o.minConfidence ? 0 : 1);
    const ranked = candidates
      .filter((c) => !named.has(c.name))
      .map((c) => ({ ...c, confidence: clamp01(c.confidence - penalty) }))
      .sort((a, b) => sure(a) - sure(b) || order(a.name) - order(b.name) || b.confidence - a.confidence);
    return ranked.filter((c, n) => c.confidence >= (n === 0 ? o.minConfidence : o.secondReadingConfidence));
  }

  /** Whether a word names something with at least the minimum confidence. */
  hasReading(word: string): boolean {
    return this.readings(word, 0, new Set()).length > 0;
  }

  /** Whether general English knows the word well enough that it is no misspelling. */
  isKnownWord(word: string): boolean {
    if (this.colours.has(word)) return true;
    for (const w of [word, ...singulars(word)]) {
      const rank = this.lexicon.englishRankOf(w);
      if (rank !== null && rank <= this.options.knownWordRank) return true;
      if (this.vectorGuesses(w).some((g) => g.confidence >= this.options.minConfidence)) return true;
    }
    return false;
  }

  /** Whether general English vectors place a word near the catalogue's values of any attribute (a word in the shop's domain). */
  isDomainWord(word: string): boolean {
    return [word, ...singulars(word)].some((w) => this.lexicon.neighbours(w).length > 0);
  }

  /** Whether a word is among the most frequent English words (`commonWordRank`): filler unless it names something. */
  isCommonWord(word: string): boolean {
    const rank = this.lexicon.englishRankOf(word);
    return rank !== null && rank <= this.options.commonWordRank;
  }

  /**
   * The catalogue colour a dictionary colour name stands for, with a confidence, or the two it lies
   * between (`colourPairDeltaE`), nearest first; none when it names no colour.
   */
  colourGuess(name: string): { value: string; confidence: number }[] {
    const match = this.colours.match(name);
    if (!match) return [];
    const o = this.options;
    const rank = name.includes(' ') ? null : this.lexicon.englishRankOf(name);
    if (rank !== null) {
      // the more common the word, the closer to colours its meaning must be; rare words ("ecru",
      // "oxblood") are mostly colour names
      const colourSimilarity = this.lexicon.neighbours(name).find(([n]) => n === 'color')?.[2] ?? 0;
      if (colourSimilarity < (rank <= o.commonWordRank ? o.commonWordColourSimilarity : o.colourWordSimilarity)) return [];
    }
    const byDistance = match.deltaE <= o.colourDistanceLimit ? 1 : 0.5 ** ((match.deltaE - o.colourDistanceLimit) / o.colourDistanceScale);
    const sure = (margin: number) => clamp01((1 - Math.exp(-margin / o.colourMarginScale)) * byDistance);
    const { runnerUp, third } = match;
    if (runnerUp && runnerUp.deltaE - match.deltaE < o.colourPairDeltaE) {
      const confidence = sure(third ? third.deltaE - runnerUp.deltaE : Infinity);
      return [
        { value: match.value, confidence },
        { value: runnerUp.value, confidence },
      ];
    }
    return [{ value: match.value, confidence: sure(runnerUp ? runnerUp.deltaE - match.deltaE : Infinity) }];
  }

  /** Word-vector mappings of a word (or, failing that, its singular) to values of this catalogue, the best per attribute. */
  vectorGuesses(word: string): Reading[] {
    const o = this.options;
    for (const w of [word, ...singulars(word)]) {
      const best = new Map<string, Reading>();
      for (const [name, value, similarity, margin] of this.lexicon.neighbours(w)) {
        if (!o.vectorAttributes.includes(name) || !this.phrases.isValue(value)) continue; // not a value of this catalogue
        const bySimilarity = clamp01((similarity - o.vectorMinSimilarity) / (o.vectorFullSimilarity - o.vectorMinSimilarity));
        const confidence = bySimilarity * clamp01(margin / o.vectorFullMargin);
        if (confidence > (best.get(name)?.confidence ?? 0)) best.set(name, { name, value, confidence, source: 'word-vector' });
      }
      if (best.size === 0) continue;
      const rank = this.lexicon.englishRankOf(w);
      const common = rank !== null && rank <= o.commonWordRank;
      return [...best.values()].filter((g) => !common || g.confidence >= o.commonWordVectorConfidence);
    }
    return [];
  }

  /** A word the catalogue does not use that ends in a catalogue category word, after two letters or more. */
  compoundHead(word: string): Reading | null {
    for (const w of [word, ...singulars(word)]) {
      for (let i = 2; i + MIN_HEAD_LETTERS <= w.length; i++) {
        const entry = this.phrases.lookup([w.slice(i)])?.find((e) => COMPOUND_HEADS.has(e.name));
        if (entry) return { name: entry.name, value: entry.value, confidence: this.options.compoundConfidence * entry.confidence, source: 'compound' };
      }
    }
    return null;
  }
}
