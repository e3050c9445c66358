/**
 * Spelling correction of query words against the catalogue's own vocabulary (title words,
 * attribute values, brands), keyboard-aware: "nsvy" -> "navy", "sneakres" -> "sneakers",
 * "bga" -> "bag". A word is only ever corrected to a word of the dictionary.
 *
 * Candidates come from a symmetric-delete index (the SymSpell method): every dictionary word is
 * stored under each string obtained by deleting up to `maxEdits` characters from its first
 * `prefixLength` characters; a query word looks up the deletes of its own prefix. Two words within
 * k edits (Damerau-Levenshtein, optimal string alignment) always share such a delete string, also
 * on their prefixes, so the lookup misses no word within reach and costs a few dozen map reads
 * instead of a scan: well under a millisecond per word with 50,000 dictionary words (the index of
 * 50,000 words builds in under a second and holds about 70 MB).
 *
 * Reach and rank are separate:
 * - Reach counts edits: a candidate is within reach when an optimal string alignment needs at
 *   most 1 edit for a word of 3-4 characters, at most 2 for a longer word (both configurable).
 *   Words of 1-2 characters and words holding a digit (sizes, product codes) are never corrected.
 * - Rank weighs the edits by how likely the slip is on a QWERTY keyboard (keyboard.ts), with
 *   costs in (0, 1] (DEFAULT_EDIT_COSTS): substituting a neighbouring key 0.5, any other key 1;
 *   an extra character that repeats the one before or after it 0.4, an extra key next to the one
 *   before or after it 0.6, any other extra character 1; a missing character that was one of a
 *   doubled pair ("dres" for "dress") 0.4, any other missing character 1; two adjacent characters
 *   swapped 0.7 (one slip, not two substitutions). Candidates are ordered by
 *     score = distance - frequencyWeight * log(1 + frequency) / log(1 + maxFrequency)
 *   so the distance decides and the dictionary frequency breaks near-ties (frequencyWeight 0.15:
 *   the most frequent word gains at most 0.15 over a word never seen).
 *
 * npm offers SymSpell ports (e.g. node-symspell), but none that is maintained or that takes
 * per-edit weights, so the index and the weighted distance are written here.
 */
import { areNeighbours } from './keyboard';

export interface DictionaryEntry {
  /** A folded, lower-case word (see text-analyzer.ts `tokenize`). */
  word: string;
  /** How often the catalogue uses the word; entries of the same word add up. */
  frequency: number;
}

export interface Suggestion {
  word: string;
  /** Keyboard-weighted edit distance from the query word. */
  distance: number;
  frequency: number;
  /** Ranking score, lower is better: distance less the frequency bonus. */
  score: number;
}

/**
 * Costs of the edits that turn a typed word into a dictionary word. "insert" is a character the
 * typist added (present in the typed word only), "delete" one they left out.
 */
export interface EditCosts {
  substitute: number;
  substituteNeighbour: number;
  insert: number;
  insertNeighbour: number;
  insertRepeat: number;
  delete: number;
  deleteRepeat: number;
  transpose: number;
}

export const DEFAULT_EDIT_COSTS: Readonly<EditCosts> = {
  substitute: 1,
  substituteNeighbour: 0.5,
  insert: 1,
  insertNeighbour: 0.6,
  insertRepeat: 0.4,
  delete: 1,
  deleteRepeat: 0.4,
  transpose: 0.7,
};

export interface SpellingCorrectorOptions {
  costs?: Partial<EditCosts>;
  /** Words shorter than this are never corrected (default 3). */
  minWordLength?: number;
  /** Words up to this length are "short" (default 4). */
  shortWordLength?: number;
  /** Most edits for a short word (default 1). */
  shortWordMaxEdits?: number;
  /** Most edits for a longer word (default 2). */
  maxEdits?: number;
  /** Weight of the frequency bonus in the score (default 0.15). */
  frequencyWeight?: number;
  /** Characters of each word that the delete index covers (default 7). */
  prefixLength?: number;
}

const HAS_DIGIT = /\p{N}/u;

/**
 * Keyboard-weighted optimal-string-alignment distance from a typed word to a dictionary word
 * (each character edited at most once; adjacent transpositions count as one edit).
 */
export function weightedDistance(typed: string, word: string, costs: EditCosts = DEFAULT_EDIT_COSTS): number {
  const n = typed.length;
  const m = word.length;
  const extra = (i: number): number => {
    // Cost of the typed character typed[i] being one too many.
    const c = typed[i];
    const before = typed[i - 1];
    const after = typed[i + 1];
    if (c === before || c === after) return costs.insertRepeat;
    if ((before !== undefined && areNeighbours(c, before)) || (after !== undefined && areNeighbours(c, after))) return costs.insertNeighbour;
    return costs.insert;
  };
  const missing = (j: number): number => (word[j] === word[j - 1] || word[j] === word[j + 1] ? costs.deleteRepeat : costs.delete);
  const d: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = 1; i <= n; i++) d[i][0] = d[i - 1][0] + extra(i - 1);
  for (let j = 1; j <= m; j++) d[0][j] = d[0][j - 1] + missing(j - 1);
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const a = typed[i - 1];
      const b = word[j - 1];
      const substitution = a === b ? 0 : areNeighbours(a, b) ? costs.substituteNeighbour : costs.substitute;
      let best = Math.min(d[i - 1][j - 1] + substitution, d[i - 1][j] + extra(i - 1), d[i][j - 1] + missing(j - 1));
      if (i > 1 && j > 1 && a === word[j - 2] && typed[i - 2] === b && a !== b) best = Math.min(best, d[i - 2][j - 2] + costs.transpose);
      d[i][j] = best;
    }
  }
  return d[n][m];
}

/**
 * Unweighted optimal-string-alignment distance, or `max + 1` as soon as it is known to exceed
 * `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const m = b.length;
  let prev2 = new Int32Array(m + 1);
  let prev = Int32Array.from({ length: m + 1 }, (_, j) => j);
  let row = new Int32Array(m + 1);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      let v = Math.min(prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1), prev[j] + 1, row[j - 1] + 1);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      row[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, row] = [prev, row, prev2];
  }
  return Math.min(prev[m], max + 1);
}

/** Every string made by deleting at most `k` characters of `s`, `s` included. */
function deletes(s: string, k: number): Set<string> {
  const out = new Set<string>([s]);
  let frontier = [s];
  for (let step = 0; step < k; step++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (let i = 0; i < t.length; i++) {
        const shorter = t.slice(0, i) + t.slice(i + 1);
        if (!out.has(shorter)) {
          out.add(shorter);
          next.push(shorter);
        }
      }
    }
    frontier = next;
  }
  return out;
}

export class SpellingCorrector {
  private readonly words: string[] = [];
  private readonly frequencies: number[] = [];
  private readonly ids = new Map<string, number>();
  /** Delete string -> id, or ids, of the words whose prefix gives it (most keys have one word). */
  private readonly index = new Map<string, number | number[]>();
  private readonly costs: EditCosts;
  private readonly minWordLength: number;
  private readonly shortWordLength: number;
  private readonly shortWordMaxEdits: number;
  private readonly maxEdits: number;
  private readonly frequencyWeight: number;
  private readonly prefixLength: number;
  private readonly logMaxFrequency: number;

  constructor(dictionary: Iterable<DictionaryEntry>, options: SpellingCorrectorOptions = {}) {
    this.costs = { ...DEFAULT_EDIT_COSTS, ...options.costs };
    for (const [name, cost] of Object.entries(this.costs)) {
      if (!(cost > 0 && cost <= 1)) throw new RangeError(`edit cost ${name} must be in (0, 1] (got ${cost})`);
    }
    this.minWordLength = options.minWordLength ?? 3;
    this.shortWordLength = options.shortWordLength ?? 4;
    this.shortWordMaxEdits = options.shortWordMaxEdits ?? 1;
    this.maxEdits = options.maxEdits ?? 2;
    this.frequencyWeight = options.frequencyWeight ?? 0.15;
    this.prefixLength = options.prefixLength ?? 7;
    if (this.prefixLength < this.maxEdits + 1) throw new RangeError(`prefixLength must exceed maxEdits (got ${this.prefixLength})`);

    for (const { word, frequency } of dictionary) {
      if (typeof word !== 'string' || word.length === 0) throw new TypeError('a dictionary word must be a non-empty string');
      if (!(frequency >= 0 && Number.isFinite(frequency))) throw new RangeError(`frequency of "${word}" must be a finite number >= 0 (got ${frequency})`);
      const id = this.ids.get(word);
      if (id !== undefined) {
        this.frequencies[id] += frequency;
        continue;
      }
      this.ids.set(word, this.words.length);
      this.words.push(word);
      this.frequencies.push(frequency);
    }
    this.logMaxFrequency = Math.log1p(this.frequencies.reduce((a, b) => Math.max(a, b), 0));
    const reach = Math.max(this.maxEdits, this.shortWordMaxEdits);
    this.words.forEach((word, id) => {
      // A word with a digit is never a correction: no typo turns into a size or a product code.
      if (HAS_DIGIT.test(word)) return;
      for (const key of deletes(word.slice(0, this.prefixLength), reach)) {
        const ids = this.index.get(key);
        if (ids === undefined) this.index.set(key, id);
        else if (typeof ids === 'number') this.index.set(key, [ids, id]);
        else ids.push(id);
      }
    });
  }

  /** Number of distinct dictionary words. */
  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** Most edits a word of this length may be corrected by; 0 when it is never corrected. */
  allowedEdits(word: string): number {
    if (word.length < this.minWordLength || HAS_DIGIT.test(word)) return 0;
    return word.length <= this.shortWordLength ? this.shortWordMaxEdits : this.maxEdits;
  }

  /**
   * Dictionary words within reach of a folded word, best first (the word itself first, at
   * distance 0, when it is in the dictionary); at most `max`.
   */
  suggest(word: string, max = 5): Suggestion[] {
    const allowed = this.allowedEdits(word);
    const exact = this.ids.get(word);
    const out: Suggestion[] = [];
    if (exact !== undefined) out.push(this.suggestion(exact, 0));
    if (allowed > 0) {
      const seen = new Set<number>(exact === undefined ? [] : [exact]);
      for (const key of deletes(word.slice(0, this.prefixLength), allowed)) {
        const ids = this.index.get(key);
        for (const id of ids === undefined ? [] : typeof ids === 'number' ? [ids] : ids) {
          if (seen.has(id)) continue;
          seen.add(id);
          const candidate = this.words[id];
          if (editDistance(word, candidate, allowed) > allowed) continue;
          out.push(this.suggestion(id, weightedDistance(word, candidate, this.costs)));
        }
      }
    }
    out.sort((a, b) => a.score - b.score || a.distance - b.distance || b.frequency - a.frequency || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
    return out.slice(0, Math.max(0, max));
  }

  /** The best correction of a folded word, or null when it is a dictionary word or nothing is within reach. */
  correct(word: string): Suggestion | null {
    if (this.ids.has(word)) return null;
    return this.suggest(word, 1)[0] ?? null;
  }

  private suggestion(id: number, distance: number): Suggestion {
    const frequency = this.frequencies[id];
    const bonus = this.logMaxFrequency > 0 ? (this.frequencyWeight * Math.log1p(frequency)) / this.logMaxFrequency : 0;
    return { word: this.words[id], distance, frequency, score: distance - bonus };
  }
}
