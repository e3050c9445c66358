/**
 * The query lexicon: what query understanding knows beyond the live catalogue's attribute values.
 * It is built from a training catalogue by `npm run lexicon` (src/cli/lexicon.ts, run by
 * `npm run train`) and read by the server from `models/fashion-lexicon/lexicon.json`:
 *
 * - `terms`: the catalogue's words and how often they occur (titles, descriptions, attribute values
 *   and brands): the dictionary spelling correction corrects towards;
 * - `phrases`: phrases of the catalogue's own titles and descriptions that name an attribute value
 *   ("kicks" -> category sneaker, "dark blue" -> colour navy), learned from which values the products
 *   that use them carry; they replace hand-written synonym tables;
 * - `colourAnchors`: the colour (sRGB) of each catalogue colour value as the products show it, to
 *   which colour names from a general colour dictionary are matched (see colour-names.ts);
 * - `vectors`: for words of general English (GloVe word vectors), the catalogue values they are
 *   nearest to, per attribute, with the cosine similarity and the margin over the runner-up;
 * - `englishWords`: the most frequent words of general English, most frequent first: words that are
 *   not misspellings even when the catalogue does not use them.
 *
 * Keys are folded, lower-cased words as the text analyzer produces them. A missing file gives an
 * empty lexicon: the server then understands the live catalogue's values literally and corrects
 * spelling against them only.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const LEXICON_FORMAT = 'fashion-lexicon/1';
export const LEXICON_FILE = 'lexicon.json';
export const LEXICON_DIR = 'fashion-lexicon';

/** A phrase of the catalogue that names an attribute value. */
export interface LexiconPhrase {
  /** Folded words, space-separated ("dark blue"). */
  text: string;
  name: string;
  value: string;
  /** Share of the catalogue texts using the phrase whose product has the value (0..1). */
  strength: number;
  /** Catalogue texts using the phrase. */
  count: number;
}

/** Nearest catalogue value of one attribute to a general-English word: [attribute, value, cosine, margin]. */
export type VectorNeighbour = [name: string, value: string, similarity: number, margin: number];

export interface LexiconFile {
  format: typeof LEXICON_FORMAT;
  /** Where the lexicon comes from: the catalogue's data hash and the sources used. */
  source: { catalog: string; dataHash: string | null; products: number; wordVectors: string | null; builtAt: string };
  terms: Record<string, number>;
  phrases: LexiconPhrase[];
  colourAnchors: Record<string, [number, number, number]>;
  vectors: Record<string, VectorNeighbour[]>;
  /** Space-separated, most frequent first. */
  englishWords: string;
}

export class Lexicon {
  readonly terms: ReadonlyMap<string, number>;
  readonly phrases: readonly LexiconPhrase[];
  readonly colourAnchors: ReadonlyMap<string, [number, number, number]>;
  private readonly vectors: ReadonlyMap<string, VectorNeighbour[]>;
  private readonly englishRank: ReadonlyMap<string, number>;

  constructor(readonly file: LexiconFile | null) {
    this.terms = new Map(Object.entries(file?.terms ?? {}));
    this.phrases = file?.phrases ?? [];
    this.colourAnchors = new Map(Object.entries(file?.colourAnchors ?? {}));
    this.vectors = new Map(Object.entries(file?.vectors ?? {}));
    const words = file?.englishWords ? file.englishWords.split(' ') : [];
    this.englishRank = new Map(words.map((w, i) => [w, i + 1]));
  }

  static empty(): Lexicon {
    return new Lexicon(null);
  }

  /** Reads `<modelsDir>/fashion-lexicon/lexicon.json`; an absent file gives the empty lexicon. */
  static async load(modelsDir: string): Promise<Lexicon> {
    const file = path.join(modelsDir, LEXICON_DIR, LEXICON_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Lexicon.empty();
      throw e;
    }
    const parsed = JSON.parse(text) as LexiconFile;
    if (parsed.format !== LEXICON_FORMAT) {
      throw new Error(`${file}: unknown lexicon format "${String(parsed.format)}" (expected "${LEXICON_FORMAT}"); rebuild it with npm run lexicon`);
    }
    return new Lexicon(parsed);
  }

  get isEmpty(): boolean {
    return this.file === null;
  }

  /** Catalogue values nearest to a word of general English, per attribute; empty when unknown. */
  neighbours(word: string): VectorNeighbour[] {
    return this.vectors.get(word) ?? [];
  }

  /** 1-based frequency rank of a general-English word, or null when it is not among the listed words. */
  englishRankOf(word: string): number | null {
    return this.englishRank.get(word) ?? null;
  }
}
