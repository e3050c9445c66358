/**
 * The phrases that name the catalogue's attribute values, keyed by the stems of their content words:
 * the live catalogue's values themselves (confidence 1) and the phrases its texts use for them,
 * learned by npm run lexicon (their strength as confidence). Matching by stem lets "sneakers" find
 * the value "sneaker" and "striped" the value "stripes".
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

/** The key of a phrase: the stems of its words. */
export function phraseKeyOf(words: readonly string[]): string {
  return words.map(stem).join(' ');
}

export class PhraseTable {
  private readonly entries = new Map<string, PhraseEntry[]>();
  /** Stems of every word of a phrase (so "ankle" alone is a catalogue word, not a misspelling). */
  private readonly stems = new Set<string>();

  constructor(values: ValueCounts, lexicon: Lexicon) {
    for (const [name, counts] of Object.entries(values)) {
      for (const value of Object.keys(counts)) this.add(contentTokens(value), { name, value, confidence: 1, source: 'catalogue' });
    }
    for (const p of lexicon.phrases) {
      // a phrase of another catalogue's value names nothing here
      if (values[p.name]?.[p.value] === undefined) continue;
      this.add(contentTokens(p.text), { name: p.name, value: p.value, confidence: p.strength, source: 'catalogue-phrase' });
    }
  }

  private add(words: string[], entry: PhraseEntry): void {
    if (words.length === 0 || words.length > MAX_PHRASE_WORDS) return;
    const key = phraseKeyOf(words);
    const list = this.entries.get(key) ?? [];
    const same = list.find((e) => e.name === entry.name && e.value === entry.value);
    if (same) same.confidence = Math.max(same.confidence, entry.confidence);
    else list.push(entry);
    this.entries.set(key, list);
    for (const w of words) this.stems.add(stem(w));
  }

  /** The values a phrase (given by its key) names; undefined when none. */
  get(key: string): PhraseEntry[] | undefined {
    return this.entries.get(key);
  }

  /** Whether the catalogue has a value spelt by these words ("ankle-boot" for ["ankle", "boot"]). */
  isValue(value: string): boolean {
    return this.entries.get(phraseKeyOf(contentTokens(value)))?.some((e) => e.value === value) ?? false;
  }

  /** Whether a word's stem is part of some phrase. */
  hasStem(word: string): boolean {
    return this.stems.has(stem(word));
  }
}
