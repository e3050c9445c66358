import { InvalidInputError } from '../../../src/domain/errors';
import { OutfitFeatureSpace, type FeatureSpec } from '../../../src/outfits/outfit-features';
import { parseOutfitModelSpec } from '../../../src/outfits/onnx-outfit.scorer';
import { product } from '../fakes/catalog-builder';

const SPEC: FeatureSpec = {
  attributes: [
    { name: 'group', offset: 0, values: ['bag', 'top'] },
    { name: 'color', offset: 2, values: ['black', 'red'] },
    { name: 'season', offset: 4, values: ['all-season', 'summer', 'winter'] },
  ],
  dim: 7,
  maxItems: 3,
};

const top = product({ id: 't', attributes: { group: ['top'], color: ['red'], season: ['summer', 'winter'], brand: ['Acme'] } });
const bag = product({ id: 'b', attributes: { group: ['bag'], color: ['teal'], season: ['all-season'] } });

describe('OutfitFeatureSpace', () => {
  const space = new OutfitFeatureSpace(SPEC);

  it.each([
    ['one-hot blocks, multi-valued seasons, attributes outside the spec ignored', top, [0, 1, 0, 1, 0, 1, 1]],
    ['values outside the vocabulary contribute nothing', bag, [1, 0, 0, 0, 1, 0, 0]],
    ['a product without attributes is all zeros', product({ id: 'x' }), [0, 0, 0, 0, 0, 0, 0]],
  ])('%s', (_name, p, expected) => {
    expect(Array.from(space.item(p))).toEqual(expected);
  });

  it('lays out a batch as [n, maxItems, dim] with a mask over the items', () => {
    const batch = space.batch([[top, bag], [bag]]);
    expect(batch.count).toBe(2);
    expect(batch.items).toHaveLength(2 * 3 * 7);
    expect(Array.from(batch.mask)).toEqual([1, 1, 0, 1, 0, 0]);
    expect(Array.from(batch.items.subarray(7, 14))).toEqual(Array.from(space.item(bag)));
    expect(Array.from(batch.items.subarray(21, 28))).toEqual(Array.from(space.item(bag)));
    expect(batch.items.subarray(14, 21).every((v) => v === 0)).toBe(true);
  });

  it('rejects outfits with no item or more than maxItems', () => {
    expect(() => space.batch([[]])).toThrow(InvalidInputError);
    expect(() => space.batch([[top, bag, top, bag]])).toThrow(/1 to 3 items \(outfit 1 has 4\)/);
  });

  it.each<[string, FeatureSpec, RegExp]>([
    ['a gap between blocks', { ...SPEC, attributes: [SPEC.attributes[0], { ...SPEC.attributes[1], offset: 3 }, SPEC.attributes[2]] }, /"color" starts at 3, expected 2/],
    ['a dim that differs from the blocks', { ...SPEC, dim: 8 }, /cover 7 dimensions but dim is 8/],
    ['a non-positive maxItems', { ...SPEC, maxItems: 0 }, /maxItems/],
  ])('rejects a spec with %s', (_name, spec, message) => {
    expect(() => new OutfitFeatureSpace(spec)).toThrow(message);
  });
});

describe('parseOutfitModelSpec', () => {
  const valid = {
    name: 'fashion-outfit',
    version: '1.0.0',
    file: 'model.onnx',
    inputs: [
      { name: 'items', shape: ['batch', 3, 7] },
      { name: 'mask', shape: ['batch', 3] },
    ],
    outputs: [{ name: 'score', shape: ['batch'] }],
    features: SPEC,
  };

  it('accepts a consistent model.json', () => {
    expect(parseOutfitModelSpec(valid, 'model.json').features.dim).toBe(7);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 3, /must hold an object/],
    ['no version', { ...valid, version: '' }, /"version" must be a non-empty string/],
    ['an items shape that disagrees with the features', { ...valid, inputs: [{ name: 'items', shape: ['batch', 4, 7] }, valid.inputs[1]] }, /"items" must have shape \[batch, 3, 7\]/],
    ['no features', { ...valid, features: undefined }, /"features" must hold/],
  ])('rejects %s', (_name, json, message) => {
    expect(() => parseOutfitModelSpec(json, 'model.json')).toThrow(message);
  });
});
