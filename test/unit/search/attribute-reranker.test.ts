import { AttributeReranker } from '../../../src/search/attribute.reranker';

const q = [
  { name: 'color', value: 'red' },
  { name: 'category', value: 'dress' },
];
const item = (color: string, category: string) => ({ attributes: { color: [color], category: [category] } });

describe('AttributeReranker', () => {
  it('computes the fraction of stated attribute names matched', () => {
    expect(AttributeReranker.matchFraction(q, item('red', 'dress').attributes)).toBe(1);
    expect(AttributeReranker.matchFraction(q, item('red', 'shirt').attributes)).toBe(0.5);
    expect(AttributeReranker.matchFraction([], item('red', 'shirt').attributes)).toBe(0);
  });

  it('moves full matches up, keeping order among equals', () => {
    const r = new AttributeReranker({ weight: 1 });
    const items = [item('navy', 'shirt'), item('red', 'shirt'), item('red', 'dress'), item('navy', 'coat')];
    const { order, boosts } = r.rerank(items, q);
    expect(order).toEqual([2, 1, 0, 3]);
    expect(boosts[2]).toBeCloseTo(1 / 61);
    expect(boosts[0]).toBe(0);
  });

  it('a small weight only breaks near ties', () => {
    const r = new AttributeReranker({ weight: 0.01 });
    const items = Array.from({ length: 30 }, () => item('navy', 'shirt'));
    items.push(item('red', 'dress'));
    expect(r.rerank(items, q).order.indexOf(30)).toBeGreaterThan(25);
  });

  it('weight 0 keeps the retrieved order', () => {
    const r = new AttributeReranker({ weight: 0 });
    expect(r.rerank([item('navy', 'shirt'), item('red', 'dress')], q).order).toEqual([0, 1]);
  });
});
