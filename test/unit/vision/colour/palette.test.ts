import {
  cataloguePalette,
  deltaE2000,
  derivePalette,
  nearestPaletteColour,
  paletteFromFile,
  PALETTE_FORMAT,
  rgbToLab,
  type PaletteFile,
  type PaletteProduct,
} from '../../../../src/vision/colour';
import paletteJson from '../../../../src/vision/colour/catalogue-palette.json';

const product = (color: string[] | undefined, family: string[] | undefined, rgb?: number[] | null): PaletteProduct => ({
  attributes: { color, colorFamily: family },
  render: rgb === undefined ? undefined : rgb === null ? null : { color: rgb },
});

describe('cataloguePalette', () => {
  const palette = cataloguePalette();

  it('holds every named colour of catalogue-palette.json with its family, rgb and CIELAB', () => {
    expect(palette.colours.map((c) => c.name)).toEqual(paletteJson.colours.map((c) => c.name));
    const navy = palette.colours.find((c) => c.name === 'navy')!;
    expect(navy).toMatchObject({ family: 'blue', rgb: [28, 38, 92] });
    expect(navy.lab).toEqual(rgbToLab(28, 38, 92));
    expect(new Set(palette.colours.map((c) => c.name)).size).toBe(palette.colours.length);
    expect(palette.source).toMatchObject({ split: 'train' });
  });

  it('is the same object on every call', () => {
    expect(cataloguePalette()).toBe(palette);
  });

  it('is ordered by family, then from dark to light, as derivePalette orders it', () => {
    const again = derivePalette(paletteJson.colours.map((c) => product([c.name], [c.family], c.rgb)));
    expect(again.colours.map((c) => c.name)).toEqual(palette.colours.map((c) => c.name));
  });
});

describe('nearestPaletteColour', () => {
  const palette = cataloguePalette();

  it.each(paletteJson.colours.map((c) => [c.name]))('gives %s for its own CIELAB, at distance 0', (name) => {
    const colour = palette.colours.find((c) => c.name === name)!;
    const near = nearestPaletteColour(palette, colour.lab);
    expect(near.colour).toBe(colour);
    expect(near.deltaE).toBe(0);
    expect(near.runnerUpDeltaE).toBeGreaterThan(0);
  });

  it('names a colour near a palette entry by that entry and reports the runner-up distance', () => {
    const near = nearestPaletteColour(palette, rgbToLab(30, 40, 96));
    expect(near.colour.name).toBe('navy');
    expect(near.deltaE).toBeLessThan(3);
    const others = palette.colours.filter((c) => c.name !== 'navy').map((c) => deltaE2000(rgbToLab(30, 40, 96), c.lab));
    expect(near.runnerUpDeltaE).toBeCloseTo(Math.min(...others), 10);
    expect(nearestPaletteColour(palette, rgbToLab(255, 255, 255)).colour.name).toBe('white');
    expect(nearestPaletteColour(palette, rgbToLab(0, 0, 0)).colour.name).toBe('black');
  });
});

describe('derivePalette', () => {
  it('averages the render colour of single-coloured products per name, rounded, with the commonest family', () => {
    const file = derivePalette(
      [
        product(['navy'], ['blue'], [20, 30, 90]),
        product(['navy'], ['blue'], [31, 40, 95]),
        product(['navy'], ['purple'], [30, 41, 92]),
        product(['red'], ['red'], [200, 30, 40]),
        // left out: two colours, no family, no render colour, a render colour of the wrong length
        product(['navy', 'red'], ['blue'], [255, 255, 255]),
        product(['red'], undefined, [0, 0, 0]),
        product(['red'], ['red']),
        product(['red'], ['red'], null),
        product(['red'], ['red'], [1, 2]),
      ],
      { catalog: 'test' },
    );
    expect(file).toEqual({
      format: PALETTE_FORMAT,
      source: { catalog: 'test' },
      colours: [
        { name: 'navy', family: 'blue', rgb: [27, 37, 92], products: 3 },
        { name: 'red', family: 'red', rgb: [200, 30, 40], products: 1 },
      ],
    });
  });

  it('orders the colours by family, then by lightness', () => {
    const file = derivePalette([
      product(['white'], ['neutral'], [244, 244, 242]),
      product(['light blue'], ['blue'], [140, 186, 236]),
      product(['black'], ['neutral'], [22, 22, 24]),
      product(['navy'], ['blue'], [28, 38, 92]),
    ]);
    expect(file.colours.map((c) => c.name)).toEqual(['navy', 'light blue', 'black', 'white']);
  });

  it('makes a file paletteFromFile reads back', () => {
    const file = derivePalette([product(['navy'], ['blue'], [28, 38, 92]), product(['white'], ['neutral'], [244, 244, 242])], { split: 'train' });
    const palette = paletteFromFile(file);
    expect(palette.colours.map((c) => [c.name, c.family, c.rgb, c.products])).toEqual([
      ['navy', 'blue', [28, 38, 92], 1],
      ['white', 'neutral', [244, 244, 242], 1],
    ]);
    expect(palette.source).toEqual({ split: 'train' });
  });
});

describe('paletteFromFile', () => {
  const valid: PaletteFile = { format: PALETTE_FORMAT, source: {}, colours: [{ name: 'navy', family: 'blue', rgb: [28, 38, 92], products: 1 }] };

  it.each([
    ['another format', { ...valid, format: 'colour-palette/0' }, /unknown colour palette format/],
    ['no colours', { ...valid, colours: [] }, /no colours/],
    ['a repeated name', { ...valid, colours: [...valid.colours, ...valid.colours] }, /names "navy" twice/],
    ['rgb out of range', { ...valid, colours: [{ ...valid.colours[0], rgb: [28, 38, 300] }] }, /rgb \[r, g, b\] in 0\.\.255/],
    ['rgb of two values', { ...valid, colours: [{ ...valid.colours[0], rgb: [28, 38] }] }, /rgb/],
    ['rgb that is not a number', { ...valid, colours: [{ ...valid.colours[0], rgb: [28, Number.NaN, 1] }] }, /rgb/],
  ])('refuses %s', (_what, file, message) => {
    expect(() => paletteFromFile(file as PaletteFile)).toThrow(message);
  });

  it('does not share its arrays with the file', () => {
    const file: PaletteFile = JSON.parse(JSON.stringify(valid));
    const palette = paletteFromFile(file);
    file.colours[0].rgb[0] = 0;
    file.source.changed = 1;
    expect(palette.colours[0].rgb).toEqual([28, 38, 92]);
    expect(palette.source).toEqual({});
  });
});
