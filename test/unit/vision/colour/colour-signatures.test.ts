import {
  cataloguePalette,
  catalogueSignatures,
  deriveSignatures,
  DEFAULT_SIGNATURE_OPTIONS,
  nearestPaletteColour,
  paletteFromFile,
  PALETTE_FORMAT,
  predictColour,
  rgbToLab,
  SIGNATURES_FORMAT,
  signaturesFromFile,
  softHistogram,
  type SignaturesFile,
} from '../../../../src/vision/colour';
import signaturesJson from '../../../../src/vision/colour/catalogue-signatures.json';
import { sum } from './synthetic-images';

const palette = cataloguePalette();
const names = palette.colours.map((c) => c.name);
const at = (name: string) => names.indexOf(name);
const small = paletteFromFile({
  format: PALETTE_FORMAT,
  source: {},
  colours: [
    { name: 'navy', family: 'blue', rgb: [28, 38, 92], products: 1 },
    { name: 'white', family: 'neutral', rgb: [244, 244, 242], products: 1 },
    { name: 'yellow', family: 'yellow', rgb: [246, 218, 54], products: 1 },
  ],
});

describe('softHistogram', () => {
  it('spreads each cluster over the palette colours near it, in palette order, summing to 1', () => {
    const h = softHistogram([{ lab: rgbToLab(28, 38, 92), share: 1 }], palette, 12);
    expect(h).toHaveLength(names.length);
    expect(sum(h)).toBeCloseTo(1, 10);
    expect(Math.max(...h)).toBe(h[at('navy')]);
    expect(h[at('navy')]).toBeGreaterThan(0.5);
    expect(h[at('yellow')]).toBeLessThan(1e-6);
  });

  it('weighs clusters by their shares and normalises them', () => {
    const h = softHistogram(
      [
        { lab: rgbToLab(28, 38, 92), share: 3 },
        { lab: rgbToLab(246, 218, 54), share: 1 },
      ],
      small,
      12,
    );
    expect(sum(h)).toBeCloseTo(1, 10);
    expect(h[0]).toBeCloseTo(0.75, 2);
    expect(h[1] + h[2]).toBeCloseTo(0.25, 2);
    expect(h[2]).toBeGreaterThan(0.24);
  });

  it('gives a colour far from every palette colour all to the nearest', () => {
    const red = rgbToLab(208, 32, 40);
    const h = softHistogram([{ lab: red, share: 1 }], small, 0.01);
    const nearest = small.colours.indexOf(nearestPaletteColour(small, red).colour);
    expect(Array.from(h)).toEqual([0, 1, 2].map((i) => (i === nearest ? 1 : 0)));
  });

  it('is all zeros without clusters', () => {
    expect(Array.from(softHistogram([], small, 12))).toEqual([0, 0, 0]);
  });
});

describe('deriveSignatures', () => {
  it('averages the histograms per colour and group, in palette order, then by group', () => {
    const file = deriveSignatures(
      [
        { name: 'yellow', group: 'solid', histogram: [0, 0.2, 0.8] },
        { name: 'navy', group: 'stripes', histogram: [0.5, 0.5, 0] },
        { name: 'navy', group: 'solid', histogram: [1, 0, 0] },
        { name: 'navy', group: 'solid', histogram: [0.8, 0.2, 0] },
      ],
      small,
      DEFAULT_SIGNATURE_OPTIONS,
      { images: 4 },
    );
    expect(file).toEqual({
      format: SIGNATURES_FORMAT,
      source: { images: 4 },
      options: DEFAULT_SIGNATURE_OPTIONS,
      names: ['navy', 'white', 'yellow'],
      entries: [
        { name: 'navy', group: 'solid', images: 2, histogram: [0.9, 0.1, 0] },
        { name: 'navy', group: 'stripes', images: 1, histogram: [0.5, 0.5, 0] },
        { name: 'yellow', group: 'solid', images: 1, histogram: [0, 0.2, 0.8] },
      ],
    });
  });

  it('refuses a histogram of another length', () => {
    expect(() => deriveSignatures([{ name: 'navy', group: 'solid', histogram: [1, 0] }], small)).toThrow(RangeError);
  });
});

describe('signaturesFromFile', () => {
  const file: SignaturesFile = {
    format: SIGNATURES_FORMAT,
    source: { images: 2 },
    options: { sigma: 12, epsilon: 0.03, sharpness: 20 },
    names: ['navy', 'white', 'yellow'],
    entries: [
      { name: 'navy', group: 'solid', images: 1, histogram: [0.9, 0.1, 0] },
      { name: 'yellow', group: 'solid', images: 1, histogram: [0, 0.1, 0.9] },
    ],
  };

  it('reads the log shares, with epsilon added', () => {
    const s = signaturesFromFile(file, small);
    expect(s.names).toEqual(['navy', 'white', 'yellow']);
    expect(s.options).toEqual(file.options);
    expect(Array.from(s.entries[0].logShares)).toEqual([Math.log(0.93), Math.log(0.13), Math.log(0.03)].map((v) => expect.closeTo(v, 12)));
  });

  it.each([
    ['another format', { ...file, format: 'colour-signatures/0' }, /unknown colour signatures format/],
    ['another palette', { ...file, names: ['navy', 'yellow', 'white'] }, /another palette/],
    ['no entries', { ...file, entries: [] }, /no entries/],
    ['a colour the palette lacks', { ...file, entries: [{ name: 'red', group: 'solid', images: 1, histogram: [0, 0, 1] }] }, /bad colour signature for "red"/],
    ['a histogram of another length', { ...file, entries: [{ name: 'navy', group: 'solid', images: 1, histogram: [1, 0] }] }, /bad colour signature/],
  ])('refuses %s', (_what, bad, message) => {
    expect(() => signaturesFromFile(bad as SignaturesFile, small)).toThrow(message);
  });
});

describe('catalogueSignatures', () => {
  it('fits the catalogue palette, once', () => {
    const s = catalogueSignatures(palette);
    expect(s).not.toBeNull();
    expect(s!.names).toEqual(names);
    expect(s!.entries).toHaveLength(signaturesJson.entries.length);
    expect(catalogueSignatures(palette)).toBe(s);
  });

  it('is null for a palette of other colours', () => {
    expect(catalogueSignatures(small)).toBeNull();
  });
});

describe('predictColour', () => {
  const signatures = catalogueSignatures(palette)!;

  it.each(signaturesJson.entries.filter((e) => e.group === 'solid').map((e) => [e.name, e.histogram]))(
    'gives %s for the histogram of its own solid signature',
    (name, histogram) => {
      const p = predictColour(histogram as number[], signatures);
      expect(p.name).toBe(name);
      expect(p.probability).toBeGreaterThan(0);
      expect(p.probability).toBeLessThanOrEqual(1);
    },
  );

  it('scores every colour once, best first, and names the group that explained it best', () => {
    const h = softHistogram([{ lab: rgbToLab(28, 38, 92), share: 1 }], palette, signatures.options.sigma);
    const p = predictColour(h, signatures);
    expect(p.name).toBe('navy');
    expect(signatures.entries.some((e) => e.name === 'navy' && e.group === p.group)).toBe(true);
    expect(p.scores.map((s) => s.name).sort()).toEqual([...names].sort());
    for (let i = 1; i < p.scores.length; i++) expect(p.scores[i].score).toBeLessThanOrEqual(p.scores[i - 1].score);
    expect(p.scores[0]).toEqual({ name: 'navy', score: expect.any(Number) });
  });

  it('is surer of a clear histogram than of an even blend of two colours', () => {
    const s = signaturesFromFile(
      {
        format: SIGNATURES_FORMAT,
        source: {},
        options: DEFAULT_SIGNATURE_OPTIONS,
        names: ['navy', 'white', 'yellow'],
        entries: [
          { name: 'navy', group: 'solid', images: 1, histogram: [0.9, 0.05, 0.05] },
          { name: 'yellow', group: 'solid', images: 1, histogram: [0.05, 0.05, 0.9] },
        ],
      },
      small,
    );
    const clear = predictColour([0.95, 0.05, 0], s);
    const blend = predictColour([0.5, 0, 0.5], s);
    expect(clear.name).toBe('navy');
    expect(clear.probability).toBeGreaterThan(0.99);
    expect(blend.probability).toBeCloseTo(0.5, 6);
    // a tie goes to the colour first in the palette
    expect(blend.name).toBe('navy');
  });
});
