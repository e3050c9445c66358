/**
 * Recognises catalogue attributes in free query text ("navy denim shirt for men" ->
 * color=navy, material=denim, category=shirt, gender=men). Pure and deterministic: the phrase
 * dictionary is built once from the catalogue's attribute vocabulary plus everyday synonyms
 * (attribute-synonyms.ts); matching is greedy longest-phrase-first over normalised words, so
 * "dark blue" wins over "blue". A phrase may name values of several attributes (e.g. a colour
 * and its colour family); each is reported.
 */
import type { AttributeValue } from './search.types';
import { ATTRIBUTE_SYNONYMS } from './attribute-synonyms';
import { ATTRIBUTE_NAMES } from '../domain/product';

/** Attribute values present in the catalogue, by attribute name. */
export type AttributeVocabulary = Record<string, string[]>;

/** Attributes worth recognising in text: all but sizes, whose values ("s", "m") are ordinary words. */
export const PARSED_ATTRIBUTES: readonly string[] = ATTRIBUTE_NAMES.filter((name) => name !== 'size');

const MAX_PHRASE_WORDS = 4;

export function normalizeText(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

function phraseKey(text: string): string {
  return normalizeText(text).join(' ');
}

function plural(word: string): string[] {
  if (/(s|x|ch|sh)$/.test(word)) return [`${word}es`];
  if (/[^aeiou]y$/.test(word)) return [`${word.slice(0, -1)}ies`];
  return [`${word}s`];
}

export class QueryParser {
  private readonly phrases = new Map<string, AttributeValue[]>();

  constructor(vocabulary: AttributeVocabulary) {
    const add = (phrase: string, name: string, value: string) => {
      const key = phraseKey(phrase);
      if (!key || key.split(' ').length > MAX_PHRASE_WORDS) return;
      const list = this.phrases.get(key) ?? [];
      if (!list.some((a) => a.name === name && a.value === value)) list.push({ name, value });
      this.phrases.set(key, list);
    };
    for (const name of PARSED_ATTRIBUTES) {
      const values = vocabulary[name] ?? [];
      const known = new Set(values);
      for (const value of values) {
        add(value, name, value);
        const words = phraseKey(value).split(' ');
        const last = words[words.length - 1];
        if (name !== 'brand' && last && /^[a-z]+$/.test(last) && last.length > 2) {
          for (const p of plural(last)) add([...words.slice(0, -1), p].join(' '), name, value);
        }
      }
      for (const [value, synonyms] of Object.entries(ATTRIBUTE_SYNONYMS[name] ?? {})) {
        if (!known.has(value)) continue;
        for (const s of synonyms) {
          // A synonym never shadows a real value of the same attribute ("grey" vs "gray").
          if (known.has(s)) continue;
          add(s, name, value);
        }
      }
    }
  }

  /** Attributes stated in the text, in order of appearance, without duplicates. */
  parse(text: string): AttributeValue[] {
    const words = normalizeText(text);
    const out: AttributeValue[] = [];
    const seen = new Set<string>();
    let i = 0;
    while (i < words.length) {
      let matched = 0;
      for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n >= 1; n--) {
        const hits = this.phrases.get(words.slice(i, i + n).join(' '));
        if (!hits) continue;
        for (const h of hits) {
          const k = `${h.name}\u0000${h.value}`;
          if (!seen.has(k)) {
            seen.add(k);
            out.push(h);
          }
        }
        matched = n;
        break;
      }
      i += matched || 1;
    }
    return out;
  }
}

/** Splits query attributes into those a product has and those it lacks. */
export function matchAttributes(
  query: AttributeValue[],
  productAttributes: Record<string, string[]>,
): { matched: AttributeValue[]; unmatched: AttributeValue[] } {
  const matched: AttributeValue[] = [];
  const unmatched: AttributeValue[] = [];
  for (const a of query) {
    if ((productAttributes[a.name] ?? []).includes(a.value)) matched.push(a);
    else unmatched.push(a);
  }
  return { matched, unmatched };
}
