import { InvalidInputError } from '../../../../src/domain/errors';
import {
  cataloguePalette,
  colourHistogram,
  colourImage,
  colourProfile,
  colourProfileOfMasked,
  colourProfileOfPixels,
  colourRegion,
  colourSimilarity,
  deltaE2000,
  describeColours,
  labPixels,
  paletteFromFile,
  PALETTE_FORMAT,
  rgbToLab,
  type ColourProfile,
  type ColourShare,
} from '../../../../src/vision/colour';
import { ellipse, encode, GREEN, greyNoise, NAVY, rectangle, RED, scene, solid, stripes, sum, YELLOW, type RGB } from './synthetic-images';

const W = 64;
const H = 64;
const palette = cataloguePalette();

/** What every profile promises, whatever the picture. */
function expectWellFormed(p: ColourProfile) {
  expect(p.histogram.length).toBeGreaterThan(0);
  expect(sum(p.histogram.map((h) => h.share))).toBeCloseTo(1, 10);
  for (let i = 1; i < p.histogram.length; i++) expect(p.histogram[i].share).toBeLessThanOrEqual(p.histogram[i - 1].share);
  expect(new Set(p.histogram.map((h) => h.name)).size).toBe(p.histogram.length);
  for (const h of p.histogram) expect(palette.colours.some((c) => c.name === h.name)).toBe(true);
  expect(typeof p.family).toBe('string');
  expect(p.family).toBe(palette.colours.find((c) => c.name === p.dominant)!.family);
  expect(p.confidence).toBeGreaterThanOrEqual(0);
  expect(p.confidence).toBeLessThanOrEqual(1);
  expect(p.lab).toHaveLength(3);
  expect(p.clusters.length).toBeGreaterThan(0);
  expect(sum(p.clusters.map((c) => c.share))).toBeCloseTo(1, 10);
  expect(p.foreground).toBeGreaterThan(0);
  expect(p.foreground).toBeLessThanOrEqual(1);
}

const shareOf = (p: { histogram: readonly ColourShare[] }, name: string) => p.histogram.find((h) => h.name === name)?.share ?? 0;

describe('colourProfile', () => {
  const navyOnWhite = scene(W, H, solid([255, 255, 255]), ellipse(W, H), solid(NAVY));

  it.each(['png', 'jpeg', 'webp'] as const)('names a navy garment on white navy (%s)', async (format) => {
    const p = await colourProfile(await encode(navyOnWhite, format));
    expectWellFormed(p);
    expect(p.dominant).toBe('navy');
    expect(p.family).toBe('blue');
    expect(p.histogram[0].name).toBe('navy');
    expect(p.histogram[0].share).toBeGreaterThan(0.9);
    expect(p.maskSource).toBe('background');
    expect(p.predictedBy).toBe('signatures');
    expect(p.confidence).toBeGreaterThan(0.5);
    expect(deltaE2000(p.lab, rgbToLab(...NAVY))).toBeLessThan(5);
    expect(Math.abs(p.foreground - sum(navyOnWhite.truth) / (W * H))).toBeLessThan(0.05);
    // studio white is never light-corrected
    expect(p.lightCorrected).toBe(false);
  });

  it('names a red garment on plain grey red, correcting the light from the grey', async () => {
    const p = await colourProfile(await encode(scene(W, H, solid([180, 180, 180]), rectangle(W, H), solid(RED)), 'png'));
    expectWellFormed(p);
    expect([p.dominant, p.family]).toEqual(['red', 'red']);
    expect(p.lightCorrected).toBe(true);
  });

  it('names a green garment on grey noise green', async () => {
    const p = await colourProfile(await encode(scene(W, H, greyNoise(180, 60, 5), ellipse(W, H), solid(GREEN)), 'jpeg'));
    expectWellFormed(p);
    expect([p.dominant, p.family]).toEqual(['green', 'green']);
  });

  it('reads a cut-out PNG through its alpha channel', async () => {
    const shape = ellipse(W, H);
    const rgba = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) rgba.set(shape(p % W, Math.floor(p / W)) ? [...RED, 255] : [20, 200, 20, 0], p * 4);
    const p = await colourProfile(await encode({ rgb: rgba, width: W, height: H }, 'png', 4));
    expectWellFormed(p);
    expect(p.maskSource).toBe('alpha');
    expect(p.lightCorrected).toBe(false);
    expect(p.dominant).toBe('red');
    expect(shareOf(p, 'green')).toBe(0);
  });

  it('refuses bytes that are no image with InvalidInputError', async () => {
    await expect(colourProfile(Buffer.from('definitely not a JPEG'))).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('colourProfileOfPixels', () => {
  it('gives both colours of a striped garment, about half each', () => {
    const p = colourProfileOfPixels(scene(W, H, solid([255, 255, 255]), rectangle(W, H), stripes(NAVY, YELLOW, 4)).image);
    expectWellFormed(p);
    expect(p.histogram.map((h) => h.name).sort()).toEqual(['navy', 'yellow']);
    expect(shareOf(p, 'navy')).toBeGreaterThan(0.35);
    expect(shareOf(p, 'yellow')).toBeGreaterThan(0.35);
    expect(['navy', 'yellow']).toContain(p.dominant);
  });

  it('gives the shares of a garment that is 70% navy and 30% red', () => {
    const split = (_x: number, y: number): RGB => (y < 0.15 * H + 0.7 * 0.7 * H ? NAVY : RED);
    const p = colourProfileOfPixels(scene(W, H, solid([255, 255, 255]), rectangle(W, H), split).image);
    expectWellFormed(p);
    expect(p.dominant).toBe('navy');
    expect(shareOf(p, 'navy')).toBeGreaterThan(0.6);
    expect(shareOf(p, 'navy')).toBeLessThan(0.8);
    expect(shareOf(p, 'red')).toBeCloseTo(1 - shareOf(p, 'navy'), 10);
    expect(describeColours(p.histogram)).toMatch(/^(65|70|75|80)% navy, (20|25|30|35)% red$/);
  });

  it('predicts the largest histogram entry without signatures, its confidence at most its share', () => {
    const img = scene(W, H, solid([255, 255, 255]), rectangle(W, H), stripes(NAVY, YELLOW, 4)).image;
    const p = colourProfileOfPixels(img, palette, { signatures: null });
    expectWellFormed(p);
    expect(p.predictedBy).toBe('histogram');
    expect(p.dominant).toBe(p.histogram[0].name);
    // confidence is given to 4 decimals
    expect(p.confidence).toBeLessThanOrEqual(p.histogram[0].share + 5e-5);
  });

  it('predicts from the histogram with a palette of its own (the catalogue signatures do not fit it)', () => {
    const own = paletteFromFile({
      format: PALETTE_FORMAT,
      source: {},
      colours: [
        { name: 'ink', family: 'dark', rgb: [28, 38, 92], products: 1 },
        { name: 'paper', family: 'light', rgb: [250, 250, 250], products: 1 },
        { name: 'sun', family: 'bright', rgb: [246, 218, 54], products: 1 },
      ],
    });
    const p = colourProfileOfPixels(scene(W, H, solid([255, 255, 255]), ellipse(W, H), solid(NAVY)).image, own);
    expect(p.predictedBy).toBe('histogram');
    expect([p.dominant, p.family]).toEqual(['ink', 'dark']);
    expect(p.histogram).toEqual([{ name: 'ink', share: 1 }]);
    expect(p.confidence).toBeGreaterThan(0.5);
  });

  it('gives a finite confidence with a palette of one colour', () => {
    const one = paletteFromFile({ format: PALETTE_FORMAT, source: {}, colours: [{ name: 'ink', family: 'dark', rgb: [28, 38, 92], products: 1 }] });
    const p = colourProfileOfPixels(scene(W, H, solid([255, 255, 255]), ellipse(W, H), solid(NAVY)).image, one);
    expect(p.dominant).toBe('ink');
    expect(Number.isFinite(p.confidence)).toBe(true);
  });

  it('corrects light falling off across a plain surface, and leaves it when told not to', () => {
    const light = (x: number) => 0.55 + (0.45 * x) / (W - 1);
    const shade = (c: RGB) => (x: number): RGB => [c[0] * light(x), c[1] * light(x), c[2] * light(x)];
    const img = scene(W, H, shade([200, 200, 200]), ellipse(W, H), shade(GREEN)).image;
    const fixed = colourProfileOfPixels(img);
    expect(fixed.lightCorrected).toBe(true);
    expect(fixed.dominant).toBe('green');
    expect(shareOf(fixed, 'green')).toBeGreaterThan(0.9);
    const raw = colourProfileOfPixels(img, palette, { illumination: false });
    expect(raw.lightCorrected).toBe(false);
    // uncorrected, the shaded side of the garment reads darker
    expect(shareOf(raw, 'green')).toBeLessThan(shareOf(fixed, 'green'));
  });

  it('takes the colour of a garment filling the frame from its centre', () => {
    const p = colourProfileOfPixels(colourImage(Uint8Array.from({ length: W * H * 3 }, (_, i) => NAVY[i % 3]), W, H, 3));
    expect(p.maskSource).toBe('centre');
    expect(p.dominant).toBe('navy');
  });

  it('leaves out a hand holding the garment when it is a minority', () => {
    // a skin tone of the Monk scale across the bottom of the garment
    const withHand = (_x: number, y: number): RGB => (y >= 44 ? [215, 189, 150] : NAVY);
    const img = scene(W, H, solid([255, 255, 255]), rectangle(W, H), withHand).image;
    const p = colourProfileOfPixels(img);
    expect(p.histogram).toEqual([{ name: 'navy', share: 1 }]);
    const kept = colourProfileOfPixels(img, palette, { skinDeltaE: 0 });
    expect(kept.histogram.length).toBeGreaterThan(1);
  });

  it('is deterministic', () => {
    const img = scene(W, H, greyNoise(170, 50, 9), ellipse(W, H), stripes(RED, NAVY, 3)).image;
    expect(colourProfileOfPixels(img)).toEqual(colourProfileOfPixels(img));
  });
});

describe('colourProfileOfMasked and colourRegion', () => {
  const s = scene(W, H, solid([180, 180, 180]), rectangle(W, H), solid(RED));
  const lab = labPixels(s.image.rgb);

  it('profiles the pixels of a given mask', () => {
    const mask = { width: W, height: H, data: s.truth, coverage: sum(s.truth) / (W * H), source: 'background' as const, background: null };
    const p = colourProfileOfMasked(s.image, lab, mask);
    expectWellFormed(p);
    expect(p.dominant).toBe('red');
    expect(p.foreground).toBe(mask.coverage);
    const blind = colourProfileOfMasked(s.image, lab, mask, palette, { illumination: false });
    expect(blind.lightCorrected).toBe(false);
    expect(blind.dominant).toBe('red');
  });

  it('finds the region and corrects its light', () => {
    const region = colourRegion(s.image, lab);
    expect(region.lightCorrected).toBe(true);
    expect(region.image.rgb).toHaveLength(s.rgb.length);
    expect(region.lab).toHaveLength(lab.length);
    expect(region.mask.data[(H / 2) * W + W / 2]).toBe(1);
    expect(region.mask.data[0]).toBe(0);
    const plain = colourRegion(s.image, lab, { illumination: false });
    expect(plain.lightCorrected).toBe(false);
    expect(plain.image).toBe(s.image);
  });
});

describe('colourHistogram', () => {
  it('sums cluster shares by name, largest first, ties in palette order, shares summing to 1', () => {
    const h = colourHistogram(
      [
        { name: 'white', share: 0.2 },
        { name: 'navy', share: 0.3 },
        { name: 'red', share: 0.1 },
        { name: 'white', share: 0.1 },
        { name: 'navy', share: 0.2 },
        { name: 'blue', share: 0.1 },
      ],
      palette,
    );
    expect(h.map((x) => x.name)).toEqual(['navy', 'white', 'blue', 'red']);
    expect(h.map((x) => x.share)).toEqual([0.5, 0.3, 0.1, 0.1].map((v) => expect.closeTo(v, 10)));
  });

  it('normalises shares that do not sum to 1', () => {
    expect(colourHistogram([{ name: 'red', share: 3 }, { name: 'navy', share: 1 }], palette)).toEqual([
      { name: 'red', share: 0.75 },
      { name: 'navy', share: 0.25 },
    ]);
    expect(colourHistogram([], palette)).toEqual([]);
  });
});

describe('colourSimilarity', () => {
  const navy: ColourShare[] = [{ name: 'navy', share: 1 }];
  const mixed: ColourShare[] = [
    { name: 'navy', share: 0.7 },
    { name: 'white', share: 0.3 },
  ];

  it('is 1 for the same histogram and for the same proportions at another scale', () => {
    expect(colourSimilarity(navy, navy)).toBeCloseTo(1, 10);
    expect(colourSimilarity(mixed, mixed)).toBeCloseTo(1, 10);
    expect(colourSimilarity(mixed, mixed.map((h) => ({ ...h, share: h.share * 3 })))).toBeCloseTo(1, 10);
  });

  it('is symmetric and within 0..1', () => {
    const histograms: ColourShare[][] = [navy, mixed, [{ name: 'yellow', share: 1 }], [{ name: 'blue', share: 0.5 }, { name: 'red', share: 0.5 }]];
    for (const a of histograms) {
      for (const b of histograms) {
        const s = colourSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(s).toBeCloseTo(colourSimilarity(b, a), 12);
      }
    }
  });

  it('finds navy partly like blue and hardly like yellow', () => {
    const blue = colourSimilarity(navy, [{ name: 'blue', share: 1 }]);
    const yellow = colourSimilarity(navy, [{ name: 'yellow', share: 1 }]);
    expect(blue).toBeLessThan(1);
    expect(yellow).toBeLessThan(0.01);
    expect(blue).toBeGreaterThan(yellow);
    expect(colourSimilarity(navy, mixed)).toBeGreaterThan(colourSimilarity(navy, [{ name: 'white', share: 1 }]));
  });

  it('matches names outside the palette only to themselves, and gives 0 for an empty histogram', () => {
    expect(colourSimilarity([{ name: 'chartreuse', share: 1 }], [{ name: 'chartreuse', share: 1 }])).toBeCloseTo(1, 10);
    expect(colourSimilarity([{ name: 'chartreuse', share: 1 }], navy)).toBe(0);
    expect(colourSimilarity([], navy)).toBe(0);
    expect(colourSimilarity([], [])).toBe(0);
  });

  it('ranks the profile of the same picture above that of another colour', () => {
    const profile = (c: RGB) => colourProfileOfPixels(scene(48, 48, solid([255, 255, 255]), ellipse(48, 48), solid(c)).image).histogram;
    const navyProfile = profile(NAVY);
    expect(colourSimilarity(navyProfile, profile(NAVY))).toBeCloseTo(1, 10);
    expect(colourSimilarity(navyProfile, profile(YELLOW))).toBeLessThan(0.1);
  });
});

describe('describeColours', () => {
  it('writes shares as rounded percentages, largest first', () => {
    expect(describeColours([{ name: 'navy', share: 0.7 }, { name: 'white', share: 0.3 }])).toBe('70% navy, 30% white');
    expect(describeColours([{ name: 'navy', share: 0.72 }, { name: 'white', share: 0.28 }])).toBe('70% navy, 30% white');
    expect(describeColours([{ name: 'red', share: 1 }])).toBe('100% red');
    expect(describeColours([{ name: 'red', share: 1 }], { max: 0 })).toBe('');
  });

  it('rounds to 5 from 10% and to 1 below', () => {
    expect(describeColours([{ name: 'navy', share: 0.674 }, { name: 'white', share: 0.126 }, { name: 'red', share: 0.07 }], { minShare: 0 })).toBe('65% navy, 15% white, 7% red');
    expect(describeColours([{ name: 'navy', share: 0.996 }, { name: 'red', share: 0.004 }], { minShare: 0 })).toBe('100% navy, 1% red');
  });

  it('leaves out shares under minShare (10% unless told) and lists at most max (3 unless told)', () => {
    const h: ColourShare[] = [
      { name: 'navy', share: 0.4 },
      { name: 'white', share: 0.25 },
      { name: 'red', share: 0.2 },
      { name: 'yellow', share: 0.1 },
      { name: 'blue', share: 0.05 },
    ];
    expect(describeColours(h)).toBe('40% navy, 25% white, 20% red');
    expect(describeColours(h, { max: 10 })).toBe('40% navy, 25% white, 20% red, 10% yellow');
    expect(describeColours(h, { max: 10, minShare: 0 })).toBe('40% navy, 25% white, 20% red, 10% yellow, 5% blue');
    expect(describeColours(h, { minShare: 0.3 })).toBe('40% navy');
    expect(describeColours(h, { max: 1 })).toBe('40% navy');
  });

  it('names the largest colour when every share is under minShare, and nothing for no colours', () => {
    expect(describeColours([{ name: 'navy', share: 0.06 }, { name: 'red', share: 0.05 }])).toBe('6% navy');
    expect(describeColours([])).toBe('');
  });
});
