import type { RecognisedAttribute, UnderstoodQuery } from '../../../src/query/query-understanding';
import { DEFAULT_UNDERSTANDING_POLICY, understoodConditions } from '../../../src/search/understood-conditions';

function attr(name: string, value: string, confidence = 1, polarity: 'include' | 'exclude' = 'include'): RecognisedAttribute {
  return { name, value, polarity, confidence, source: 'catalogue', words: value, start: 0, end: value.length };
}

function query(attributes: RecognisedAttribute[], price: UnderstoodQuery['price'] = null): UnderstoodQuery {
  return { text: 'q', correctedText: null, corrections: [], attributes, price, searchText: 'q', lexicalText: 'q' };
}

describe('understoodConditions', () => {
  it('restricts retrieval to the most specific value of each group and re-ranks by all included values', () => {
    const c = understoodConditions(
      query([attr('color', 'red'), attr('colorFamily', 'red'), attr('category', 'shirt'), attr('group', 'top'), attr('occasion', 'work')]),
      DEFAULT_UNDERSTANDING_POLICY,
    );
    expect(c.restriction).toEqual({
      must: [
        { kind: 'match', key: 'category', value: 'shirt' },
        { kind: 'match', key: 'color', value: 'red' },
      ],
    });
    expect(c.filter).toBeUndefined();
    expect(c.ranking).toHaveLength(5);
    expect(c.uses).toEqual(['RETRIEVAL', 'RANKING', 'RETRIEVAL', 'RANKING', 'RANKING']);
  });

  it('falls back to the broader attribute of a group and ORs values of one attribute', () => {
    const c = understoodConditions(query([attr('group', 'shoes'), attr('color', 'red'), attr('color', 'navy')]), DEFAULT_UNDERSTANDING_POLICY);
    expect(c.restriction).toEqual({
      must: [
        { kind: 'match', key: 'group', value: 'shoes' },
        { kind: 'matchAny', key: 'color', any: ['red', 'navy'] },
      ],
    });
  });

  it('leaves out values below the restriction confidence and marks too-unsure exclusions ignored', () => {
    const c = understoodConditions(query([attr('category', 'coat', 0.3), attr('color', 'red', 0.2, 'exclude')]), { ...DEFAULT_UNDERSTANDING_POLICY, restrictConfidence: 0.5 });
    expect(c.restriction).toBeUndefined();
    expect(c.filter).toBeUndefined();
    expect(c.uses).toEqual(['RANKING', 'IGNORED']);
  });

  it('reports but ignores included values below the ranking confidence', () => {
    const c = understoodConditions(query([attr('category', 'coat', 0.2), attr('color', 'red', 0.9)]), { ...DEFAULT_UNDERSTANDING_POLICY, rankConfidence: 0.3 });
    expect(c.ranking).toEqual([{ name: 'color', value: 'red' }]);
    expect(c.uses).toEqual(['IGNORED', 'RETRIEVAL']);
  });

  it('turns exclusions and the price into hard conditions', () => {
    const c = understoodConditions(
      query([attr('category', 'shirt'), attr('color', 'red', 1, 'exclude'), attr('colorFamily', 'red', 1, 'exclude')], { min: 20, max: 40, currency: 'EUR', start: 0, end: 1 }),
      DEFAULT_UNDERSTANDING_POLICY,
    );
    expect(c.filter).toEqual({
      must: [{ kind: 'range', key: 'price', gte: 20, lte: 40 }],
      mustNot: [
        { kind: 'matchAny', key: 'color', any: ['red'] },
        { kind: 'matchAny', key: 'colorFamily', any: ['red'] },
      ],
    });
    expect(c.priceApplied).toBe(true);
    expect(c.uses).toEqual(['RETRIEVAL', 'EXCLUSION', 'EXCLUSION']);
    expect(understoodConditions(query([], { min: null, max: 40, currency: null, start: 0, end: 1 }), { ...DEFAULT_UNDERSTANDING_POLICY, applyPrice: false }).filter).toBeUndefined();
  });

  it('makes confident values filters when the policy says so, and they no longer restrict a source', () => {
    const c = understoodConditions(query([attr('category', 'shirt', 0.95), attr('color', 'red', 0.7)]), { ...DEFAULT_UNDERSTANDING_POLICY, filterConfidence: 0.9 });
    expect(c.filter).toEqual({ must: [{ kind: 'match', key: 'category', value: 'shirt' }] });
    expect(c.restriction).toEqual({ must: [{ kind: 'match', key: 'color', value: 'red' }] });
    expect(c.uses).toEqual(['FILTER', 'RETRIEVAL']);
  });

  it('adds caller restrictions (the reference product category of a composed search) unless the text names one', () => {
    const extra = { restrictTo: new Map([['category', ['dress']]]) };
    expect(understoodConditions(query([attr('color', 'red')]), DEFAULT_UNDERSTANDING_POLICY, extra).restriction).toEqual({
      must: [
        { kind: 'match', key: 'color', value: 'red' },
        { kind: 'match', key: 'category', value: 'dress' },
      ],
    });
    expect(understoodConditions(query([attr('category', 'coat')]), DEFAULT_UNDERSTANDING_POLICY, extra).restriction).toEqual({
      must: [{ kind: 'match', key: 'category', value: 'coat' }],
    });
    expect(understoodConditions(null, DEFAULT_UNDERSTANDING_POLICY).restriction).toBeUndefined();
  });
});
