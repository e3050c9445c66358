import { applyBoosts, placePins } from '../../../src/rules/rule-ranking';
import type { AppliedBoost, PlacedPin } from '../../../src/rules/rule-set';
import { product } from '../fakes/catalog-builder';

const ref = { id: 'r', description: '' };
const items = (n: number, brandOf: (i: number) => string = () => 'Acme') =>
  Array.from({ length: n }, (_, i) => product({ id: `p${i}`, attributes: { brand: [brandOf(i)] } }));
const boost = (weight: number, values = ['Nordwind']): AppliedBoost => ({ attribute: 'brand', values: new Set(values), weight, rule: ref });

describe('applyBoosts', () => {
  it('weight 1 lifts the last product above the first, -1 sinks the first below the last', () => {
    const ps = items(5, (i) => (i === 4 ? 'Nordwind' : 'Acme'));
    expect(applyBoosts(ps, [boost(1)]).order).toEqual([4, 0, 1, 2, 3]);
    const first = items(5, (i) => (i === 0 ? 'Nordwind' : 'Acme'));
    expect(applyBoosts(first, [boost(-1)]).order).toEqual([1, 2, 3, 4, 0]);
  });

  it('moves by rank: a weight of 0.5 lifts a product half the segment (ties keep the order)', () => {
    const ps = items(10, (i) => (i === 9 ? 'Nordwind' : 'Acme'));
    // rank score of position 9 is 0.1, plus 0.5 = 0.6: level with position 4, after it
    expect(applyBoosts(ps, [boost(0.5)]).order.indexOf(9)).toBe(5);
  });

  it('adds the weights of several boosts and explains each', () => {
    const ps = items(3, (i) => (i === 2 ? 'Nordwind' : 'Acme'));
    const { order, effects } = applyBoosts(ps, [boost(0.3), boost(0.3, ['Nordwind', 'Other'])]);
    expect(order[1]).toBe(2);
    expect(effects[2].map((e) => [e.kind, e.detail])).toEqual([
      ['BOOST', 'boosted by 0.3 (brand = Nordwind)'],
      ['BOOST', 'boosted by 0.3 (brand = Nordwind)'],
    ]);
    expect(applyBoosts(ps, [boost(-0.2)]).effects[2][0]).toMatchObject({ kind: 'BURY', detail: 'buried by 0.2 (brand = Nordwind)' });
  });
});

describe('placePins', () => {
  const wrap = (ids: string[]) => ids.map((id) => ({ product: product({ id }) }));
  const pin = (productId: string, position: number): PlacedPin => ({ productId, position, rule: ref, requestedPosition: null });

  it('moves a pinned product from where it ranked to its position', () => {
    const ranked = wrap(['a', 'b', 'c', 'd']);
    const byId = new Map(ranked.map((x) => [x.product.id, x]));
    const { ranked: out, placed } = placePins(ranked, [pin('d', 1)], byId, false);
    expect(out.map((x) => x.product.id)).toEqual(['d', 'a', 'b', 'c']);
    expect([...placed.keys()]).toEqual(['d']);
  });

  it('keeps the ranked item (its scores) of a pinned product the ranking holds', () => {
    const ranked = [...wrap(['a', 'b']), { product: product({ id: 'c' }), score: 0.7 }];
    const placeholder = new Map([['c', { product: product({ id: 'c' }), score: 0 }]]);
    const { ranked: out } = placePins(ranked as { product: ReturnType<typeof product>; score?: number }[], [pin('c', 1)], placeholder, false);
    expect(out[0]).toMatchObject({ score: 0.7 });
  });

  it('brings in a product the ranking did not hold, and places pins in position order', () => {
    const ranked = wrap(['a', 'b', 'c']);
    const extra = wrap(['x', 'y']);
    const byId = new Map(extra.map((x) => [x.product.id, x]));
    const { ranked: out } = placePins(ranked, [pin('y', 3), pin('x', 1)], byId, false);
    expect(out.map((x) => x.product.id)).toEqual(['x', 'a', 'y', 'b', 'c']);
  });

  it('keeps a pin beyond the end for a deeper page, or puts it last when the ranking is exhausted', () => {
    const ranked = wrap(['a', 'b']);
    const extra = new Map(wrap(['x']).map((x) => [x.product.id, x]));
    expect(placePins(ranked, [pin('x', 9)], extra, false).ranked.map((x) => x.product.id)).toEqual(['a', 'b']);
    expect(placePins(ranked, [pin('x', 9)], extra, true).ranked.map((x) => x.product.id)).toEqual(['a', 'b', 'x']);
  });

  it('ignores a pin whose product the filter let through nowhere (missing from the items)', () => {
    const ranked = wrap(['a', 'b']);
    expect(placePins(ranked, [pin('gone', 1)], new Map(), true).ranked.map((x) => x.product.id)).toEqual(['a', 'b']);
  });
});
