import { InvalidInputError, NotFoundError, UnavailableError } from '../../../src/domain/errors';
import type { Product } from '../../../src/domain/product';
import type { OutfitScorer } from '../../../src/outfits/outfit-scorer';
import { complementarySlots } from '../../../src/outfits/outfit-structures';
import { OutfitService, outfitService, slotFilter } from '../../../src/outfits/outfit.service';
import { product } from '../fakes/catalog-builder';
import { bagOfWords } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

/** Scores an outfit by the share of items in the colour `favourite`; records every call. */
class ColourScorer implements OutfitScorer {
  readonly model = { name: 'colour-rule', version: '0' };
  readonly calls: Product[][][] = [];
  constructor(private readonly favourite: string) {}
  async score(outfits: Product[][]): Promise<number[]> {
    this.calls.push(outfits);
    return outfits.map((o) => o.filter((p) => p.attributes.color?.[0] === this.favourite).length / o.length);
  }
}

interface Item {
  id: string;
  group: string;
  color: string;
  occasion?: string[];
  season?: string[];
  gender?: string;
  words?: string;
}

function item(i: Item): Product {
  return product({
    id: i.id,
    title: `${i.color} ${i.group}`,
    attributes: {
      group: [i.group],
      color: [i.color],
      occasion: i.occasion ?? ['casual'],
      season: i.season ?? ['summer'],
      gender: [i.gender ?? 'women'],
    },
  });
}

async function storeWith(items: Item[], vectors = true): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.upsert(items.map((i) => ({ product: item(i), vectors: vectors ? { image: bagOfWords(i.words ?? `${i.color} ${i.group}`) } : {} })));
  return store;
}

const WARDROBE: Item[] = [
  { id: 'top-red', group: 'top', color: 'red', words: 'look' },
  { id: 'bottom-blue', group: 'bottom', color: 'blue', words: 'look' },
  { id: 'bottom-red', group: 'bottom', color: 'red', words: 'far away' },
  { id: 'shoes-blue', group: 'shoes', color: 'blue', words: 'look' },
  { id: 'shoes-red', group: 'shoes', color: 'red', words: 'other words' },
  { id: 'shoes-black', group: 'shoes', color: 'black', words: 'look' },
  { id: 'bag-red', group: 'bag', color: 'red', words: 'elsewhere' },
  { id: 'bag-white', group: 'bag', color: 'white', words: 'look' },
  { id: 'dress-red', group: 'dress', color: 'red' },
  { id: 'coat-red', group: 'outerwear', color: 'red' },
];

describe('complementarySlots', () => {
  it.each([
    ['top', [['bottom', 'shoes', 'bag']]],
    ['bottom', [['top', 'shoes', 'bag']]],
    ['dress', [['shoes', 'bag']]],
    ['shoes', [['top', 'bottom', 'bag'], ['dress', 'bag']]],
    ['bag', [['top', 'bottom', 'shoes'], ['dress', 'shoes']]],
    ['outerwear', []],
  ])('%s -> %j', (group, slots) => {
    expect(complementarySlots(group)).toEqual(slots);
  });
});

describe('slotFilter', () => {
  const women = item({ id: 'a', group: 'top', color: 'red', occasion: ['casual', 'work'], season: ['spring', 'summer'], gender: 'women' });
  it.each<[string, Product, boolean, unknown]>([
    ['group only when not strict', women, false, { must: [{ kind: 'match', key: 'group', value: 'shoes' }] }],
    [
      'occasion, season (or all-season) and not the opposite gender',
      women,
      true,
      {
        must: [
          { kind: 'match', key: 'group', value: 'shoes' },
          { kind: 'matchAny', key: 'occasion', any: ['casual', 'work'] },
          { kind: 'matchAny', key: 'season', any: ['spring', 'summer', 'all-season'] },
        ],
        mustNot: [{ kind: 'match', key: 'gender', value: 'men' }],
      },
    ],
    [
      'an all-season unisex product adds no season or gender condition',
      item({ id: 'u', group: 'top', color: 'red', occasion: ['sport'], season: ['all-season'], gender: 'unisex' }),
      true,
      { must: [{ kind: 'match', key: 'group', value: 'shoes' }, { kind: 'matchAny', key: 'occasion', any: ['sport'] }] },
    ],
  ])('%s', (_name, p, strict, expected) => {
    expect(slotFilter(p, 'shoes', strict)).toEqual(expected);
  });
});

describe('OutfitService.completeTheLook', () => {
  it('fills every complementary slot and finds the best outfit, not just the nearest items', async () => {
    const scorer = new ColourScorer('red');
    const service = new OutfitService(await storeWith(WARDROBE), scorer);
    const result = await service.completeTheLook('top-red', 2);
    expect(result.product.id).toBe('top-red');
    expect(result.slots.map((s) => s.group)).toEqual(['bottom', 'shoes', 'bag']);
    expect(result.bestOutfit.items.map((p) => p.id)).toEqual(['top-red', 'bottom-red', 'shoes-red', 'bag-red']);
    expect(result.bestOutfit.score).toBe(1);
    expect(result.model).toEqual({ name: 'colour-rule', version: '0' });
    const shoes = result.slots[1].suggestions;
    expect(shoes).toHaveLength(2);
    expect(shoes[0]).toEqual({ product: expect.objectContaining({ id: 'shoes-red' }), score: 1 });
    expect(shoes[1].score).toBeLessThan(shoes[0].score);
    // every scored outfit is a full outfit: the product plus one item per slot
    for (const batch of scorer.calls) for (const outfit of batch) expect(outfit.map((p) => p.attributes.group[0])).toEqual(['top', 'bottom', 'shoes', 'bag']);
  });

  it('ranks suggestions best first (ties: nearest first) and caps them at first', async () => {
    const service = new OutfitService(await storeWith(WARDROBE), new ColourScorer('blue'));
    const result = await service.completeTheLook('top-red', 1);
    expect(result.slots.map((s) => s.suggestions.map((x) => x.product.id))).toEqual([['bottom-blue'], ['shoes-blue'], ['bag-white']]);
  });

  it('picks the structure with the better outfit for shoes and bags', async () => {
    const service = new OutfitService(await storeWith(WARDROBE), new ColourScorer('red'));
    const result = await service.completeTheLook('shoes-red');
    // dress + bag reaches the same score with fewer items; both structures are full outfits
    expect(result.bestOutfit.score).toBe(1);
    expect(['top,bottom,bag', 'dress,bag']).toContain(result.slots.map((s) => s.group).join(','));
    const blue = await new OutfitService(await storeWith(WARDROBE), new ColourScorer('blue')).completeTheLook('shoes-blue');
    expect(blue.slots.map((s) => s.group)).toEqual(['top', 'bottom', 'bag']);
    expect(blue.bestOutfit.items.map((p) => p.id)).toEqual(['shoes-blue', 'top-red', 'bottom-blue', 'bag-white']);
  });

  it('keeps candidates that share an occasion and season and are not of the opposite gender', async () => {
    const store = await storeWith([
      { id: 'dress', group: 'dress', color: 'red', occasion: ['party'], season: ['winter'] },
      { id: 'bag-ok', group: 'bag', color: 'black', occasion: ['party', 'work'], season: ['all-season'] },
      { id: 'bag-men', group: 'bag', color: 'red', occasion: ['party'], season: ['winter'], gender: 'men' },
      { id: 'bag-beach', group: 'bag', color: 'red', occasion: ['casual'], season: ['summer'] },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `shoes-${i}`, group: 'shoes', color: 'red', occasion: ['party'], season: ['winter'] })),
      ...Array.from({ length: 7 }, (_, i) => ({ id: `bag-${i}`, group: 'bag', color: 'black', occasion: ['party'], season: ['winter'], gender: 'unisex' })),
    ]);
    const result = await new OutfitService(store, new ColourScorer('red')).completeTheLook('dress', 20);
    const bags = result.slots[1].suggestions.map((s) => s.product.id);
    expect(bags).toContain('bag-ok');
    expect(bags).not.toContain('bag-men');
    expect(bags).not.toContain('bag-beach');
    expect(store.searches.every((s) => s.excludeIds?.includes('dress'))).toBe(true);
  });

  it('falls back to the whole group when too few candidates match the occasion and season', async () => {
    const store = await storeWith([
      { id: 'dress', group: 'dress', color: 'red', occasion: ['party'] },
      { id: 'shoes-casual', group: 'shoes', color: 'red', occasion: ['casual'] },
      { id: 'bag-party', group: 'bag', color: 'red', occasion: ['party'] },
    ]);
    const result = await new OutfitService(store, new ColourScorer('red')).completeTheLook('dress');
    expect(result.bestOutfit.items.map((p) => p.id)).toEqual(['dress', 'shoes-casual', 'bag-party']);
  });

  it('lists candidates without a vector search when the product has no stored vector', async () => {
    const store = await storeWith(WARDROBE, false);
    const result = await new OutfitService(store, new ColourScorer('red')).completeTheLook('dress-red');
    expect(store.searches).toHaveLength(0);
    expect(result.bestOutfit.items.map((p) => p.id)).toEqual(['dress-red', 'shoes-red', 'bag-red']);
  });

  it.each<[string, string, number, new (...a: never[]) => Error, RegExp]>([
    ['an unknown id', 'nope', 4, NotFoundError, /no product with id "nope"/],
    ['an empty id', ' ', 4, InvalidInputError, /productId/],
    ['first below 1', 'top-red', 0, InvalidInputError, /first must be a positive integer/],
    ['a fractional first', 'top-red', 1.5, InvalidInputError, /first must be a positive integer/],
    ['outerwear', 'coat-red', 4, InvalidInputError, /outerwear.*not part of an outfit/],
  ])('rejects %s', async (_name, id, first, type, message) => {
    const service = new OutfitService(await storeWith(WARDROBE), new ColourScorer('red'));
    const error = await service.completeTheLook(id, first).catch((e: Error) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });

  it('reports NOT_FOUND when a slot has no product in the catalogue', async () => {
    const store = await storeWith([{ id: 'dress', group: 'dress', color: 'red' }, { id: 'bag', group: 'bag', color: 'red' }]);
    await expect(new OutfitService(store, new ColourScorer('red')).completeTheLook('dress')).rejects.toThrow(/no products to complete an outfit.*dress \+ shoes|shoes \+ bag/);
  });

  it('is unavailable without the model', () => {
    expect(() => outfitService(undefined)).toThrow(UnavailableError);
  });
});
