import { matchAttributes, normalizeText, QueryParser } from '../../../src/search/query-parser';

const vocabulary = {
  category: ['t-shirt', 'trousers', 'dress', 'ankle-boot', 'shirt', 'sneaker', 'coat'],
  color: ['navy', 'blue', 'red', 'light blue', 'grey'],
  colorFamily: ['blue', 'red', 'grey'],
  pattern: ['solid', 'stripes', 'dots', 'checks'],
  material: ['denim', 'leather'],
  gender: ['women', 'men'],
  brand: ['Nordwind', 'Acme Co'],
  size: ['S', 'M'],
};

describe('QueryParser', () => {
  const parser = new QueryParser(vocabulary);
  const parse = (t: string) => parser.parse(t).map((a) => `${a.name}=${a.value}`);

  it.each([
    ['navy denim shirt', ['color=navy', 'material=denim', 'category=shirt']],
    ['Red DRESS with dots', ['color=red', 'colorFamily=red', 'category=dress', 'pattern=dots']],
    ['light blue t-shirt', ['color=light blue', 'category=t-shirt']],
    ['light blue t shirt', ['color=light blue', 'category=t-shirt']],
    ['blue tee', ['color=blue', 'colorFamily=blue', 'category=t-shirt']],
    ['striped jumper', ['pattern=stripes']],
    ['dark blue pants for men', ['color=navy', 'category=trousers', 'gender=men']],
    ['pale blue checked coat', ['color=light blue', 'pattern=checks', 'category=coat']],
    ['ankle boots', ['category=ankle-boot']],
    ['sneakers', ['category=sneaker']],
    ['gray shirt', ['color=grey', 'category=shirt']],
    ['nordwind acme co', ['brand=Nordwind', 'brand=Acme Co']],
    ['Crème dréss', ['category=dress']],
    ['size m shirt', ['category=shirt']],
    ['nothing here', []],
    ['', []],
  ])('%s', (text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it('ignores synonyms of values the catalogue does not have', () => {
    const p = new QueryParser({ category: ['dress'] });
    expect(p.parse('jumper dress').map((a) => a.value)).toEqual(['dress']);
  });

  it('normalises accents, case and punctuation', () => {
    expect(normalizeText('Café-Noir, T-Shirt!')).toEqual(['cafe', 'noir', 't', 'shirt']);
  });
});

describe('matchAttributes', () => {
  it('splits stated attributes into matched and unmatched', () => {
    const q = [
      { name: 'color', value: 'red' },
      { name: 'category', value: 'dress' },
    ];
    expect(matchAttributes(q, { color: ['red'], category: ['shirt'] })).toEqual({
      matched: [{ name: 'color', value: 'red' }],
      unmatched: [{ name: 'category', value: 'dress' }],
    });
  });
});
