/**
 * The catalogue's named colours as colours: for every colour value of the catalogue (attribute
 * `color`), its family (`colorFamily`) and the sRGB the catalogue renders it with (each product's
 * `render.color`), averaged over the products that carry the name. Derived from the catalogue, never
 * typed by hand: `npm run eval:colour -- --write-palette` rebuilds catalogue-palette.json from the
 * train split of data/catalog/products.jsonl.
 */
import cataloguePaletteJson from './catalogue-palette.json';
import { deltaE2000, rgbToLab, type Lab, type Rgb } from './lab';

export const PALETTE_FORMAT = 'colour-palette/1';

export interface PaletteColour {
  /** The catalogue's colour value ("navy"). */
  readonly name: string;
  /** Its colour family ("blue"). */
  readonly family: string;
  /** Mean render colour of the products with this name, sRGB 0..255. */
  readonly rgb: Rgb;
  readonly lab: Lab;
  /** Products the mean was taken over. */
  readonly products: number;
}

export interface ColourPalette {
  readonly colours: readonly PaletteColour[];
  /** Where the palette was derived from (catalogue, split, product count). */
  readonly source: Readonly<Record<string, string | number>>;
}

/** The serialised palette (catalogue-palette.json). */
export interface PaletteFile {
  format: string;
  source: Record<string, string | number>;
  colours: { name: string; family: string; rgb: [number, number, number]; products: number }[];
}

/** What palette derivation reads of a catalogue product. */
export interface PaletteProduct {
  attributes: { color?: readonly string[]; colorFamily?: readonly string[] };
  render?: { color?: readonly number[] } | null;
}

/**
 * The palette of a catalogue: one entry per colour value seen on products that have a single colour
 * value, a family and a render colour; rgb is the mean render colour of those products, rounded.
 * Entries are ordered by family, then from dark to light (CIELAB L), so listings read naturally.
 */
export function derivePalette(products: Iterable<PaletteProduct>, source: Record<string, string | number> = {}): PaletteFile {
  const sums = new Map<string, { family: Map<string, number>; r: number; g: number; b: number; n: number }>();
  for (const p of products) {
    const colour = p.attributes.color;
    const family = p.attributes.colorFamily;
    const rgb = p.render?.color;
    if (!colour || colour.length !== 1 || !family || family.length !== 1 || !rgb || rgb.length !== 3) continue;
    let s = sums.get(colour[0]);
    if (!s) sums.set(colour[0], (s = { family: new Map(), r: 0, g: 0, b: 0, n: 0 }));
    s.family.set(family[0], (s.family.get(family[0]) ?? 0) + 1);
    s.r += rgb[0];
    s.g += rgb[1];
    s.b += rgb[2];
    s.n++;
  }
  const colours = [...sums].map(([name, s]) => {
    const family = [...s.family].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
    const rgb: [number, number, number] = [Math.round(s.r / s.n), Math.round(s.g / s.n), Math.round(s.b / s.n)];
    return { name, family, rgb, products: s.n };
  });
  const lightness = (rgb: Rgb) => rgbToLab(rgb[0], rgb[1], rgb[2])[0];
  colours.sort((a, b) => a.family.localeCompare(b.family) || lightness(a.rgb) - lightness(b.rgb) || a.name.localeCompare(b.name));
  return { format: PALETTE_FORMAT, source, colours };
}

/** A palette from its serialised form; refuses another format, an empty list or repeated names. */
export function paletteFromFile(file: PaletteFile): ColourPalette {
  if (file.format !== PALETTE_FORMAT) throw new Error(`unknown colour palette format "${file.format}" (expected ${PALETTE_FORMAT})`);
  if (!file.colours.length) throw new Error('the colour palette has no colours');
  const names = new Set<string>();
  const colours = file.colours.map((c) => {
    if (names.has(c.name)) throw new Error(`the colour palette names "${c.name}" twice`);
    if (c.rgb.length !== 3 || c.rgb.some((v) => !(v >= 0 && v <= 255))) throw new Error(`the colour palette's "${c.name}" needs rgb [r, g, b] in 0..255`);
    names.add(c.name);
    return { name: c.name, family: c.family, rgb: [...c.rgb] as Rgb, lab: rgbToLab(c.rgb[0], c.rgb[1], c.rgb[2]), products: c.products };
  });
  return { colours, source: { ...file.source } };
}

let catalogue: ColourPalette | undefined;

/** The palette of the seed catalogue (catalogue-palette.json, derived from its train split). */
export function cataloguePalette(): ColourPalette {
  return (catalogue ??= paletteFromFile(cataloguePaletteJson as unknown as PaletteFile));
}

/** The palette entry nearest to a CIELAB colour (CIEDE2000), with its distance and the runner-up's. */
export function nearestPaletteColour(palette: ColourPalette, lab: Lab): { colour: PaletteColour; deltaE: number; runnerUpDeltaE: number } {
  let best = 0;
  let bestD = Infinity;
  let second = Infinity;
  palette.colours.forEach((c, i) => {
    const d = deltaE2000(lab, c.lab);
    if (d < bestD) {
      second = bestD;
      bestD = d;
      best = i;
    } else if (d < second) second = d;
  });
  return { colour: palette.colours[best], deltaE: bestD, runnerUpDeltaE: second };
}
