/**
 * Colour words the catalogue never uses ("crimson", "mauve", "gunmetal grey"), mapped to the
 * catalogue's own colour values by perceptual distance.
 *
 * The names come from the npm package `color-name-list` (about 30,000 named colours with their sRGB
 * values, curated and maintained since 2016): general knowledge of what colour a word names, which no
 * hand-written table of ours could match in breadth. Distances are CIEDE2000 in CIELAB, computed with
 * `culori` (a maintained colour-science library), the standard measure of how different two colours
 * look. Each catalogue colour value has an anchor: the colour its products show (learned from the
 * catalogue's images by training, see lexicon.ts) or, failing that, the dictionary's own colour of the
 * value's name. CSS's named colours take precedence over the list's own definitions of the same names.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { colorsNamed, differenceCiede2000, parse, type Color } from 'culori';

export interface ColourNameMatch {
  /** The dictionary name that matched, folded ("gunmetal grey"). */
  name: string;
  hex: string;
  /** Nearest catalogue colour value and its CIEDE2000 distance. */
  value: string;
  deltaE: number;
  /** The second nearest catalogue colour value, when there is one. */
  runnerUp: { value: string; deltaE: number } | null;
  /** The third nearest, when there is one. */
  third: { value: string; deltaE: number } | null;
}

const deltaE = differenceCiede2000();

/** Folds a colour name the way query words are folded: accents removed, lower case, words of letters and digits. */
export function foldName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join(' ');
}

function rgbColour([r, g, b]: [number, number, number]): Color {
  return { mode: 'rgb', r: r / 255, g: g / 255, b: b / 255 };
}

/**
 * The colour dictionary: folded name -> #rrggbb. CSS's named colours (culori's `colorsNamed`, the
 * web's standard definitions: "crimson" is #dc143c) come first, then color-name-list's names; the
 * first definition of a folded name wins.
 */
export function loadColourDictionary(): ReadonlyMap<string, string> {
  const dir = path.dirname(require.resolve('color-name-list/package.json'));
  const list = JSON.parse(readFileSync(path.join(dir, 'dist', 'colornames.json'), 'utf8')) as { name: string; hex: string }[];
  const css = Object.entries(colorsNamed).map(([name, value]) => ({ name, hex: `#${value.toString(16).padStart(6, '0')}` }));
  return colourDictionary([...css, ...list]);
}

/** A colour dictionary from (name, hex) pairs; the first definition of a folded name wins. */
export function colourDictionary(entries: Iterable<{ name: string; hex: string }>): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const { name, hex } of entries) {
    const key = foldName(name);
    if (key && !names.has(key)) names.set(key, hex);
  }
  return names;
}

export class ColourNames {
  private readonly anchors: { value: string; colour: Color }[] = [];
  /** The longest dictionary name, in words. */
  readonly maxWords: number;

  /**
   * @param names the colour dictionary (loadColourDictionary)
   * @param catalogueColours the catalogue's colour values
   * @param anchors sRGB of catalogue colour values as the products show them; values without one are
   *   placed at the dictionary colour of their own name, and left out when the dictionary lacks it
   */
  constructor(
    private readonly names: ReadonlyMap<string, string>,
    catalogueColours: Iterable<string>,
    anchors: ReadonlyMap<string, [number, number, number]> = new Map(),
  ) {
    let maxWords = 1;
    for (const key of names.keys()) maxWords = Math.max(maxWords, key.split(' ').length);
    this.maxWords = maxWords;
    for (const value of new Set(catalogueColours)) {
      const anchor = anchors.get(value);
      const hex = this.names.get(foldName(value));
      const colour = anchor ? rgbColour(anchor) : hex ? parse(hex) : undefined;
      if (colour) this.anchors.push({ value, colour });
    }
  }

  /** Whether the folded phrase is a name of the dictionary. */
  has(phrase: string): boolean {
    return this.names.has(phrase);
  }

  /** The catalogue colour nearest to the colour a dictionary name stands for; null for unknown names. */
  match(phrase: string): ColourNameMatch | null {
    const hex = this.names.get(phrase);
    if (!hex || this.anchors.length === 0) return null;
    const colour = parse(hex);
    if (!colour) return null;
    const ranked = this.anchors.map((a) => ({ value: a.value, deltaE: deltaE(colour, a.colour) })).sort((a, b) => a.deltaE - b.deltaE);
    return { name: phrase, hex, value: ranked[0].value, deltaE: ranked[0].deltaE, runnerUp: ranked[1] ?? null, third: ranked[2] ?? null };
  }

  /** Catalogue colour values that have an anchor. */
  get values(): string[] {
    return this.anchors.map((a) => a.value);
  }
}
