/**
 * The phrases that name the catalogue's attribute values: the live catalogue's values themselves
 * (confidence 1) and the phrases its texts use for them, learned by npm run lexicon (their strength
 * as confidence). Values match by the stems of their words, so "sneakers" finds the value "sneaker"
 * and "striped" the value "stripes". Learned phrases match by their words up to a plural ending
 * only: they are other words for a value, and a stem would widen them to unrelated words ("going",
 * learned from "going out", would otherwise match "go").
 */
import type { Lexicon } from './lexicon';
import { isStopWord, stem, tokenize } from './text-analyzer';

/** Attribute values of the live catalogue, with how many products carry each. */
export type ValueCounts = Record<string, Record<string, number>>;

export interface PhraseEntry {
  name: string;
  value: string;
  confidence: number;
  source: 'catalogue' | 'catalogue-phrase';
}

/** Longest phrase matched, in content words. */
export const MAX_PHRASE_WORDS = 4;

/** The content words of a text: folded tokens without stop words. */
export function contentTokens(text: string): string[] {
  return tokenize(text)
    .map((t) => t.text)
    .filter((w) => !isStopWord(w));
}

/** The key of a value: the stems of its words. */
export function phraseKeyOf(words: readonly string[]): string {
  return words.map(stem).join(' ');
}

/** A word without an English plural ending ("boots" -> "boot", "dresses" -> "dress", "booties" -> "bootie"). */
export function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}ie`;
  if (word.length > 4 && /(ss|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The key of a learned phrase: its words without plural endings. */
export function surfaceKeyOf(words: readonly string[]): string {
  return words.map(singular).join(' ');
}

export class PhraseTable {
  /** Values by the stems of their words. */
  private readonly values = new Map<string, PhraseEntry[]>();
  /** Learned phrases by their words without plural endings. */
  private readonly learned = new Map<string, PhraseEntry[]>();
  /** The words of every phrase, as stems and as singulars (so "ankle" alone is a catalogue word, not a misspelling). */
  private readonly words = new Set<string>();

  constructor(values: ValueCounts, lexicon: Lexicon) {
    for (const [name, counts] of Object.entries(values)) {
      for (const value of Object.keys(counts)) {
        const words = contentTokens(value);
        this.add(this.values, phraseKeyOf(words), words, { name, value, confidence: 1, source: 'catalogue' });
      }
    }
    for (const p of lexicon.phrases) {
      // a phrase of another catalogue's value names nothing here
      if (values[p.name]?.[p.value] === undefined) continue;
      const words = contentTokens(p.text);
      this.add(this.learned, surfaceKeyOf(words), words, { name: p.name, value: p.value, confidence: p.strength, source: 'catalogue-phrase' });
    }
  }

  private add(map: Map<string, PhraseEntry[]>, key: string, words: string[], entry: PhraseEntry): void {
    if (words.length === 0 || words.length > MAX_PHRASE_WORDS) return;
    const list = map.get(key) ?? [];
    const same = list.find((e) => e.name === entry.name && e.value === entry.value);
    if (same) same.confidence = Math.max(same.confidence, entry.confidence);
    else list.push(entry);
    map.set(key, list);
    for (const w of words) {
      this.words.add(stem(w));
      this.words.add(singular(w));
    }
  }

  /** The values a phrase (its folded content words) names; undefined when none. */
  lookup(words: readonly string[]): PhraseEntry[] | undefined {
    const values = this.values.get(phraseKeyOf(words));
    const learned = this.learned.get(surfaceKeyOf(words));
    if (!values) return learned;
    if (!learned) return values;
    return [...values, ...learned.filter((l) => !values.some((v) => v.name === l.name && v.value === l.value))];
  }

  /** Whether the catalogue has a value spelt by these words ("ankle-boot" for ["ankle", "boot"]). */
  isValue(value: string): boolean {
    return this.values.get(phraseKeyOf(contentTokens(value)))?.some((e) => e.value === value) ?? false;
  }

  /** Whether a word is part of some phrase. */
  hasWord(word: string): boolean {
    return this.words.has(stem(word)) || this.words.has(singular(word));
  }
}
