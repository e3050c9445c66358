/**
 * How rules read text: the query-understanding fold (case and accents) with punctuation turned into
 * spaces, so "Blue  Jeans!" and "blue jeans" are the same query to a condition, and phrases match as
 * whole words. Rules compare words, not stems: a merchandiser's "jeans" condition should not fire on
 * "jean jackets" through a stemmer's choice.
 */
import { fold } from '../query/text-analyzer';

/** The text as rules compare it: folded, letters and digits kept, single spaces. */
export function normaliseRuleText(text: string): string {
  return fold(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function ruleWords(text: string): string[] {
  const n = normaliseRuleText(text);
  return n === '' ? [] : n.split(' ');
}

/** Start indexes (in words) where `phrase` occurs in `words` as consecutive whole words. */
export function phraseOccurrences(words: readonly string[], phrase: readonly string[]): number[] {
  const out: number[] = [];
  if (phrase.length === 0) return out;
  outer: for (let i = 0; i + phrase.length <= words.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) continue outer;
    out.push(i);
  }
  return out;
}

export function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  return phraseOccurrences(words, phrase).length > 0;
}
