/**
 * Builds the query lexicon (lexicon.ts) from a training catalogue, general English word vectors
 * and the colours of the catalogue's colour values. Pure: the CLI (src/cli/lexicon.ts) reads the
 * files and writes the result.
 *
 * Phrases are learned from the catalogue's own texts, not written by hand: a phrase (one or two
 * words within a clause, stop words left out, compared by stem) names an attribute value when at
 * least `minCount` products use it and at least `minStrength` of them carry that value. Titles teach
 * what titles say (category, colour, pattern, material, fit); descriptions teach occasion, season
 * and gender, which titles leave out (descriptions also name patterns, but in the generic words of
 * their sentences: "no pattern, just colour" would make "colour" mean solid). A longer phrase is
 * kept only when no shorter phrase inside it already names the same value ("dark blue" -> navy is
 * kept, "navy denim" -> navy is not).
 *
 * Word vectors map words the catalogue never uses to its values: each value is represented by the
 * vectors of its own words and of the single words learned for it ("trousers", "chinos", "pants"
 * for trousers); a word's similarity to a value is its best cosine similarity to one of them.
 */
import { isStopWord, stem, tokenize } from './text-analyzer';
import type { LexiconFile, LexiconPhrase, VectorNeighbour } from './lexicon';
import { LEXICON_FORMAT } from './lexicon';

export interface CatalogueText {
  title: string;
  description: string;
  brand: string;
  attributes: Record<string, string[]>;
}

/** General English word vectors, most frequent word first. */
export interface WordVectors {
  readonly name: string;
  readonly words: readonly string[];
  /** Unit-length vector of word i. */
  vector(i: number): Float32Array;
  indexOf(word: string): number | undefined;
}

export interface LexiconBuildOptions {
  /** Attributes whose values titles name. */
  titleAttributes: readonly string[];
  /** Attributes whose values descriptions name (and titles do not). */
  descriptionAttributes: readonly string[];
  /** Attributes general-English words are mapped to with word vectors. */
  vectorAttributes: readonly string[];
  minCount: number;
  minStrength: number;
  maxPhraseWords: number;
  /** Lowest similarity kept in the vectors table (the server's threshold is higher). */
  vectorFloor: number;
  /** Only the most frequent words of the word vectors are mapped. */
  vectorWords: number;
  /** How many of the most frequent English words are listed as known words. */
  englishWords: number;
}

export const DEFAULT_LEXICON_OPTIONS: LexiconBuildOptions = {
  titleAttributes: ['category', 'color', 'pattern', 'material', 'fit'],
  descriptionAttributes: ['occasion', 'season', 'gender'],
  vectorAttributes: ['category', 'color', 'pattern', 'material'],
  minCount: 5,
  minStrength: 0.9,
  maxPhraseWords: 2,
  vectorFloor: 0.4,
  vectorWords: 250_000,
  englishWords: 60_000,
};

const PLAIN_WORD = /^[a-z]+$/;
/** Share of a word's occurrences inside one longer phrase that makes it a fragment of that phrase. */
const FRAGMENT_SHARE = 0.9;
/** A phrase of several words must account for this share of its rarest word's occurrences. */
const COLLOCATION_SHARE = 0.1;

/** Content words of a text: folded tokens, stop words and tokens with digits left out. */
export function contentWords(text: string): string[] {
  return tokenize(text)
    .map((t) => t.text)
    .filter((w) => !isStopWord(w) && !/\d/.test(w));
}

/** The phrase key of words: their stems, space-separated. */
export function phraseKey(words: readonly string[]): string {
  return words.map(stem).join(' ');
}

interface PhraseStats {
  count: number;
  values: Map<string, number>;
  /** Surface form -> count. */
  surface: Map<string, number>;
}

function ngrams(words: string[], max: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let n = 1; n <= max; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      const slice = words.slice(i, i + n);
      out.set(phraseKey(slice), slice.join(' '));
    }
  }
  return out;
}

function countPhrases(stats: Map<string, PhraseStats>, text: string, attributes: Record<string, string[]>, names: readonly string[], max: number): void {
  const pairs: string[] = [];
  for (const name of names) for (const value of attributes[name] ?? []) pairs.push(`${name}\u0000${value}`);
  if (pairs.length === 0) return;
  // Phrases stay inside a clause: they never span punctuation.
  const found = new Map<string, string>();
  for (const clause of text.split(/[.,;:!?()]+/)) for (const [key, surface] of ngrams(contentWords(clause), max)) found.set(key, surface);
  for (const [key, surface] of found) {
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { count: 0, values: new Map(), surface: new Map() }));
    s.count++;
    s.surface.set(surface, (s.surface.get(surface) ?? 0) + 1);
    for (const p of pairs) s.values.set(p, (s.values.get(p) ?? 0) + 1);
  }
}

function mostFrequent(m: Map<string, number>): string {
  let best = '';
  let n = -1;
  for (const [k, v] of m) if (v > n || (v === n && k < best)) [best, n] = [k, v];
  return best;
}

/** Stems of the words of every attribute value, with the attributes whose values they spell. */
function literalWords(products: readonly CatalogueText[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const p of products) {
    for (const [name, values] of Object.entries(p.attributes)) {
      for (const v of values) {
        const k = `${name}\u0000${v}`;
        if (seen.has(k)) continue;
        seen.add(k);
        for (const w of contentWords(v)) {
          const s = stem(w);
          let set = out.get(s);
          if (!set) out.set(s, (set = new Set()));
          set.add(name);
        }
      }
    }
  }
  return out;
}

function strongPairs(stats: Map<string, PhraseStats>, options: Pick<LexiconBuildOptions, 'minCount' | 'minStrength'>): Map<string, Set<string>> {
  const strong = new Map<string, Set<string>>(); // key -> "name\0value" it names
  for (const [key, s] of stats) {
    if (s.count < options.minCount) continue;
    for (const [pair, co] of s.values) {
      if (co / s.count < options.minStrength) continue;
      let set = strong.get(key);
      if (!set) strong.set(key, (set = new Set()));
      set.add(pair);
    }
  }
  return strong;
}

/**
 * Phrases that name an attribute value, learned from titles (for `titleAttributes`) and
 * descriptions (for `descriptionAttributes`). Rules that keep accidents of the catalogue out:
 * - a phrase that spells part of a value of another attribute names nothing else ("summer" is a
 *   season, even if every summer sandal's title says "summer sandals");
 * - every word of a longer phrase is free of other attributes: neither part of another attribute's
 *   value nor learned for one ("navy denim" -> solid is a fact of how titles are written, not a phrase);
 * - description phrases use no title word (descriptions repeat the title's category and colour, and
 *   every bag description saying "all year" would otherwise make "tote" a season);
 * - a longer phrase is kept only when no shorter phrase inside it names the same value.
 */
export function learnPhrases(
  products: readonly CatalogueText[],
  options: Pick<LexiconBuildOptions, 'titleAttributes' | 'descriptionAttributes' | 'minCount' | 'minStrength' | 'maxPhraseWords'>,
): LexiconPhrase[] {
  const literal = literalWords(products);
  const literalValues = new Set<string>(); // "key\0name\0value" of every whole value
  for (const p of products) for (const [name, values] of Object.entries(p.attributes)) for (const v of values) literalValues.add(`${phraseKey(contentWords(v))}\u0000${name}\u0000${v}`);
  const titleStems = new Set<string>();
  for (const p of products) for (const w of contentWords(p.title)) titleStems.add(stem(w));
  const fields = [
    { field: 'title' as const, names: options.titleAttributes },
    { field: 'description' as const, names: options.descriptionAttributes },
  ];
  const learned = fields.map(({ field, names }) => {
    const stats = new Map<string, PhraseStats>();
    for (const p of products) countPhrases(stats, p[field], p.attributes, names, options.maxPhraseWords);
    return { field, stats, strong: strongPairs(stats, options) };
  });
  // Single words learned for each attribute, over both fields.
  const wordAttributes = new Map<string, Set<string>>();
  for (const { field, strong } of learned) {
    for (const [key, pairs] of strong) {
      if (key.includes(' ') || (field === 'description' && titleStems.has(key))) continue;
      for (const pair of pairs) {
        let set = wordAttributes.get(key);
        if (!set) wordAttributes.set(key, (set = new Set()));
        set.add(pair.split('\u0000')[0]);
      }
    }
  }
  // A word that almost only occurs inside one longer phrase ("crew" in "crew neck", "long" in "long
  // jacket") is a fragment of that phrase, not a name on its own.
  const fragments = (stats: Map<string, PhraseStats>): Map<string, string> => {
    const fragmentOf = new Map<string, string>(); // word -> the phrase it is a fragment of
    const widest = new Map<string, { key: string; count: number }>();
    for (const [key, s] of stats) {
      if (!key.includes(' ')) continue;
      for (const w of new Set(key.split(' '))) if (s.count > (widest.get(w)?.count ?? 0)) widest.set(w, { key, count: s.count });
    }
    for (const [key, s] of stats) {
      const w = widest.get(key);
      if (!key.includes(' ') && w && w.count >= FRAGMENT_SHARE * s.count) fragmentOf.set(key, w.key);
    }
    return fragmentOf;
  };
  const wholeValue = (key: string, pair: string): boolean => literalValues.has(`${key}\u0000${pair}`);
  // Whether a word belongs to another attribute than `name`: it spells part of another attribute's
  // value (and of none of this attribute's: "green" is a colour and a colour family) or is learned for one.
  const otherThan = (word: string, name: string): boolean => {
    const spells = literal.get(word);
    if (spells && !spells.has(name) && spells.size > 0) return true;
    return [...(wordAttributes.get(word) ?? [])].some((n) => n !== name);
  };

  const out: LexiconPhrase[] = [];
  for (const { field, stats, strong } of learned) {
    const fragmentOf = fragments(stats);
    const keptSingle = (word: string, pair: string): boolean =>
      !!strong.get(word)?.has(pair) && !fragmentOf.has(word) && !otherThan(word, pair.split('\u0000')[0]);
    for (const [key, pairs] of strong) {
      const words = key.split(' ');
      if (field === 'description' && words.some((w) => titleStems.has(w))) continue;
      const s = stats.get(key)!;
      for (const pair of pairs) {
        const [name, value] = pair.split('\u0000');
        if (wholeValue(key, pair)) continue;
        if (words.length === 1) {
          if (!keptSingle(key, pair)) continue;
        } else {
          // A fixed expression ("running shoes": "running" only ever occurs in it) names its value even
          // when its other word belongs to another attribute ("shoes" is a group).
          const fixed = words.some((w) => fragmentOf.get(w) === key);
          if (!fixed && words.some((w) => otherThan(w, name))) continue;
          // explained by a word that names the value on its own
          if (words.some((w) => keptSingle(w, pair) || wholeValue(w, pair))) continue;
          // a collocation, not two words that happen to meet
          const least = Math.min(...words.map((w) => stats.get(w)?.count ?? Infinity));
          if (s.count < COLLOCATION_SHARE * least) continue;
          // a fragment only counts inside the phrase it belongs to
          if (words.some((w) => fragmentOf.has(w) && fragmentOf.get(w) !== key)) continue;
        }
        out.push({ text: mostFrequent(s.surface), name, value, strength: round(s.values.get(pair)! / s.count, 4), count: s.count });
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.value.localeCompare(b.value) || b.count - a.count || a.text.localeCompare(b.text));
}

/** Word frequencies of the catalogue: the dictionary of spelling correction. */
export function termFrequencies(products: readonly CatalogueText[]): Record<string, number> {
  const counts = new Map<string, number>();
  const add = (text: string) => {
    for (const t of tokenize(text)) if (PLAIN_WORD.test(t.text) && t.text.length > 1) counts.set(t.text, (counts.get(t.text) ?? 0) + 1);
  };
  for (const p of products) {
    add(p.title);
    add(p.description);
    add(p.brand);
    for (const values of Object.values(p.attributes)) for (const v of values) add(v);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The vector of a phrase: its own entry ("t-shirt"), else the mean of its words' vectors. */
function phraseVector(vectors: WordVectors, phrase: string): Float32Array | null {
  const direct = vectors.indexOf(phrase) ?? vectors.indexOf(phrase.replace(/ /g, '-'));
  if (direct !== undefined) return vectors.vector(direct);
  const words = phrase.split(/[\s-]+/).filter((w) => w.length > 1);
  const parts = words.map((w) => vectors.indexOf(w)).filter((i): i is number => i !== undefined);
  if (parts.length === 0 || parts.length < words.length) return null;
  const sum = new Float32Array(vectors.vector(parts[0]).length);
  for (const i of parts) vectors.vector(i).forEach((x, k) => (sum[k] += x));
  return unit(sum);
}

/** The words that stand for each value of the vector attributes: the value itself and its learned single words. */
export function valuePrototypes(values: Record<string, string[]>, phrases: readonly LexiconPhrase[], names: readonly string[]): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const name of names) {
    const byValue = new Map<string, string[]>();
    for (const v of values[name] ?? []) byValue.set(v, [v.toLowerCase()]);
    out.set(name, byValue);
  }
  for (const p of phrases) {
    const words = out.get(p.name)?.get(p.value);
    if (words && !p.text.includes(' ') && !words.includes(p.text)) words.push(p.text);
  }
  return out;
}

/** An attribute name as words: "colorFamily" and "color_family" read "color family". */
function attributeNameWords(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
}

/**
 * For every frequent plain word of the word vectors: per attribute, the nearest value (best cosine
 * to one of its prototype words) and its margin over the second nearest value; kept when the
 * similarity reaches the floor. A word nearer to one of the catalogue's attribute names than to
 * every value ("colour" is nearer to "color" than to any colour or garment) talks about an
 * attribute, not a value of one ("change the colour to black"), and gets no entry.
 */
export function mapWordsToValues(
  vectors: WordVectors,
  prototypes: Map<string, Map<string, string[]>>,
  options: Pick<LexiconBuildOptions, 'vectorFloor' | 'vectorWords'>,
  attributeNames: readonly string[] = [],
): Record<string, VectorNeighbour[]> {
  const nameVectors = attributeNames.map((n) => phraseVector(vectors, attributeNameWords(n))).filter((v): v is Float32Array => v !== null);
  const protos: { name: string; value: string; vector: Float32Array }[] = [];
  for (const [name, byValue] of prototypes) {
    for (const [value, words] of byValue) {
      for (const w of words) {
        const v = phraseVector(vectors, w);
        if (v) protos.push({ name, value, vector: v });
      }
    }
  }
  const names = [...prototypes.keys()];
  const out: Record<string, VectorNeighbour[]> = {};
  const limit = Math.min(vectors.words.length, options.vectorWords);
  for (let i = 0; i < limit; i++) {
    const word = vectors.words[i];
    if (!/^[a-z]+(?:-[a-z]+)*$/.test(word) || word.length < 3) continue;
    const v = vectors.vector(i);
    const best = new Map<string, Map<string, number>>(); // name -> value -> best cosine
    for (const p of protos) {
      const s = dot(v, p.vector);
      let byValue = best.get(p.name);
      if (!byValue) best.set(p.name, (byValue = new Map()));
      if (s > (byValue.get(p.value) ?? -Infinity)) byValue.set(p.value, s);
    }
    const entries: VectorNeighbour[] = [];
    for (const name of names) {
      const ranked = [...(best.get(name) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
      if (ranked.length === 0 || ranked[0][1] < options.vectorFloor) continue;
      const margin = ranked.length > 1 ? ranked[0][1] - ranked[1][1] : ranked[0][1];
      entries.push([name, ranked[0][0], round(ranked[0][1], 3), round(margin, 3)]);
    }
    const nearestValue = Math.max(...entries.map((e) => e[2]));
    if (entries.length && !nameVectors.some((n) => dot(v, n) > nearestValue)) out[word] = entries;
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface LexiconSources {
  products: readonly CatalogueText[];
  catalog: string;
  dataHash: string | null;
  colourAnchors?: Record<string, [number, number, number]>;
  wordVectors?: WordVectors | null;
  builtAt?: string;
}

export function buildLexicon(sources: LexiconSources, options: LexiconBuildOptions = DEFAULT_LEXICON_OPTIONS): LexiconFile {
  const { products } = sources;
  const phrases = learnPhrases(products, options);
  const values: Record<string, string[]> = {};
  for (const p of products) {
    for (const [name, vs] of Object.entries(p.attributes)) {
      const set = (values[name] ??= []);
      for (const v of vs) if (!set.includes(v)) set.push(v);
    }
  }
  const vectors = sources.wordVectors ?? null;
  const englishWords: string[] = [];
  if (vectors) {
    for (const w of vectors.words) {
      if (englishWords.length >= options.englishWords) break;
      if (PLAIN_WORD.test(w)) englishWords.push(w);
    }
  }
  return {
    format: LEXICON_FORMAT,
    source: { catalog: sources.catalog, dataHash: sources.dataHash, products: products.length, wordVectors: vectors?.name ?? null, builtAt: sources.builtAt ?? new Date().toISOString() },
    terms: termFrequencies(products),
    phrases,
    colourAnchors: sources.colourAnchors ?? {},
    vectors: vectors ? mapWordsToValues(vectors, valuePrototypes(values, phrases, options.vectorAttributes), options, Object.keys(values)) : {},
    englishWords: englishWords.join(' '),
  };
}
