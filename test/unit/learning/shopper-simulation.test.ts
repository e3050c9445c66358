import { seededRandom } from '../../../src/evaluation/statistics';
import {
  catalogueWording,
  clicksOnPage,
  DEFAULT_CLICK_MODEL,
  matches,
  NEW_WORDS,
  ordinaryTastes,
  planSearches,
  precisionAt,
  queriesOf,
  wordsInCatalogue,
  type CatalogueProduct,
} from '../../../src/learning/shopper-simulation';

const product = (id: string, attributes: Record<string, string[]>, title = 'A thing'): CatalogueProduct => ({ id, title, description: '', attributes });

describe('simulated shoppers', () => {
  it('match products by every condition of a taste', () => {
    const floral = product('a', { category: ['dress'], pattern: ['floral'] });
    expect(matches(floral, { category: 'dress', pattern: 'floral' })).toBe(true);
    expect(matches(floral, { category: 'dress', pattern: 'dots' })).toBe(false);
    expect(matches(floral, { colorFamily: 'red' })).toBe(false);
  });

  it('type a new word alone or with its garment word, and reword it in the catalogue words', () => {
    const bloomcore = NEW_WORDS.find((t) => t.word === 'bloomcore')!;
    const queries = queriesOf(bloomcore);
    expect(queries).toContain('bloomcore');
    expect(queries).toContain('bloomcore dress');
    expect(queries.every((q) => q.includes('bloomcore'))).toBe(true);
    expect(catalogueWording(bloomcore)).toBe('floral dress');
    expect(catalogueWording(NEW_WORDS.find((t) => t.word === 'pradley')!)).toBe('stripes t shirt');
  });

  it('finds new words a catalogue already uses', () => {
    expect(wordsInCatalogue(NEW_WORDS, [product('a', {}, 'Zebbo bag in red')])).toEqual(['zebbo']);
    expect(wordsInCatalogue(NEW_WORDS, [product('a', {}, 'Floral dress')])).toEqual([]);
  });

  it('click by position: far more at the top than below, relevant far more than not', () => {
    const random = seededRandom(1);
    const top = new Array(20).fill(0);
    let irrelevant = 0;
    for (let i = 0; i < 3000; i++) {
      for (const rank of clicksOnPage(new Array(20).fill(true), 1, DEFAULT_CLICK_MODEL, random)) top[rank - 1]++;
      irrelevant += clicksOnPage(new Array(20).fill(false), 1, DEFAULT_CLICK_MODEL, random).length;
    }
    expect(top[0] / 3000).toBeCloseTo(0.95 * 0.7, 1);
    expect(top[19] / top[0]).toBeCloseTo(Math.pow(20, -0.7), 1);
    expect(irrelevant / top.reduce((a, b) => a + b, 0)).toBeLessThan(0.06);
    expect(clicksOnPage([true], 21, { ...DEFAULT_CLICK_MODEL, examination: 1, relevantClick: 1 }, () => 0)).toEqual([21]);
  });

  it('plan a reproducible mix of new-word and ordinary searches', () => {
    const products = Array.from({ length: 40 }, (_, i) => product(`p${i}`, { category: [i % 2 ? 'shirt' : 'dress'], color: ['navy'], pattern: ['solid'] }));
    const ordinary = ordinaryTastes(products, 5, seededRandom(2));
    expect(ordinary.map((t) => t.word).sort()).toEqual(['navy dress', 'navy shirt']);
    const a = planSearches(1000, NEW_WORDS, ordinary, 0.7, seededRandom(3));
    const b = planSearches(1000, NEW_WORDS, ordinary, 0.7, seededRandom(3));
    expect(a).toEqual(b);
    const share = a.filter((s) => s.taste.kind === 'new-word').length / a.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.75);
  });

  it('score a page by precision at 10', () => {
    expect(precisionAt(['a', 'b', 'c'], 10, (id) => id !== 'b')).toBeCloseTo(0.2);
  });
});
